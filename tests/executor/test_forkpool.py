"""Workers forked by pivot's own zygote (pivot.executor.forkpool), as `pivot run` uses them on
Linux: a worker that dies fails its own stage only, named by its exit code or signal, while the
stages beside it run on to the end once; and no worker outlives the run. Each test runs pivot as
its own process, since the test runner's process has threads and never forks a zygote."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import time

import pytest
from conftest import runs
from test_failures import CRASH, lock, pipeline
from test_interrupt import alive

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the zygote is forked on Linux only")]

PIDS = '''
import os
from typing import Annotated

from pivot import loaders, outputs


def a() -> Annotated[str, outputs.Out("a.txt", loaders.Text())]:
    return str(os.getpid())


def b() -> Annotated[str, outputs.Out("b.txt", loaders.Text())]:
    return str(os.getpid())
'''


def _failed_line(output: str, stage: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"{stage}: FAILED"))


def _crashed(project, pivot_proc, stage: str):
    """Run the one CRASH stage `stage`: (project root, the run, its FAILED line); the run failed."""
    root = project({"stages.py": CRASH, "pivot.yaml": pipeline(stage)})
    result = pivot_proc("run", "-j2", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    return root, result, _failed_line(result.stdout, stage)


def test_a_worker_calling_os_exit_fails_its_stage_with_the_exit_code(project, pivot_proc):
    root, result, failed = _crashed(project, pivot_proc, "exits")
    assert "EXIT(3)" in failed and "os._exit" in failed, failed
    assert "Traceback" not in result.stdout + result.stderr
    assert not lock(root, "exits").exists()


def test_a_worker_killed_by_sigkill_fails_naming_the_signal(project, pivot_proc):
    _, _, failed = _crashed(project, pivot_proc, "killed")
    assert "SIGKILL" in failed and "out of memory" in failed, failed


def test_a_crash_leaves_the_stage_beside_it_running_to_its_end_once(project, pivot_proc):
    root = project({"stages.py": CRASH, "pivot.yaml": pipeline("crash_with_company", "innocent", "downstream")})
    result = pivot_proc("run", "-k", "-j2", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "worker died (EXIT(3))" in _failed_line(result.stdout, "crash_with_company")
    assert runs(root, "innocent") == 1  # not stopped and run again: its worker never died
    assert (root / "downstream.txt").read_text() == "fine!"
    assert lock(root, "innocent").exists() and lock(root, "downstream").exists()
    assert not lock(root, "crash_with_company").exists()

    again = pivot_proc("run", "-k", "-j2", cwd=root)  # the crashed stage alone runs again
    assert runs(root, "innocent") == 1, again.stdout + again.stderr


def test_no_worker_outlives_the_run(project, pivot_proc):
    root = project({"stages.py": PIDS, "pivot.yaml": pipeline("a", "b")})
    result = pivot_proc("run", "-j2", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    workers = {int((root / name).read_text()) for name in ("a.txt", "b.txt")}
    assert os.getpid() not in workers
    deadline = time.monotonic() + 2  # they end as their sockets close, a moment after pivot
    while [pid for pid in workers if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not [pid for pid in workers if alive(pid)]



RUN_AND_LOOK = """
import importlib.util, os, sys, time
from pivot.api.project import Project
from pivot.executor import pool, zygote

sys.modules["__main__"].__spec__ = importlib.util.find_spec("pivot.__main__")  # forks a zygote, as the pivot command does
report = Project.open().run(executor="forkserver", jobs=2)
assert report.ok and zygote.server() is not None, report
workers = [int(open(name).read()) for name in ("a.txt", "b.txt")]

