"""Projects for the library tests, written anywhere but the current directory: the API must
never need to run from inside the project."""

from __future__ import annotations

import pathlib
import subprocess
from collections.abc import Callable, Mapping

import pytest

from tests.conftest import write_files

# `stages.make` reads data.txt and writes out.txt with a tag that says which project's code ran;
# `train` takes a param and writes a metric, so params and metrics have something to show.
STAGES = '''
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams

TAG = "{tag}"


class TrainParams(StageParams):
    lr: float = 0.1
    epochs: int = 3


Model = Annotated[dict, outputs.Out("model.json", loaders.JSON())]
Score = Annotated[dict, outputs.Metric("metrics.json")]
Trained = TypedDict("Trained", {{"model": Model, "score": Score}})


def make(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("out.txt", loaders.Text())]:
    with open("runs.log", "a") as log:  # relative: the stage runs in its project's root
        log.write("make\\n")
    return f"{{TAG}}:{{data.strip()}}"


def train(params: TrainParams, made: Annotated[str, outputs.Dep("out.txt", loaders.Text())]) -> Trained:
    return {{"model": {{"tag": TAG, "lr": params.lr, "made": made}}, "score": {{"lr": params.lr, "epochs": params.epochs}}}}
'''

PIPELINE = """\
stages:
  make:
    python: stages.make
  train:
    python: stages.train
"""


@pytest.fixture
def make_project(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., pathlib.Path]:
    """`make_project("a", tag="A")`: a project at tmp_path/a; the cwd is tmp_path/elsewhere."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    def make(name: str, *, tag: str, data: str = "hello\n", extra: Mapping[str, str] | None = None) -> pathlib.Path:
        root = tmp_path / name
        files = {"pivot.yaml": PIPELINE, "stages.py": STAGES.format(tag=tag), "data.txt": data, **(extra or {})}
        write_files(root, files)
        return root

    return make


def git(root: pathlib.Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True, capture_output=True, text=True
    )
    return done.stdout


def commit_all(root: pathlib.Path, message: str) -> None:
    if not (root / ".git").exists():
        git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
