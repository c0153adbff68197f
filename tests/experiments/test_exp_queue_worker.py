"""`pivot exp queue start|status|logs|stop` (as `dvc queue start|status|logs|stop`): the queue run
by a real worker process in the background, followed, stopped and killed from other commands."""

from __future__ import annotations

import os
import signal
import time

import pytest
from conftest import assert_clean_error

from pivot.base import project
from pivot.experiments import queuestate, record

pytestmark = pytest.mark.slow  # a worker process, and its pool, per test


def _wait(condition, what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _worker(root) -> queuestate.Worker:
    return queuestate.current(project.Project(root))


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_start_runs_the_queue_in_the_background_and_status_and_logs_follow_it(sweep_project, pivot):
    root = sweep_project
    assert pivot("exp", "run", "--queue", "-S", "train.lr=0.2,0.3").exit_code == 0
    started = pivot("exp", "queue", "start", "-j", "2")
    assert started.exit_code == 0 and "Started the queue's worker (pid" in started.output, started.output
    _wait(lambda: not _worker(root).alive, "the worker to finish")

    status = pivot("exp", "queue", "status")
    assert status.exit_code == 0
    assert status.output.startswith("Worker: finished at ") and status.output.count("\n") == 1, status.output  # nothing queued
    assert record.names(project.Project(root)) == ["exp-1", "exp-2"]
    logs = pivot("exp", "queue", "logs", "--follow")
    assert "exp-1  ok  train.lr=0.2" in logs.output and "exp-2  ok  train.lr=0.3" in logs.output
    assert "Worker finished at" in logs.output
    assert "The queue is empty" in pivot("exp", "queue", "start").output


def test_stop_ends_the_running_stages_and_the_experiment_stays_queued(sweep_project, pivot, counts):
    root = sweep_project
    assert pivot("exp", "run", "--queue", "-S", "train.nap=120", "-n", "slow").exit_code == 0
    assert pivot("exp", "queue", "start").exit_code == 0
    _wait(lambda: (counts / "napping").exists(), "the stage to start")
    napping = int((counts / "napping").read_text())

    assert_clean_error(pivot("exp", "queue", "start"), "the queue's worker is running already", "pivot exp queue stop")
    assert_clean_error(pivot("exp", "queue", "--remove", "slow"), "'slow' is running in the queue's worker")
    assert "; running slow; log: .pivot/exps/worker/worker.log" in pivot("exp", "queue", "status").output
    assert pivot("exp", "show", "--csv").output.splitlines()[-1].startswith("slow,,")
    assert ",running," in pivot("exp", "show", "--csv").output.splitlines()[-1]

    stopped = pivot("exp", "queue", "stop")
    assert stopped.exit_code == 0 and "1 experiment still queued" in stopped.output, stopped.output
    _wait(lambda: _gone(napping), "the stage's process to end", 10)
    assert pivot("exp", "queue", "status").output.startswith("Worker: stopped at ")
    assert [line.split()[0] for line in pivot("exp", "queue").output.splitlines()] == ["slow"]
    assert record.names(project.Project(root)) == []
    assert pivot("run").exit_code == 0  # the project is free again
    assert_clean_error(pivot("exp", "queue", "stop"), "the queue's worker is not running", "pivot exp queue start")


def test_a_killed_worker_shows_as_died_and_a_new_one_takes_the_queue(sweep_project, pivot, counts):
    root = sweep_project
    assert pivot("exp", "run", "--queue", "-S", "train.nap=120", "-n", "slow").exit_code == 0
    assert pivot("exp", "queue", "start").exit_code == 0
    _wait(lambda: (counts / "napping").exists(), "the stage to start")
    os.killpg(_worker(root).pid, signal.SIGKILL)  # as the OOM killer or a reboot would
    _wait(lambda: not _worker(root).alive, "the lock to be freed")

    status = pivot("exp", "queue", "status")
    assert "it was killed; what it had not recorded is still queued" in status.output and status.output.startswith("Worker: died (pid ")
    assert "Removed from the queue: slow" in pivot("exp", "queue", "--remove", "slow").output
    assert pivot("exp", "run", "--queue", "-S", "train.lr=0.4", "-n", "quick").exit_code == 0
    assert pivot("exp", "queue", "start").exit_code == 0
    _wait(lambda: not _worker(root).alive, "the new worker to finish")
    assert record.read(project.Project(root), "quick").status == "ok"
    assert pivot("exp", "queue", "status").output.startswith("Worker: finished at ")


def test_a_queue_the_pipeline_no_longer_fits_fails_the_worker_and_says_why(sweep_project, pivot):
    root = sweep_project
    assert pivot("exp", "run", "--queue", "-S", "train.lr=0.2").exit_code == 0
    (root / "pivot.yaml").write_text("stages:\n  prepare:\n    python: stages.prepare\n")  # no stage train any more
    assert pivot("exp", "queue", "start").exit_code == 0
    _wait(lambda: not _worker(root).alive, "the worker to end")
    status = pivot("exp", "queue", "status").output
    assert status.startswith("Worker: failed at ") and "train.lr" in status.splitlines()[0], status
    assert "exp-1" in status  # still queued
    # The worker records its end, then prints the error as it exits: a moment apart.
    _wait(lambda: "error:" in pivot("exp", "queue", "logs").output, "the worker's error in its log", seconds=10)


def test_bad_queue_input_starts_nothing(sweep_project, pivot):
    assert pivot("exp", "queue", "status").output == "Worker: none has run (pivot exp queue start starts one)\n"
    assert_clean_error(pivot("exp", "queue", "logs"), "the queue's worker has no log yet")
    assert pivot("exp", "run", "--queue", "-S", "train.lr=0.2").exit_code == 0
    (sweep_project / ".pivot/exps/queue/exp-1.json").write_text("{not json")
    assert_clean_error(pivot("exp", "queue", "start"), ".pivot/exps/queue/exp-1.json cannot be read", "--remove exp-1")
    assert not _worker(sweep_project).alive and _worker(sweep_project).state == "none"


def test_stop_kill_kills_the_worker_and_its_stages_at_once(sweep_project, pivot, counts):
    assert pivot("exp", "run", "--queue", "-S", "train.nap=120", "-n", "slow").exit_code == 0
    assert pivot("exp", "queue", "start").exit_code == 0
    _wait(lambda: (counts / "napping").exists(), "the stage to start")
    napping = int((counts / "napping").read_text())
    killed = pivot("exp", "queue", "stop", "--kill")
    assert killed.exit_code == 0 and "1 experiment still queued" in killed.output, killed.output
    _wait(lambda: _gone(napping), "the stage's process to end", 10)
    assert pivot("exp", "queue", "status").output.startswith("Worker: stopped at ") and ": killed;" in pivot("exp", "queue", "status").output
    assert pivot("run").exit_code == 0  # the project lock went with it


def test_stop_says_which_lock_is_still_held_when_a_kill_does_not_free_it(sweep_project, pivot, monkeypatch):
    import fcntl
    import subprocess

    from pivot.experiments import queueworker

    proj = project.Project(sweep_project)
    stand_in = subprocess.Popen(["sleep", "60"], start_new_session=True)  # the worker's pid, its own session
    queuestate.worker_dir(proj).mkdir(parents=True, exist_ok=True)
    queuestate.write_worker(proj, queuestate.Worker("running", stand_in.pid, "2026-12-06T00:00:00Z"))
    held = os.open(queuestate.worker_dir(proj) / queuestate.LOCK, os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)  # held from outside the worker's session: no kill frees it
    monkeypatch.setattr(queueworker, "STOP_SECONDS", 0.2)
    try:
        result = pivot("exp", "queue", "stop")
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"the queue's worker (pid {stand_in.pid}) was killed, but its lock is still held" in result.output
        assert "worker.lock" in result.output
        assert stand_in.wait(timeout=10) != 0  # the stand-in itself was stopped
    finally:
        os.close(held)
        stand_in.kill()
