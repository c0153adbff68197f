"""A mixed Python + shell pipeline in real worker processes (-j2), and shell stages' outputs
through push, pull and checkout with a directory remote."""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest

STAGES_PY = """
from typing import Annotated

from pivot import loaders, outputs


def make(raw: Annotated[str, outputs.Dep("raw.txt", loaders.Text())]) -> Annotated[str, outputs.Out("made.txt", loaders.Text())]:
    return raw.upper()


def summarize(counted: Annotated[str, outputs.Dep("counted.txt", loaders.Text())]) -> Annotated[dict, outputs.Metric("summary.json")]:
    return {"words": int(counted.split()[0])}
"""

PIPELINE = """
stages:
  make:
    python: stages.make
  count:
    cmd: wc -w < made.txt > counted.txt
    deps: [made.txt]
    outs: [counted.txt]
  side:
    cmd: mkdir -p side && cp raw.txt side/copy.txt
    deps: [raw.txt]
    outs: [side]
  summarize:
    python: stages.summarize
"""


@pytest.fixture
def mixed(project) -> pathlib.Path:
    return project({"stages.py": STAGES_PY, "pivot.yaml": PIPELINE, "raw.txt": "one two three\n"})


@pytest.mark.slow
def test_python_and_shell_stages_feed_each_other_in_worker_processes(mixed, pivot):
    result = pivot("run", "-j", "2")
    assert result.exit_code == 0, result.output
    assert (mixed / "made.txt").read_text() == "ONE TWO THREE\n"
    assert (mixed / "counted.txt").read_text().strip() == "3"
    assert json.loads((mixed / "summary.json").read_text()) == {"words": 3}
    assert (mixed / "side/copy.txt").read_text() == "one two three\n"

    (mixed / "raw.txt").write_text("one two three four\n")
    status = pivot("status")
    assert "count      will run: Upstream stage will run (make)" in status.output
    result = pivot("run", "-j", "2")
    assert result.exit_code == 0, result.output
    assert json.loads((mixed / "summary.json").read_text()) == {"words": 4}
    assert "4 ran" in result.output


@pytest.mark.slow
def test_shell_outputs_travel_through_push_pull_and_checkout(mixed, pivot, tmp_path):
    assert pivot("run", "-j", "2").exit_code == 0
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "remote")).exit_code == 0
    pushed = pivot("push")
    assert pushed.exit_code == 0, pushed.output

    (mixed / "counted.txt").unlink()
    shutil.rmtree(mixed / "side")
    assert pivot("checkout").exit_code == 0
    assert (mixed / "counted.txt").read_text().strip() == "3"
    assert (mixed / "side/copy.txt").read_text() == "one two three\n"

    for gone in ("counted.txt", "side", "made.txt"):
        path = mixed / gone
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.rmtree(mixed / ".pivot/cache")
    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    assert (mixed / "counted.txt").read_text().strip() == "3"
    assert (mixed / "side/copy.txt").read_text() == "one two three\n"
    assert "0 ran" in pivot("run", "-j", "2").output
