"""Experiments made as `pivot exp run` makes them: the pipeline run with overrides in a test
project, then its locks, params and metrics captured into a record, every output's bytes (metrics
too) in the cache. The workspace is put back with a plain run (the run cache restores it)."""

from __future__ import annotations

import pathlib
import subprocess
from collections.abc import Mapping
from typing import Any

from conftest import write_files

from pivot.api import Project
from pivot.base import project, yamlio
from pivot.experiments import record
from pivot.worktree import workspace

STAGES = '''
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams


def _count(name):
    with open(pathlib.Path("counts") / name, "a") as handle:
        handle.write("x")


class TrainParams(StageParams):
    lr: float = 0.1
    epochs: int = 3


class Trained(TypedDict):
    model: Annotated[str, outputs.Out("model.txt", loaders.Text())]
    score: Annotated[dict, outputs.Metric("metrics.json")]


def prepare(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("clean.txt", loaders.Text())]:
    _count("prepare")
    return data.upper()


def train(params: TrainParams, clean: Annotated[str, outputs.Dep("clean.txt", loaders.Text())]) -> Trained:
    _count("train")
    loss = round(1 / (params.lr * params.epochs * 7), 9)
    return {"model": f"model({clean.strip()}, lr={params.lr}, epochs={params.epochs})", "score": {"loss": loss, "lr": params.lr}}
'''

PIPELINE = "stages:\n  prepare:\n    python: stages.prepare\n  train:\n    python: stages.train\n"


def git(root: pathlib.Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit(root: pathlib.Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def make_project(root: pathlib.Path, *, use_git: bool = True, params_yaml: str | None = None) -> pathlib.Path:
    """The two-stage project in `root`, run once (and committed, with `use_git`)."""
    files = {"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "rows\n", "counts/.keep": ""}
    if params_yaml is not None:
        files["params.yaml"] = params_yaml
    write_files(root, files)
    if use_git:
        git(root, "init", "-q", "-b", "main")
    assert Project.open(root).run(executor="inprocess").ok
    if use_git:
        commit(root, "baseline")
    return root


def runs(root: pathlib.Path, stage: str) -> int:
    path = root / "counts" / stage
    return len(path.read_text()) if path.exists() else 0


def record_experiment(root: pathlib.Path, name: str, overrides: Mapping[str, Any], created: str) -> record.ExpRecord:
    """Run with `overrides`, capture the result as experiment `name`, then restore the workspace."""
    proj = Project.open(root)
    assert proj.run(executor="inprocess", overrides=overrides).ok
    paths = project.Project(root)
    locks = {path.stem: yamlio.load(path.read_text()) for path in sorted(paths.stages_dir.glob("*.lock"))}
    ws = workspace.open_workspace(paths)
    try:
        for data in locks.values():
            for out_path, entry in data["outs"].items():
                if not entry["cache"]:  # a metric git tracks: the record keeps its bytes in the cache
                    ws.cache.add(root / out_path, ws.hasher.hash_path(root / out_path), copy=True)
    finally:
        ws.close()
    base = git(root, "rev-parse", "HEAD") if (root / ".git").exists() else None
    rec = record.ExpRecord(
        name=name,
        base=base,
        created=created,
        status="ok",
        error=None,
        overrides=dict(overrides),
        params={stage: data["params"] for stage, data in locks.items()},
        metrics={path: dict(values) for path, values in proj.metrics().metrics.items()},
        locks=locks,
    )
    record.write(paths, rec)
    assert proj.run(executor="inprocess").ok  # the workspace as it was
    return rec


def project_paths(root: pathlib.Path) -> project.Project:
    return project.Project(root)
