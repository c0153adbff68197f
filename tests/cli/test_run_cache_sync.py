"""Run-cache entries travel with push/pull/fetch: a clone skips a run someone else already made.
Every clone here holds the team's run-cache key (tests/remote/test_run_cache_trust.py covers the
trust model: no key, other keys, forged entries)."""

from __future__ import annotations

import json
import pathlib
import subprocess

import pytest
from conftest import TRAIN_STAGES as STAGES

RUN = ("run", "--executor", "inprocess")


def git(root: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def set_lr(root: pathlib.Path, lr: float) -> None:
    (root / "pivot.yaml").write_text(f"stages:\n  train:\n    python: stages.train\n    params:\n      lr: {lr}\n")


@pytest.fixture(autouse=True)
def team_key(monkeypatch):
    monkeypatch.setenv("PIVOT_RUN_CACHE_KEY", "the-team-key-0123456789")


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def teammate(project, pivot, tmp_path):
    """Clone A ran lr=0.1, then lr=0.5 (committed), pushing after each run. Returns A's root, the
    files and lock of its lr=0.1 run, and a function that makes a fresh clone B."""

    def make(*push_args: str):
        root = project({"stages.py": STAGES, "data.txt": "rows\n", ".gitignore": "model.txt\ncounts/\n"})
        set_lr(root, 0.1)
        git(root, "init", "-q")
        ok(pivot(*RUN))
        first = {name: (root / name).read_text() for name in ("model.txt", "metrics.json", ".pivot/stages/train.lock")}
        ok(pivot("remote", "add", "-d", "origin", str(tmp_path / "shared")))
        ok(pivot("push", *push_args))
        set_lr(root, 0.5)
        ok(pivot(*RUN))
        ok(pivot("push", *push_args))
        git(root, "add", "-A")
        git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "lr 0.5")
        return root, first

    return make


def clone(root: pathlib.Path, dest: pathlib.Path, monkeypatch) -> pathlib.Path:
    subprocess.run(["git", "clone", "-q", str(root), str(dest)], check=True, capture_output=True)
    monkeypatch.chdir(dest)
    return dest


def test_a_clone_pulls_a_teammates_earlier_run_and_restores_it_instead_of_running(teammate, pivot, tmp_path, monkeypatch):
    root, first = teammate()
    other = clone(root, tmp_path / "other", monkeypatch)
    set_lr(other, 0.1)  # back to what A ran first: stale against the committed lock (lr=0.5)
    pulled = ok(pivot("pull"))
    assert "Fetched 2 run-cache entries from origin, 0 already there" in pulled
    assert "train  will be restored from run cache: Parameters changed" in ok(pivot("status"))
    output = ok(pivot(*RUN))
    assert "train: restored from run cache (Parameters changed)" in output
    assert not (other / "counts").exists()
    for name, text in first.items():
        assert (other / name).read_text() == text, name
    assert json.loads((other / "metrics.json").read_text()) == {"lr": 0.1}


def test_fetch_then_run_works_as_pull_does(teammate, pivot, tmp_path, monkeypatch):
    root, first = teammate()
    other = clone(root, tmp_path / "other", monkeypatch)
    set_lr(other, 0.1)
    ok(pivot("fetch"))
    assert "restored from run cache" in ok(pivot(*RUN))
    assert (other / "model.txt").read_text() == first["model.txt"]


def test_push_with_no_run_cache_shares_no_entries_and_the_clone_runs(teammate, pivot, tmp_path, monkeypatch):
    root, first = teammate("--no-run-cache")
    assert not (tmp_path / "shared" / "runs").exists()
    other = clone(root, tmp_path / "other", monkeypatch)
    set_lr(other, 0.1)
    assert "Fetched 0 run-cache entries from origin, 0 already there" in ok(pivot("pull"))
    output = ok(pivot(*RUN))
    assert "train: running (Parameters changed)" in output
    assert (other / "counts" / "train").read_text() == "x"
    assert (other / ".pivot/stages/train.lock").read_text() == first[".pivot/stages/train.lock"]


def test_fetch_with_no_run_cache_leaves_entries_on_the_remote(teammate, pivot, tmp_path, monkeypatch):
    root, _ = teammate()
    other = clone(root, tmp_path / "other", monkeypatch)
    set_lr(other, 0.1)
    assert "run-cache entries" not in ok(pivot("fetch", "--no-run-cache"))
    assert not (other / ".pivot" / "cache" / "runs").exists()
    assert "train: running (Parameters changed)" in ok(pivot(*RUN))


def test_a_damaged_entry_on_the_remote_is_ignored_with_a_warning(teammate, pivot, tmp_path, monkeypatch):
    root, _ = teammate()
    for entry in (tmp_path / "shared" / "runs").glob("*/*"):
        entry.write_text('{"schema": 1, "stage": "train"}')
    other = clone(root, tmp_path / "other", monkeypatch)
    # Unsigned entries trusted, so what is refused is the damage, not the missing signature.
    monkeypatch.delenv("PIVOT_RUN_CACHE_KEY")
    (other / ".pivot" / "config.local.yaml").write_text("run_cache:\n  trust_unsigned_remote: true\n")
    set_lr(other, 0.1)
    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    assert "Fetched 0 run-cache entries" in pulled.output
    assert "warning: run-cache entry" in pulled.output and "is damaged" in pulled.output
    assert not list((other / ".pivot" / "cache" / "runs").glob("*/*"))
    assert "train: running (Parameters changed)" in ok(pivot(*RUN))


def test_push_dry_run_counts_the_entries_it_would_upload(teammate, pivot):
    root, _ = teammate()
    assert "Would push 0 objects and 0 run-cache entries to origin" in ok(pivot("push", "-n"))
    set_lr(root, 0.7)
    ok(pivot(*RUN))
    assert "Would push 2 objects and 1 run-cache entry to origin" in ok(pivot("push", "-n"))
    assert "Would push 1 object and 0 run-cache entries to origin" in ok(pivot("push", "-n", "--no-run-cache"))
