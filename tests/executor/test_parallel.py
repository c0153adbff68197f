"""Stages run side by side on the pool, in dependency order, never more than `-j` at once.

Nothing here measures time: concurrency is proven by stages that can only succeed together, and
by counting overlapping (start, end) intervals the stages record themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

RENDEZVOUS = '''
import pathlib
import time
from typing import Annotated

from pivot import loaders, outputs


def _meet(me, other):
    """Say I'm here, then wait for the other stage: only possible if both run at once."""
    pathlib.Path(f"{me}.marker").write_text("here")
    limit = float(pathlib.Path("wait.txt").read_text())
    deadline = time.monotonic() + limit
    while not pathlib.Path(f"{other}.marker").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{me} waited {limit}s for {other}, which never started")
        time.sleep(0.02)
    return f"{me} met {other}"


def left() -> Annotated[str, outputs.Out("left.txt", loaders.Text())]:
    return _meet("left", "right")


def right() -> Annotated[str, outputs.Out("right.txt", loaders.Text())]:
    return _meet("right", "left")
'''

RENDEZVOUS_PIPELINE = "stages:\n  left:\n    python: stages.left\n  right:\n    python: stages.right\n"


def test_independent_stages_run_at_the_same_time_with_j2(project, pivot):
    root = project({"stages.py": RENDEZVOUS, "pivot.yaml": RENDEZVOUS_PIPELINE, "wait.txt": "20"})
    result = pivot("run", "-j2")
    assert result.exit_code == 0, result.output
    assert "2 ran, 0 skipped, 0 failed in" in result.output
    assert (root / "left.txt").read_text() == "left met right"
    assert (root / "right.txt").read_text() == "right met left"


@pytest.mark.slow
def test_j1_runs_one_stage_at_a_time(project, pivot):
    root = project({"stages.py": RENDEZVOUS, "pivot.yaml": RENDEZVOUS_PIPELINE, "wait.txt": "2"})
    result = pivot("run", "-j1")
    assert result.exit_code == 1, result.output
    assert "left: FAILED: TimeoutError: left waited 2.0s for right, which never started" in result.output
    # fail-fast: the second stage never started, so it never left its marker
    assert not (root / "right.marker").exists()
    assert "0 ran, 0 skipped, 1 failed, 1 not started in" in result.output


EVENTS = '''
import os
import pathlib
import time
from typing import Annotated

from pivot import loaders, outputs


def _event(text):
    # O_APPEND: each short write lands whole, even from several processes at once
    fd = os.open("events.txt", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (text + "\\n").encode())
    finally:
        os.close(fd)


def a() -> Annotated[str, outputs.Out("a.txt", loaders.Text())]:
    _event("start a")
    _event("end a")
    return "a"


def b(a: Annotated[str, outputs.Dep("a.txt", loaders.Text())]) -> Annotated[str, outputs.Out("b.txt", loaders.Text())]:
    _event("start b")
    time.sleep(0.3)
    _event("end b")
    return a + "b"


def c(a: Annotated[str, outputs.Dep("a.txt", loaders.Text())]) -> Annotated[str, outputs.Out("c.txt", loaders.Text())]:
    _event("start c")
    _event("end c")
    return a + "c"


def d(
    b: Annotated[str, outputs.Dep("b.txt", loaders.Text())],
    c: Annotated[str, outputs.Dep("c.txt", loaders.Text())],
) -> Annotated[str, outputs.Out("d.txt", loaders.Text())]:
    _event("start d")
    _event("end d")
    return b + "+" + c
