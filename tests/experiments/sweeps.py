"""Helpers for the experiments tests: a committed project with a shared stage (prepare) and a swept one (train), whose runs are
counted in a directory outside the project (scratch trees are copies of it, and go away)."""

from __future__ import annotations

import os
import pathlib
import subprocess

STAGES = """
import os
import pathlib
import time
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams


def _count(name):
    with open(pathlib.Path(os.environ["EXP_COUNTS"]) / name, "a") as handle:
        handle.write("x")


class TrainParams(StageParams):
    lr: float = 0.1
    epochs: int = 1
    nap: float = 0


class EvalParams(StageParams):
    threshold: float = 0.5


class Trained(TypedDict):
    model: Annotated[str, outputs.Out("model.txt", loaders.Text())]
    score: Annotated[dict, outputs.Metric("metrics.json")]


def prepare(raw: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("clean.txt", loaders.Text())]:
    _count("prepare")
    nap = pathlib.Path(os.environ["EXP_COUNTS"]) / "prepare-nap"
    if nap.exists():
        (pathlib.Path(os.environ["EXP_COUNTS"]) / "napping").write_text(str(os.getpid()))
        time.sleep(float(nap.read_text()))
    return raw.upper()


def train(params: TrainParams, data: Annotated[str, outputs.Dep("clean.txt", loaders.Text())]) -> Trained:
    _count("train")
    if params.nap:
        (pathlib.Path(os.environ["EXP_COUNTS"]) / "napping").write_text(str(os.getpid()))
        began = time.time()
        time.sleep(params.nap)
        with open(pathlib.Path(os.environ["EXP_COUNTS"]) / "spans", "a") as handle:
            handle.write(f"{began} {time.time()}\\n")
    if params.lr < 0:
        raise ValueError("the learning rate must not be negative")
    return {"model": f"model({data.strip()}, lr={params.lr}, epochs={params.epochs})", "score": {"acc": params.lr * params.epochs}}


def evaluate(params: EvalParams, model: Annotated[str, outputs.Dep("model.txt", loaders.Text())]) -> Annotated[str, outputs.Out("report.txt", loaders.Text())]:
    _count("evaluate")
    return f"{model} at {params.threshold}"
"""

PIPELINE = """
stages:
  prepare:
    python: stages.prepare
  train:
    python: stages.train
  evaluate:
    python: stages.evaluate
"""


def git(root: pathlib.Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout


def runs(counts: pathlib.Path, stage: str) -> int:
    path = counts / stage
    return len(path.read_text()) if path.exists() else 0


def snapshot(root: pathlib.Path) -> dict[str, bytes]:
    """Every file of the workspace a user would see change: sources, outputs, locks, params."""
    skip = (".git/", ".pivot/cache/", ".pivot/exps/", ".pivot/tmp/", ".pivot/logs/", ".pivot/state.db", ".pivot/run.lock")
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(skip) and "__pycache__" not in rel:
            found[rel] = path.read_bytes()
    return found
