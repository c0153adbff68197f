"""Fixtures: the run counter outside the project, and the committed sweep project."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable, Mapping

import pytest

from experiments.sweeps import PIPELINE, STAGES, git


@pytest.fixture
def counts(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    directory = tmp_path / "counts"
    directory.mkdir()
    monkeypatch.setenv("EXP_COUNTS", os.fspath(directory))
    return directory


@pytest.fixture
def sweep_project(project: Callable[[Mapping[str, str]], pathlib.Path], pivot, counts: pathlib.Path) -> pathlib.Path:
    """Run once and committed: the workspace's outputs and locks are those of lr 0.1, epochs 1."""
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "hello\n"})
    result = pivot("run")
    assert result.exit_code == 0, result.output
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "pipeline")
    for stage in ("prepare", "train", "evaluate"):
        (counts / stage).unlink()
    return root
