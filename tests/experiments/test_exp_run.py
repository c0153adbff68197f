"""`pivot exp run`: a sweep runs the shared stage once, leaves the workspace as it was, and
records every experiment (failed ones too); bad -S input stops it before anything runs."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
from conftest import assert_clean_error

from experiments.sweeps import git, runs, snapshot
from pivot.api import Project
from pivot.experiments import record

pytestmark = pytest.mark.slow  # a pool of workers per sweep


def _object(root: pathlib.Path, oid: str) -> pathlib.Path:
    return root / ".pivot" / "cache" / "files" / oid[:2] / oid[2:]


def test_a_sweep_of_four_shares_prepare_and_leaves_the_workspace_alone(sweep_project, pivot, counts):
    root = sweep_project
    (root / "data.txt").write_text("changed, not committed\n")  # experiments run on the workspace as it is
    before, status = snapshot(root), git(root, "status", "--porcelain")

    result = pivot("exp", "run", "-S", "train.lr=0.01,0.5", "-S", "train.epochs=10,20", "-j", "4")

    assert result.exit_code == 0, result.output
    assert runs(counts, "prepare") == 1  # stale in the workspace, the same in every experiment
    assert runs(counts, "train") == 4
    assert runs(counts, "evaluate") == 4
    assert snapshot(root) == before
    assert git(root, "status", "--porcelain") == status
    assert not (root / ".pivot" / "tmp" / "exps").exists()
    recs = {rec.name: rec for rec in record.all(Project.open(root))}
    assert sorted(recs) == ["exp-1", "exp-2", "exp-3", "exp-4"]
    combos = {(rec.overrides["train.lr"], rec.overrides["train.epochs"]) for rec in recs.values()}
    assert combos == {(0.01, 10), (0.01, 20), (0.5, 10), (0.5, 20)}
    for rec in recs.values():
        lr, epochs = rec.overrides["train.lr"], rec.overrides["train.epochs"]
        assert rec.status == "ok" and rec.error is None
        assert rec.params["train"] == {"lr": lr, "epochs": epochs, "nap": 0}
        assert rec.metrics == {"metrics.json": {"acc": lr * epochs}}
        model = rec.locks["train"]["outs"]["model.txt"]["hash"]
        assert _object(root, model).read_text() == f"model(CHANGED, NOT COMMITTED, lr={lr}, epochs={epochs})"
        metric = rec.locks["train"]["outs"]["metrics.json"]["hash"]  # git's file, kept in the cache too
        assert json.loads(_object(root, metric).read_text()) == {"acc": lr * epochs}
        assert f"{rec.name}  ok  train.lr={lr:g}  train.epochs={epochs}  metrics.json: acc={lr * epochs:g}" in result.output
    assert "4 experiments: 4 ok, 0 failed" in result.output
    assert "exp-1: prepare: ran" in result.output  # plain lines off a terminal: each stage as it ends
    for other in ("exp-2", "exp-3", "exp-4"):  # the same inputs: restored from the run exp-1 made
        assert f"{other}: prepare: restored from run cache" in result.output
    head = git(root, "rev-parse", "HEAD").strip()
    assert {rec.base for rec in recs.values()} == {head}


@pytest.mark.parametrize("jobs", ["4", "1"])  # -j 1: one experiment at a time, the others wait their turn
def test_a_stage_the_same_in_some_experiments_runs_once_for_them(sweep_project, pivot, counts, jobs):
    result = pivot("exp", "run", "-S", "train.lr=0.2,0.3", "-S", "evaluate.threshold=0.1,0.9", "-j", jobs)

    assert result.exit_code == 0, result.output
    assert runs(counts, "train") == 2  # one per learning rate, not one per experiment
    assert runs(counts, "evaluate") == 4
    recs = record.all(Project.open(sweep_project))
    models = {(r.overrides["train.lr"], r.locks["train"]["outs"]["model.txt"]["hash"]) for r in recs}
    assert len(recs) == 4 and len(models) == 2
    reports = {r.locks["evaluate"]["outs"]["report.txt"]["hash"] for r in recs}
    assert len(reports) == 4


@pytest.mark.parametrize("jobs", [2, 1])
def test_the_experiments_stages_run_at_once_up_to_jobs(sweep_project, pivot, counts, jobs):
    """One run over every experiment: their trains overlap under -j 2, and take turns under -j 1."""
    result = pivot("exp", "run", "-S", "train.nap=1.5,1.6", "-j", str(jobs))

    assert result.exit_code == 0, result.output
    (_, first_end), (second_start, _) = sorted(
        tuple(map(float, line.split())) for line in (counts / "spans").read_text().splitlines()
    )
    assert (second_start < first_end) is (jobs == 2)


def test_an_up_to_date_shared_stage_is_not_run_again(sweep_project, pivot, counts):
    result = pivot("exp", "run", "-S", "train.lr=0.2,0.3", "--name", "lr")

    assert result.exit_code == 0, result.output
    assert runs(counts, "prepare") == 0
    assert runs(counts, "train") == 2
    assert [rec.name for rec in record.all(Project.open(sweep_project))] in (["lr-1", "lr-2"], ["lr-2", "lr-1"])


def test_a_failing_experiment_is_recorded_and_the_others_finish(sweep_project, pivot, counts):
    root = sweep_project
    before = snapshot(root)

    result = pivot("exp", "run", "-S", "train.lr=-1,0.3", "-j", "2")

    assert result.exit_code == 1, result.output
    recs = {rec.overrides["train.lr"]: rec for rec in record.all(Project.open(root))}
    assert recs[-1].status == "failed"
    assert "the learning rate must not be negative" in (recs[-1].error or "")
    assert recs[0.3].status == "ok" and recs[0.3].metrics == {"metrics.json": {"acc": 0.3}}
    assert "1 ok, 1 failed" in result.output
    assert snapshot(root) == before
    assert not (root / ".pivot" / "tmp" / "exps").exists()


def test_zip_pairs_values_and_brackets_keep_a_comma(sweep_project, pivot, counts):
    result = pivot("exp", "run", "-S", "train.lr=0.1,0.2", "-S", "train.epochs=[3],4", "--zip")
    assert_clean_error(result, "epochs")  # [3] is a list, which an int param refuses
    result = pivot("exp", "run", "-S", "train.lr=0.1,0.2", "-S", "train.epochs=3,4", "--zip")
    assert result.exit_code == 0, result.output
    pairs = {(r.overrides["train.lr"], r.overrides["train.epochs"]) for r in record.all(Project.open(sweep_project))}
    assert pairs == {(0.1, 3), (0.2, 4)}


def test_gc_keeps_an_experiments_model_until_its_record_is_removed(sweep_project, pivot, counts):
    root = sweep_project
    assert pivot("exp", "run", "-S", "train.lr=0.7", "--name", "keep").exit_code == 0
    proj = Project.open(root)
    model = record.read(proj, "keep").locks["train"]["outs"]["model.txt"]["hash"]

    # Without the run cache's entries, only the record keeps the model.
    assert pivot("gc", "--drop-run-cache").exit_code == 0
    assert _object(root, model).exists()

    record.remove(proj, "keep")
    assert pivot("gc", "--drop-run-cache").exit_code == 0
    assert not _object(root, model).exists()


@pytest.mark.parametrize(
    ("where", "sig"),
    [("experiment", signal.SIGINT), ("shared", signal.SIGINT), ("shared", signal.SIGTERM)],
)
def test_a_signal_stops_the_sweep_and_records_nothing_half_done(sweep_project, counts, where, sig):
    """In a stage of one experiment, or in the stage every experiment shares; Ctrl-C or a kill."""
    root = sweep_project
    if where == "shared":
        (root / "data.txt").write_text("new data\n")  # prepare is stale: it runs once, first
        (counts / "prepare-nap").write_text("60")
        sweep = ["-S", "train.lr=0.2,0.3"]
    else:
        sweep = ["-S", "train.nap=60"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CI", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pivot", "exp", "run", *sweep],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        napping = counts / "napping"
        deadline = time.monotonic() + 60
        while not napping.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert napping.exists(), proc.communicate(timeout=5)[0] if proc.poll() is not None else "no stage started"
        stage_pid = int(napping.read_text())
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, output
    assert "Traceback" not in output, output
    assert record.all(Project.open(root)) == []
    assert not (root / ".pivot" / "tmp" / "exps").exists()
    assert runs(counts, "train") == (1 if where == "experiment" else 0)
    deadline = time.monotonic() + 10
    while _alive(stage_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(stage_pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return pathlib.Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return ""