def alive(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False

deadline = time.monotonic() + 2
while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
    time.sleep(0.01)
done = pool.started_soon(lambda: time.sleep(0.5))
print("left:", [pid for pid in workers if alive(pid)], "fork while a thread runs:", zygote.possible())
"""


def test_a_program_that_calls_run_is_left_no_idle_worker(project):
    # A long-lived caller of the fork pool keeps no worker after its run; and no zygote is forked
    # while one of pivot's own threads runs (the kernel would kill it with that thread).
    root = project({"stages.py": PIDS, "pivot.yaml": pipeline("a", "b")})
    done = subprocess.run([sys.executable, "-c", RUN_AND_LOOK], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "left: [] fork while a thread runs: False"


RUN_TWICE_AS_THE_PROGRAM = """
import importlib.util, os, sys, time
import pivot.base.lifetime
from pivot.api.project import Project
from pivot.executor import zygote

sys.modules["__main__"].__spec__ = importlib.util.find_spec("pivot.__main__")
pivot.base.lifetime.ends_after_command = True  # as the pivot program: idle workers wait to end with it

def alive(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False

def settled(pids, want):
    deadline = time.monotonic() + 2
    while any(alive(pid) != want for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)
    return [pid for pid in pids if alive(pid)]

first = Project.open().run(executor="forkserver", jobs=2)
assert first.ok and zygote.server() is not None, first
workers = {int(open(name).read()) for name in ("a.txt", "b.txt")}
time.sleep(0.2)
print("waiting after the first run:", len(settled(workers, True)))
second = Project.open().run(executor="forkserver", jobs=2, force=True)
assert second.ok, second
print("left after the second:", settled(workers, False))
"""


def test_the_programs_idle_workers_wait_for_its_end_but_never_pile_up(project, pivot_proc):
    # The pivot program leaves a run's idle workers to end with its zygote, after it exits; a
    # process that runs again (pivot watch, a sweep) ends them when its next pool starts.
    root = project({"stages.py": PIDS, "pivot.yaml": pipeline("a", "b")})
    done = subprocess.run([sys.executable, "-c", RUN_TWICE_AS_THE_PROGRAM], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["waiting after the first run: 2", "left after the second: []"]

    result = pivot_proc("run", "-j2", "--force", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    workers = {int((root / name).read_text()) for name in ("a.txt", "b.txt")}
    deadline = time.monotonic() + 2  # killed with the zygote, a moment after pivot
    while [pid for pid in workers if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not [pid for pid in workers if alive(pid)]


READS_STDIN = '''
import sys
from typing import Annotated

from pivot import loaders, outputs


def reads() -> Annotated[str, outputs.Out("read.txt", loaders.Text())]:
    return repr(sys.stdin.read())
'''


def test_a_stage_reads_an_empty_stdin_not_the_terminal_pivot_was_started_from(project):
    """As in any multiprocessing worker: the user's input (a terminal, or here a pipe nobody
    writes to or closes) is never read by a stage, which would wait for it forever."""
    root = project({"stages.py": READS_STDIN, "pivot.yaml": pipeline("reads")})
    env = {**os.environ}
    env.pop("CI", None)
    proc = subprocess.Popen([sys.executable, "-m", "pivot", "run", "-j2"], cwd=root, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        proc.wait(timeout=60)  # stdin stays open and empty: a stage reading it would never end
    finally:
        if proc.poll() is None:
            proc.kill()
        output = proc.communicate()[0]
        assert proc.stdin is not None
        proc.stdin.close()
    assert proc.returncode == 0, output
    assert (root / "read.txt").read_text() == "''"


GC_SEEN = '''
import gc
from typing import Annotated

from pivot import loaders, outputs


def seen() -> Annotated[str, outputs.Out("gc.txt", loaders.Text())]:
    return repr(gc.get_threshold())
'''


def test_a_stage_collects_garbage_as_the_interpreter_does_not_as_pivot_does(project, pivot_proc):
    # The pivot program collects less often while it starts; a stage's code gets Python's own thresholds.
    root = project({"stages.py": GC_SEEN, "pivot.yaml": pipeline("seen")})
    result = pivot_proc("run", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / "gc.txt").read_text() == repr(gc.get_threshold())
