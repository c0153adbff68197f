"""An edit of params.yaml alone is resolved against the recorded StageParams schema: the stage
modules (pandas, torch in real projects) are not imported again; values the schema cannot vouch
for, and any change of code, still go through the imported class. The module writes a marker
file on import."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

STAGES = '''
import pathlib
from typing import Annotated
import pydantic
from pivot import loaders, outputs
from pivot.stage_def import StageParams

with open(pathlib.Path(__file__).with_name("IMPORTED"), "a") as marker:
    marker.write("x")


class Params(StageParams):
    scale: int = 2
    rate: float = 0.5


class Checked(StageParams):
    word: str = "a"

    @pydantic.field_validator("word")
    @classmethod
    def shout(cls, value: str) -> str:
        return value.upper()


def double(params: Params, text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Annotated[str, outputs.Out("doubled.txt", loaders.Text())]:
    return f"{text * params.scale} {params.rate}"


def echo(params: Checked) -> Annotated[str, outputs.Out("echo.txt", loaders.Text())]:
    return params.word
'''

PIPELINE = "stages:\n  double:\n    python: stages.double\n  echo:\n    python: stages.echo\n"


def pivot_cli(root: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "pivot", *args], cwd=root, env=env, capture_output=True, text=True)


@pytest.fixture
def ran(tmp_path):
    (tmp_path / "stages.py").write_text(STAGES)
    (tmp_path / "pivot.yaml").write_text(PIPELINE)
    (tmp_path / "input.txt").write_text("ab")
    (tmp_path / "params.yaml").write_text("double:\n  scale: 2\n")
    done = pivot_cli(tmp_path, "run", "--executor", "inprocess")
    assert done.returncode == 0, done.stderr
    assert pivot_cli(tmp_path, "status").returncode == 0  # the first load after .pivot/ exists is memoized
    (tmp_path / "IMPORTED").unlink()
    return tmp_path


def imported(root: pathlib.Path) -> bool:
    found = (root / "IMPORTED").exists()
    (root / "IMPORTED").unlink(missing_ok=True)
    return found


@pytest.mark.slow
def test_a_params_edit_is_seen_without_importing_the_stage_module(ran):
    (ran / "params.yaml").write_text("double:\n  scale: 3\n  rate: 1\n")
    status = pivot_cli(ran, "status")
    assert "double" in status.stdout and "echo" in status.stdout
    assert "Parameters changed" in status.stdout or "params" in status.stdout.lower()
    shown = pivot_cli(ran, "params", "show").stdout
    assert "3" in shown and "1.0" in shown
    assert not imported(ran)
    assert pivot_cli(ran, "run", "--executor", "inprocess").returncode == 0
    assert (ran / "doubled.txt").read_text() == "ababab 1.0"


@pytest.mark.slow
def test_a_bad_value_is_reported_as_before_with_exit_2(ran):
    (ran / "params.yaml").write_text("double:\n  scale: many\n")
    done = pivot_cli(ran, "status")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "params.yaml:2" in done.stderr and "param 'scale'" in done.stderr and "'many'" in done.stderr
    assert "Traceback" not in done.stderr
    (ran / "params.yaml").write_text("double:\n  scael: 3\n")
    done = pivot_cli(ran, "status")
    assert done.returncode == 2 and "unknown param 'scael'" in done.stderr and "scale" in done.stderr


@pytest.mark.slow
def test_a_class_with_a_validator_is_still_resolved_by_pydantic(ran):
    (ran / "params.yaml").write_text("double:\n  scale: 2\necho:\n  word: hey\n")
    assert pivot_cli(ran, "run", "--executor", "inprocess").returncode == 0
    assert (ran / "echo.txt").read_text() == "HEY"


@pytest.mark.slow
def test_a_changed_module_is_imported_again_with_the_params_edit(ran):
    (ran / "stages.py").write_text(STAGES.replace("scale: int = 2", "scale: int = 2\n    extra: int = 7"))
    (ran / "params.yaml").write_text("double:\n  extra: 8\n")
    shown = pivot_cli(ran, "params", "show")
    assert shown.returncode == 0, shown.stderr
    assert "extra" in shown.stdout and "8" in shown.stdout
    assert imported(ran)
