"""A project run and committed twice, for the commands that read revisions (`pivot get`,
`pivot diff`): `in.txt` and tracked `raw/x.csv` were "one"/"r1" at HEAD~1 and are "two"/"r2" now;
stage `make` writes `out.txt`, the directory `d` and the git-tracked metric `m.json` from them."""

from __future__ import annotations

import pathlib
import subprocess
from collections.abc import Callable, Mapping
from typing import Any

MAKE = "mkdir -p d && cat in.txt > out.txt && cp in.txt d/a.txt && echo '{\"n\": 1}' > m.json\n"
PIPELINE = """\
stages:
  make:
    cmd: sh make.sh
    deps: [in.txt, make.sh]
    outs: [out.txt, d]
    metrics:
      - m.json: {cache: false}
"""


def git(root: pathlib.Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout


def commit(root: pathlib.Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", message)


def two_commits(project: Callable[[Mapping[str, str]], pathlib.Path], pivot: Callable[..., Any]) -> pathlib.Path:
    root = project({"make.sh": MAKE, "pivot.yaml": PIPELINE, "in.txt": "one\n", "raw/x.csv": "r1\n"})
    git(root, "init", "-q")
    for data, raw in (("one", "r1"), ("two", "r2")):
        (root / "in.txt").write_text(f"{data}\n")
        (root / "raw/x.csv").write_text(f"{raw}\n")
        assert pivot("track", "raw").exit_code == 0
        assert pivot("run").exit_code == 0
        commit(root, data)
    return root
