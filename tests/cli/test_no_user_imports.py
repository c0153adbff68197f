"""Commands that work from the lock files and pivot.yaml never import the user's modules: in a
fresh clone (no pipeline memo) a heavy stage module (sklearn, torch) must not slow `pivot pull`.
The stage module here writes a marker file when imported."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

STAGES = '''
import pathlib
from typing import Annotated
from pivot import loaders, outputs
from pivot.stage_def import StageParams

with open(pathlib.Path(__file__).with_name("IMPORTED"), "a") as marker:
    marker.write("x")


class Params(StageParams):
    scale: int = 2


def double(params: Params, text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Annotated[str, outputs.Out("doubled.txt", loaders.Text())]:
    return text * params.scale


def score(text: Annotated[str, outputs.Dep("doubled.txt", loaders.Text())]) -> Annotated[dict, outputs.Metric("score.json")]:
    return {"length": len(text)}
'''

PIPELINE = "stages:\n  double:\n    python: stages.double\n  score:\n    python: stages.score\n"

COMMANDS = [
    ("pull",),
    ("fetch",),
    ("checkout",),
    ("push",),
    ("status", "--remote"),
    ("gc",),
    ("metrics", "show"),
    ("params", "show"),
    ("list",),
    ("list", "--downstream", "double"),
]


def pivot_cli(root: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    # With a team key, run-cache entries travel too: pull and fetch must not import to plan them.
    env = {**os.environ, "PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[2]), "PIVOT_RUN_CACHE_KEY": "the-team-key-0123456789"}
    return subprocess.run([sys.executable, "-m", "pivot", *args], cwd=root, env=env, capture_output=True, text=True)


def git(root: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    """A project that ran and pushed to a directory remote, committed with its lock files."""
    root = tmp_path_factory.mktemp("origin")
    (root / "stages.py").write_text(STAGES)
    (root / "pivot.yaml").write_text(PIPELINE)
    (root / "input.txt").write_text("abc")
    (root / ".gitignore").write_text("doubled.txt\nIMPORTED\n")
    git(root, "init", "-q")
    for args in (("run", "--executor", "inprocess"), ("remote", "add", "-d", "origin", str(root.parent / "shared"))):
        done = pivot_cli(root, *args)
        assert done.returncode == 0, done.stderr
    assert pivot_cli(root, "push").returncode == 0
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "run")
    assert (root / "IMPORTED").exists()  # the marker works: running did import the module
    return root


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_fresh_clone_never_imports_the_stage_module(origin, tmp_path, command):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    done = pivot_cli(clone, *command)
    # checkout before pull rightly fails (the outputs are not in the local cache), without a traceback
    assert done.returncode == (1 if command == ("checkout",) else 0), done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not (clone / "IMPORTED").exists(), f"pivot {' '.join(command)} imported stages.py"


@pytest.mark.slow
def test_pull_in_a_fresh_clone_brings_the_outputs_and_shows_values_from_the_locks(origin, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    assert pivot_cli(clone, "pull").returncode == 0
    assert (clone / "doubled.txt").read_text() == "abcabc"
    metrics = pivot_cli(clone, "metrics", "show").stdout
    assert "length" in metrics and "6" in metrics
    params = pivot_cli(clone, "params", "show").stdout
    assert "scale" in params and "2" in params
    listed = pivot_cli(clone, "list").stdout
    assert "double" in listed and "score" in listed
    assert not (clone / "IMPORTED").exists()
