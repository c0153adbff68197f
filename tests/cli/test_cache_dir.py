"""`cache.dir` and `PIVOT_CACHE_DIR`: the cache somewhere else, shared by several clones."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
from conftest import TRAIN_STAGES, assert_clean_error, runs, write_files

from pivot.api import Project
from pivot.experiments import record
from pivot.storage.cache import Cache

PIPELINE = "stages:\n  train:\n    python: stages.train\n  evaluate:\n    python: stages.evaluate\n"
FILES = {"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE, ".gitignore": "counts/\n"}


def git(root: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _objects(cache: pathlib.Path) -> list[str]:
    files = cache / "files"
    return sorted(p.parent.name + p.name for p in files.rglob("*") if p.is_file()) if files.is_dir() else []


def _committed_clone(root: pathlib.Path, clone: pathlib.Path) -> None:
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "run")
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, capture_output=True)


def test_two_clones_share_one_cache_and_its_run_cache(project, pivot, monkeypatch):
    first = project(FILES)
    shared = first.parent / "shared-cache"
    assert pivot("config", "set", "cache.dir", "../shared-cache").exit_code == 0
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert runs(first, "train") == 1
    assert _objects(shared) and not _objects(first / ".pivot" / "cache")  # nothing in the default place
    second = first.parent / "second"
    _committed_clone(first, second)
    monkeypatch.chdir(second)
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert runs(second, "train") == runs(second, "evaluate") == 0  # restored from the shared cache, not run
    assert (second / "report.txt").read_text() == (first / "report.txt").read_text()
    # A change made in one clone is there for the other: its run-cache entry is shared too.
    (second / "data.txt").write_text("other rows\n")
    assert pivot("run", "--executor", "inprocess").exit_code == 0 and runs(second, "train") == 1
    monkeypatch.chdir(first)
    (first / "data.txt").write_text("other rows\n")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert runs(first, "train") == 1  # still only the first run: this one was restored


def test_the_environment_variable_wins_and_must_be_absolute(project, pivot, monkeypatch):
    root = project(FILES)
    pivot("config", "set", "cache.dir", "../from-config")
    elsewhere = root.parent / "from-env"
    monkeypatch.setenv("PIVOT_CACHE_DIR", str(elsewhere))
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert _objects(elsewhere) and not (root.parent / "from-config").exists()
    monkeypatch.setenv("PIVOT_CACHE_DIR", "relative/cache")
    assert_clean_error(pivot("status"), "PIVOT_CACHE_DIR='relative/cache' is not an absolute path", "cache.dir")


@pytest.mark.slow
def test_concurrent_runs_in_two_clones_leave_every_shared_object_whole(tmp_path):
    shared = tmp_path / "shared"
    clones = [tmp_path / "a", tmp_path / "b"]
    for clone in clones:
        write_files(clone, {**FILES, ".pivot/config.yaml": f"cache:\n  dir: {shared}\n"})
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [
        subprocess.Popen([sys.executable, "-m", "pivot", "run"], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for clone in clones
    ]
    outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    cache = Cache(shared)
    objects = _objects(shared)
    assert objects and all(cache.verify(oid) for oid in objects)
    assert not [p for p in shared.rglob("*") if p.name.endswith(".tmp")]  # no temp file left behind
    assert (clones[0] / "report.txt").read_text() == (clones[1] / "report.txt").read_text()


@pytest.mark.slow
def test_experiments_store_what_they_make_in_the_configured_cache(project, pivot):
    root = project(FILES)
    pivot("config", "set", "cache.dir", "../shared-cache")  # relative: from the project root, not the experiment's copy
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "start")
    result = pivot("exp", "run", "-S", "train.lr=0.2,0.3", "-j", "1")
    assert result.exit_code == 0, result.output
    shared = Cache(root.parent / "shared-cache")
    models = [rec.locks["train"]["outs"]["model.txt"]["hash"] for rec in record.all(Project.open(root))]
    assert len(models) == 2 and all(shared.exists(oid) for oid in models)
    assert not _objects(root / ".pivot" / "cache")
