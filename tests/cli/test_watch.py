"""`pivot run --watch` in a real subprocess, followed through its JSONL events (docs/watch.md):
an edited dep, params or stage code re-runs the stage; the run's own outputs never do; a change
during a run is followed by exactly one more run; Ctrl-C ends it with 130 and the project lock
free."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from conftest import COUNT_RUNS, runs

pytestmark = pytest.mark.slow

STAGES = '''
import pathlib
import time
from typing import Annotated

from pivot import loaders, outputs
''' + COUNT_RUNS + '''

def shout(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("loud.txt", loaders.Text())]:
    _count("shout")
    pathlib.Path("started").write_text(data)
    while pathlib.Path("hold").exists():  # the test holds the run here to change files during it
        time.sleep(0.02)
    return data.upper()


def whisper(loud: Annotated[str, outputs.Dep("loud.txt", loaders.Text())]) -> Annotated[str, outputs.Out("quiet.txt", loaders.Text())]:
    return loud.lower()
'''

# loud.txt is an output and a dep: written by the run, it must still not start the next one.
PIPELINE = "stages:\n  shout:\n    python: stages.shout\n  whisper:\n    python: stages.whisper\n"


class Watch:
    """A `pivot run --watch --jsonl` subprocess and the events it has printed so far."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.out = root.parent / "watch.out"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("CI", None)
        with open(self.out, "w") as out, open(root.parent / "watch.err", "w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pivot", "run", "--watch", "--jsonl", "--debounce", "100"], cwd=root, env=env, stdout=out, stderr=err
            )

    def events(self) -> list[dict]:
        lines = self.out.read_text().splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]  # a line being written is not yet an event

    def wait_for(self, predicate: Callable[[list[dict]], bool], what: str, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            events = self.events()
            if predicate(events):
                return events
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {what}; exit {self.proc.poll()}:\n{self.out.read_text()}\n{self.stderr()}")
            time.sleep(0.05)

    def waiting_after(self, run: int) -> list[dict]:
        return self.wait_for(lambda events: any(e["event"] == "watch_waiting" and e["run"] == run for e in events), f"wait after run {run}")

    def stderr(self) -> str:
        return (self.root.parent / "watch.err").read_text()


@contextlib.contextmanager
def watching(root: pathlib.Path) -> Iterator[Watch]:
    watch = Watch(root)
    try:
        yield watch
    finally:
        if watch.proc.poll() is None:
            watch.proc.kill()
        watch.proc.wait(timeout=30)


def runs_started(events: list[dict]) -> int:
    return sum(1 for e in events if e["event"] == "run_started")


def stage_events(events: list[dict], run: int) -> list[tuple[str, str]]:
    return [(e["event"], e.get("reason") or e.get("status", "")) for e in events if e["run"] == run and e.get("stage") == "shout"]


def assert_lock_free(root: pathlib.Path) -> None:
    with open(root / ".pivot" / "run.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if anyone still held it


def make(project) -> pathlib.Path:
    return project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "hello"})


def test_edits_rerun_the_stage_its_outputs_do_not_and_ctrl_c_ends_it(project):
    root = make(project)
    with watching(root) as watch:
        watch.waiting_after(1)
        assert (root / "loud.txt").read_text() == "HELLO"

        (root / "data.txt").write_text("again")
        events = watch.waiting_after(2)
        assert any(e["event"] == "watch_changed" and e["paths"] == ["data.txt"] for e in events)
        assert stage_events(events, 2) == [("stage_started", "Dependencies changed"), ("stage_finished", "ran")]
        assert (root / "loud.txt").read_text() == "AGAIN"
        assert (root / "quiet.txt").read_text() == "again"

        # The run wrote loud.txt, the lock, the cache, counts/ and started: none of them is a
        # change to react to; an output edited by hand is not either.
        (root / "loud.txt").write_text("edited by hand")
        time.sleep(2)  # well past the debounce: a run would have started by now
        assert runs_started(watch.events()) == 2, watch.out.read_text()

        (root / "stages.py").write_text(STAGES.replace("data.upper()", "data.upper() + '!'"))
        events = watch.waiting_after(3)
        assert stage_events(events, 3)[0][1].startswith("Code changed")
        assert (root / "loud.txt").read_text() == "AGAIN!"

        watch.proc.send_signal(signal.SIGINT)
        assert watch.proc.wait(timeout=30) == 130, watch.stderr()
        assert "Traceback" not in watch.stderr()
    assert runs(root, "shout") == 3
    assert_lock_free(root)


def test_a_change_during_a_run_is_followed_by_exactly_one_more_run(project):
    root = make(project)
    with watching(root) as watch:
        watch.waiting_after(1)
        (root / "hold").touch()
        (root / "data.txt").write_text("one")
        watch.wait_for(lambda _: (root / "started").read_text() == "one", "the second run to start")
        for text in ("two", "three", "four"):  # three edits while the run is held: not killed, one more run
            (root / "data.txt").write_text(text)
            time.sleep(0.3)
        (root / "hold").unlink()
        events = watch.waiting_after(3)
        assert stage_events(events, 2)[-1] == ("stage_finished", "ran")  # finished, not killed
        assert (root / "loud.txt").read_text() == "FOUR"
        time.sleep(2)
        assert runs_started(watch.events()) == 3, watch.out.read_text()
    assert runs(root, "shout") == 3


def test_a_broken_pipeline_is_reported_and_the_fix_runs(project):
    root = make(project)
    with watching(root) as watch:
        watch.waiting_after(1)
        (root / "pivot.yaml").write_text("stages:\n  shout:\n    pyton: stages.shout\n")
        events = watch.wait_for(lambda events: any(e["event"] == "error" for e in events), "an error event")
        error = next(e for e in events if e["event"] == "error")
        assert error["exit_code"] == 2 and "pivot.yaml" in error["message"]

        (root / "data.txt").write_text("fixed")
        (root / "pivot.yaml").write_text(PIPELINE)
        events = watch.wait_for(lambda events: any(e["event"] == "run_finished" and e["run"] == 2 for e in events), "the run after the fix")
        assert next(e for e in events if e["event"] == "run_finished" and e["run"] == 2)["ok"] is True
        assert (root / "loud.txt").read_text() == "FIXED"

        watch.proc.send_signal(signal.SIGINT)
        assert watch.proc.wait(timeout=30) == 130, watch.stderr()
    assert_lock_free(root)


def test_ctrl_c_during_a_run_stops_it_with_no_lock_for_the_stage(project):
    root = make(project)
    with watching(root) as watch:
        watch.waiting_after(1)
        (root / "hold").touch()
        (root / "data.txt").write_text("interrupted")
        watch.wait_for(lambda _: (root / "started").read_text() == "interrupted", "the second run to start")
        lock = (root / ".pivot" / "stages" / "shout.lock").read_text()
        watch.proc.send_signal(signal.SIGINT)
        assert watch.proc.wait(timeout=30) == 130, watch.stderr()
        assert "interrupted" in watch.stderr() and "Traceback" not in watch.stderr()
    assert (root / ".pivot" / "stages" / "shout.lock").read_text() == lock  # still the first run's
    assert not (root / "loud.txt").exists() or (root / "loud.txt").read_text() != "INTERRUPTED"
    assert_lock_free(root)
