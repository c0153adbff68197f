"""Stopping a run (SIGTERM, Ctrl-C) and the project lock, with `pivot run` in a real subprocess.

After an interrupt: exit 130 promptly, no lock for the interrupted stage, no partial object in the
cache, no worker left behind, and the next run completes.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from pivot.storage.hashing import DIR_SUFFIX, hash_bytes, hash_file

pytestmark = pytest.mark.slow

STAGES = '''
import os
import pathlib
import time
from typing import Annotated

from pivot import loaders, outputs


def first() -> Annotated[str, outputs.Out("first.txt", loaders.Text())]:
    return "first " * 1000


def sleeper(
    first: Annotated[str, outputs.Dep("first.txt", loaders.Text())],
    nap: Annotated[str, outputs.Dep("nap.txt", loaders.Text())],
) -> Annotated[str, outputs.Out("slept.txt", loaders.Text())]:
    pathlib.Path("sleeper.pid").write_text(str(os.getpid()))
    pathlib.Path("sleeper.marker").touch()
    time.sleep(float(nap))
    return "slept"
'''

PIPELINE = "stages:\n  first:\n    python: stages.first\n  sleeper:\n    python: stages.sleeper\n"


def env() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CI", None)
    return env


def start_run(root: pathlib.Path, *args: str, new_session: bool = False) -> subprocess.Popen[str]:
    # Output to a file, not a pipe: a worker that outlived pivot would hold a pipe open.
    with open(root.parent / "run.out", "w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pivot", "run", *args],
            cwd=root,
            env=env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=new_session,
        )


def finish(proc: subprocess.Popen[str], root: pathlib.Path, timeout: float) -> str:
    proc.wait(timeout=timeout)
    return (root.parent / "run.out").read_text()


def run_to_end(root: pathlib.Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pivot", "run", *args],
        cwd=root,
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout}s waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Running (a zombie nobody has reaped yet counts as gone)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@contextlib.contextmanager
def running_stage(root: pathlib.Path, *args: str, new_session: bool = False) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`pivot run` in a subprocess, held inside the sleeping stage; everything cleaned up after."""
    proc = start_run(root, *args, new_session=new_session)
    worker = 0
    try:
        marker = root / "sleeper.marker"
        wait_until(lambda: marker.exists() or proc.poll() is not None, 60, "the stage to start")
        assert proc.poll() is None, finish(proc, root, 1)
        wait_until(lambda: (root / "sleeper.pid").read_text().strip() != "", 5, "the stage's pid")
        worker = int((root / "sleeper.pid").read_text())
        yield proc, worker
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if worker and alive(worker):  # the stage's own worker, started by this test
            os.kill(worker, signal.SIGKILL)


def make_project(project) -> pathlib.Path:
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "nap.txt": "30"})
    (root / "sleeper.pid").write_text("")
    return root


def assert_cache_intact(root: pathlib.Path) -> None:
    files = root / ".pivot" / "cache" / "files"
    objects = [path for path in files.rglob("*") if path.is_file()]
    assert objects, "the first stage's output should be in the cache"
    for path in objects:
        name = path.parent.name + path.name
        if name.endswith(DIR_SUFFIX):
            assert hash_bytes(path.read_bytes()) + DIR_SUFFIX == name, path
        else:
            assert hash_file(path) == name, path
    tmp = root / ".pivot" / "cache" / "tmp"
    assert not tmp.exists() or not any(tmp.iterdir()), list(tmp.iterdir())


def assert_stopped_cleanly(root: pathlib.Path, proc: subprocess.Popen[str], worker: int) -> None:
    output = finish(proc, root, 10)
    assert proc.returncode == 130, output
    assert "Traceback" not in output, output
    assert "interrupted" in output, output
    wait_until(lambda: not alive(worker), 5, f"the stage's worker (pid {worker}) to end")
    assert (root / ".pivot" / "stages" / "first.lock").exists()
    assert not (root / ".pivot" / "stages" / "sleeper.lock").exists()
    assert not (root / "slept.txt").exists()
    assert_cache_intact(root)

    (root / "nap.txt").write_text("0")
    again = run_to_end(root)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 ran, 1 skipped, 0 failed in" in again.stdout
    assert (root / "slept.txt").read_text() == "slept"


