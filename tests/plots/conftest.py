"""A pipeline with the three plots a user most often has: a loss curve (CSV), a confusion matrix
(CSV) and an image (PNG), in a git repository; `run_and_commit` makes a revision of it."""

from __future__ import annotations

import json
import pathlib
import subprocess
from collections.abc import Callable

import pytest

from pivot.api import Project

STAGES = '''
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams


class TrainParams(StageParams):
    factor: float = 1.0


Loss = Annotated[str, outputs.Plot("loss.csv", loaders.Text(), x="epoch", y=["loss", "val_loss"], title="Loss")]
Confusion = Annotated[str, outputs.Plot("confusion.csv", loaders.Text(), cache=False, template="confusion")]  # git tracks it
Picture = Annotated[pathlib.Path, outputs.Plot("curve.png", loaders.PathOnly())]
Trained = TypedDict("Trained", {"loss": Loss, "confusion": Confusion, "picture": Picture})

# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def train(params: TrainParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Trained:
    scale = float(data.strip()) * params.factor
    rows = ["epoch,loss,val_loss"] + [f"{e},{scale / (e + 1):.3f},{scale / (e + 1) + 0.1:.3f}" for e in range(4)]
    picture = pathlib.Path("curve.png")
    picture.write_bytes(PNG)
    confusion = "actual,predicted\\ncat,cat\\ncat,dog\\ndog,dog\\n" + ("dog,cat\\n" if scale > 1 else "")
    return {"loss": "\\n".join(rows) + "\\n", "confusion": confusion, "picture": picture}
'''

PIPELINE = """\
stages:
  train:
    python: stages.train
"""


def git(root: pathlib.Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def plots_project(project: Callable[..., pathlib.Path]) -> pathlib.Path:
    """The project, run and committed once with data 1.0 (the cwd is its root)."""
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "1.0\n"})
    git(root, "init", "-q")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    run_and_commit(root, "1.0", "first")
    return root


def run_and_commit(root: pathlib.Path, data: str, message: str) -> None:
    (root / "data.txt").write_text(f"{data}\n")
    Project.open(root).run(executor="inprocess")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def as_json(text: str) -> dict[str, object]:
    value = json.loads(text)
    assert isinstance(value, dict)
    return value