'''

# d is listed first: the order in pivot.yaml must not matter, only the dependencies
DIAMOND_PIPELINE = """
stages:
  d:
    python: stages.d
  c:
    python: stages.c
  b:
    python: stages.b
  a:
    python: stages.a
"""


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_diamond_stage_starts_only_after_all_its_upstreams_finished(project, pivot):
    root = project({"stages.py": EVENTS, "pivot.yaml": DIAMOND_PIPELINE})
    result = pivot("run", "-j4")
    assert result.exit_code == 0, result.output
    assert "4 ran, 0 skipped, 0 failed in" in result.output
    assert (root / "d.txt").read_text() == "ab+ac"
    events = (root / "events.txt").read_text().splitlines()
    assert sorted(events) == sorted(f"{kind} {name}" for kind in ("start", "end") for name in "abcd")
    at = {event: index for index, event in enumerate(events)}
    assert at["end a"] < at["start b"] and at["end a"] < at["start c"]
    assert at["end b"] < at["start d"] and at["end c"] < at["start d"]


def test_only_the_targets_and_their_upstream_run(project, pivot):
    root = project({"stages.py": EVENTS, "pivot.yaml": DIAMOND_PIPELINE})
    result = pivot("run", "c", "-j4")
    assert result.exit_code == 0, result.output
    assert "2 ran, 0 skipped, 0 failed in" in result.output
    assert sorted((root / "events.txt").read_text().splitlines()) == ["end a", "end c", "start a", "start c"]
    assert not (root / "b.txt").exists() and not (root / "d.txt").exists()


INTERVALS = '''
import json
import subprocess
import sys
import os
import pathlib
import time
from typing import Annotated

from pivot import loaders, outputs


def _span(name):
    start = time.time()
    time.sleep(0.4)
    end = time.time()
    pathlib.Path("spans").mkdir(exist_ok=True)
    pathlib.Path("spans", name).write_text(json.dumps([start, end, os.getpid()]))
    return name


def one() -> Annotated[str, outputs.Out("one.txt", loaders.Text())]:
    return _span("one")


def two() -> Annotated[str, outputs.Out("two.txt", loaders.Text())]:
    return _span("two")


def three() -> Annotated[str, outputs.Out("three.txt", loaders.Text())]:
    return _span("three")
'''

INTERVALS_PIPELINE = """
stages:
  one:
    python: stages.one
  two:
    python: stages.two
  three:
    python: stages.three
"""


def max_overlap(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans], key=lambda e: (e[0], e[1]))
    live = most = 0
    for _, step in edges:  # at equal times an end (-1) sorts before a start (+1)
        live += step
        most = max(most, live)
    return most


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_j2_never_runs_more_than_two_stages_at_once(project, pivot):
    root = project({"stages.py": INTERVALS, "pivot.yaml": INTERVALS_PIPELINE})
    result = pivot("run", "-j2")
    assert result.exit_code == 0, result.output
    assert "3 ran, 0 skipped, 0 failed in" in result.output
    spans = [json.loads(path.read_text()) for path in sorted((root / "spans").iterdir())]
    assert len(spans) == 3
    assert max_overlap([(start, end) for start, end, _ in spans]) <= 2
    # the stages ran in worker processes, not in the pivot process itself
    assert all(pid != os.getpid() for _, _, pid in spans)


def test_max_overlap_helper():
    assert max_overlap([(0, 1), (1, 2), (2, 3)]) == 1
    assert max_overlap([(0, 3), (1, 2), (1.5, 4)]) == 3
    assert max_overlap([(0, 2), (1, 3), (2, 4)]) == 2


EMBEDDED = """
import sys
from pivot.cli import cli

# No `if __name__ == "__main__":` guard, as in many notebooks and scripts: workers must not
# re-import this module.
try:
    cli.main(["run", "-j2"], standalone_mode=False)
except SystemExit as exc:
    sys.exit(exc.code)
print("embedded run finished")
"""


@pytest.mark.slow
def test_pivot_embedded_in_an_unguarded_script_runs(project):
    root = project(
        {
            "stages.py": _TWO,
            "pivot.yaml": "stages:\n  a:\n    python: stages.a\n  b:\n    python: stages.b\n",
            "embed.py": EMBEDDED,
        }
    )
    done = subprocess.run([sys.executable, "embed.py"], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "embedded run finished" in done.stdout
    assert done.stdout.count("embedded run finished") == 1
    assert (root / "a.txt").read_text() == "A" and (root / "b.txt").read_text() == "B"


_TWO = """
from typing import Annotated
from pivot import loaders, outputs


def a() -> Annotated[str, outputs.Out("a.txt", loaders.Text())]:
    return "A"


def b() -> Annotated[str, outputs.Out("b.txt", loaders.Text())]:
    return "B"
"""