def test_sigterm_stops_the_run(project):
    root = make_project(project)
    with running_stage(root) as (proc, worker):
        proc.send_signal(signal.SIGTERM)
        assert_stopped_cleanly(root, proc, worker)


def test_sigint_stops_the_run(project):
    root = make_project(project)
    with running_stage(root) as (proc, worker):
        proc.send_signal(signal.SIGINT)
        assert_stopped_cleanly(root, proc, worker)


def test_ctrl_c_in_a_terminal_stops_the_run(project):
    """A terminal sends SIGINT to the whole process group: pivot and its workers at once."""
    root = make_project(project)
    with running_stage(root, new_session=True) as (proc, worker):
        os.killpg(proc.pid, signal.SIGINT)
        assert_stopped_cleanly(root, proc, worker)


def test_second_run_is_refused_while_the_first_holds_the_project(project):
    root = make_project(project)
    with running_stage(root) as (holder, worker):
        second = run_to_end(root, timeout=30)
        assert second.returncode == 2, second.stdout + second.stderr
        assert f"pid {holder.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        assert holder.poll() is None  # the holder was not disturbed

        holder.kill()
        holder.wait(timeout=10)
        # the holder's worker must not finish its stage as an orphan and write under the next run
        wait_until(lambda: not alive(worker), 5, f"the dead run's worker (pid {worker}) to end")
        (root / "nap.txt").write_text("0")
        third = run_to_end(root)
        assert third.returncode == 0, third.stdout + third.stderr
        assert (root / "slept.txt").read_text() == "slept"


def test_a_worker_started_after_its_parent_died_ends_itself():
    """The race the pool initializer closes: the parent may die before the worker asks to be told."""
    code = "from pivot.executor.pool import die_with_parent; die_with_parent(2**22 + 1); print('still here')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "still here" not in result.stdout


CTRL_C_AT_START = """
import os, signal, sys, time
from pivot.executor import pool


def sigint_state():
    return signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, ()), signal.getsignal(signal.SIGINT) is signal.default_int_handler


if __name__ == "__main__":  # a fork server re-imports the main module in each worker
    seen = []
    signal.signal(signal.SIGINT, lambda *_: seen.append("ctrl-c"))
    executor = pool.LazyExecutor(lambda: pool.create(2, sys.argv[1]))
    future = executor.submit(sigint_state)
    os.killpg(0, signal.SIGINT)  # what a terminal does: every process of the group, the new workers too
    print("starting:", future.result(timeout=30))
    os.killpg(0, signal.SIGINT)  # and again while the workers sit idle between tasks
    time.sleep(0.5)
    print("idle:", executor.submit(sigint_state).result(timeout=30))
    print("pivot saw it:", seen == ["ctrl-c", "ctrl-c"])
    pool.shutdown(executor)
"""


@pytest.mark.parametrize("kind", ["loky", "forkserver"])
def test_ctrl_c_while_workers_start_or_idle_does_not_kill_them(tmp_path, kind):
    """Workers hold SIGINT while they start and between tasks, and take it only while a task runs:
    no worker dies (breaking the pool, or printing a traceback into the user's terminal) from a
    Ctrl-C that pivot handles, yet stage code still gets KeyboardInterrupt."""
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_AT_START)
    result = subprocess.run(
        [sys.executable, str(script), kind], capture_output=True, text=True, timeout=60, start_new_session=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "starting: (False, True)" in result.stdout, result.stdout + result.stderr
    assert "idle: (False, True)" in result.stdout, result.stdout + result.stderr
    assert "pivot saw it: True" in result.stdout
    assert "Traceback" not in result.stderr, result.stderr
