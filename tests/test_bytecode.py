"""A stage module edited within the same second, keeping its size, runs as edited when Python
writes bytecode (pivot.base.importing.seal_bytecode): Python alone would serve the .pyc of the old text, whose
recorded mtime (in whole seconds) and size still match."""

from __future__ import annotations

import os
import subprocess
import sys

STAGES = """\
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs


class Out(TypedDict):
    value: Annotated[str, outputs.Out("value.txt", loaders.Text())]


def make(src: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Out:
    return {"value": "lr = 0.1"}
"""

PIPELINE = """\
stages:
  make:
    python: stages.make
    deps:
      src: input.txt
    outs:
      value: value.txt
"""


def _pivot(root, *args):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as users run it
    done = subprocess.run([sys.executable, "-m", "pivot", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_an_edit_in_the_same_second_that_keeps_the_size_runs_as_edited(tmp_path):
    (tmp_path / "stages.py").write_text(STAGES)
    (tmp_path / "pivot.yaml").write_text(PIPELINE)
    (tmp_path / "input.txt").write_text("rows\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    _pivot(tmp_path, "init")
    _pivot(tmp_path, "run")
    assert (tmp_path / "value.txt").read_text() == "lr = 0.1"
    assert list((tmp_path / "__pycache__").glob("stages.*.pyc"))  # Python wrote one

    stages = tmp_path / "stages.py"
    before = stages.stat()
    stages.write_text(STAGES.replace("lr = 0.1", "lr = 0.2"))  # the same size
    os.utime(stages, ns=(before.st_atime_ns, before.st_mtime_ns))  # and, to the second, the same time
    assert "make: ran" in _pivot(tmp_path, "run")
    assert (tmp_path / "value.txt").read_text() == "lr = 0.2"
