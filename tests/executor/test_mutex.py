"""`mutex:` groups under -j 8: stages of one group never overlap, while stages outside it run
beside them (so a scheduler that ran everything one at a time would fail here too); `mutex: "*"`
runs a stage alone. Nothing measures durations: each stage of a group takes an O_EXCL lock file
(a second holder would fail its stage), and overlap is checked on the intervals stages record."""

from __future__ import annotations

import json

import pytest
from test_parallel import max_overlap

STAGES = '''
import json
import os
import pathlib
import time
from typing import Annotated

from pivot import loaders, outputs

HOLD = float(pathlib.Path("hold.txt").read_text()) if pathlib.Path("hold.txt").exists() else 0.6


def _record(name, start):
    pathlib.Path("spans").mkdir(exist_ok=True)
    pathlib.Path("spans", name).write_text(json.dumps([start, time.monotonic()]))


def _in_group(name, group):
    start = time.monotonic()
    # O_EXCL: fails if another stage of the group holds it right now
    fd = os.open(f"held.{group}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    os.write(fd, name.encode())
    time.sleep(HOLD)
    os.close(fd)
    os.remove(f"held.{group}")
    _record(name, start)
    return name


def _beside(name, group):
    """Wait until some stage of the group holds it: only possible while running beside it."""
    start = time.monotonic()
    deadline = start + 60
    while not os.path.exists(f"held.{group}"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} never ran while a stage of {group} held it")
        time.sleep(0.005)
    _record(name, start)
    return name


def g1() -> Annotated[str, outputs.Out("g1.txt", loaders.Text())]:
    return _in_group("g1", "gpu")


def g2() -> Annotated[str, outputs.Out("g2.txt", loaders.Text())]:
    return _in_group("g2", "gpu")


def g3() -> Annotated[str, outputs.Out("g3.txt", loaders.Text())]:
    return _in_group("g3", "gpu")


def g4() -> Annotated[str, outputs.Out("g4.txt", loaders.Text())]:
    return _in_group("g4", "gpu")


def free1() -> Annotated[str, outputs.Out("free1.txt", loaders.Text())]:
    return _beside("free1", "gpu")


def free2() -> Annotated[str, outputs.Out("free2.txt", loaders.Text())]:
    return _beside("free2", "gpu")


def left() -> Annotated[str, outputs.Out("left.txt", loaders.Text())]:
    return _meet("left", "right")


def right() -> Annotated[str, outputs.Out("right.txt", loaders.Text())]:
    return _meet("right", "left")


def solo() -> Annotated[str, outputs.Out("solo.txt", loaders.Text())]:
    start = time.monotonic()
    time.sleep(HOLD)
    _record("solo", start)
    return "solo"


def after() -> Annotated[str, outputs.Out("after.txt", loaders.Text())]:
    start = time.monotonic()
    time.sleep(HOLD)
    _record("after", start)
    return "after"


def _meet(me, other):
    start = time.monotonic()
    pathlib.Path(f"{me}.marker").write_text("here")
    deadline = start + 60
    while not pathlib.Path(f"{other}.marker").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{me} waited for {other}, which never started")
        time.sleep(0.005)
    _record(me, start)
    return me
'''


def _pipeline(entries: list[tuple[str, str]]) -> str:
    lines = ["stages:"]
    for name, mutex in entries:
        lines += [f"  {name}:", f"    python: stages.{name}"] + ([f"    mutex: {mutex}"] if mutex else [])
    return "\n".join(lines) + "\n"


def _spans(root, *names):
    return {name: tuple(json.loads((root / "spans" / name).read_text())) for name in names}


@pytest.mark.slow
def test_a_group_never_overlaps_under_j8_while_other_stages_run_beside_it(project, pivot):
    # The group's stages come first in pivot.yaml: those waiting for it must not hold back the
    # free stages listed after them.
    entries = [("g1", "gpu"), ("g2", "[gpu]"), ("g3", "[gpu, disk]"), ("g4", "gpu"), ("free1", ""), ("free2", "")]
    root = project({"stages.py": STAGES, "pivot.yaml": _pipeline(entries)})
    result = pivot("run", "-j8")
    assert result.exit_code == 0, result.output
    assert "6 ran, 0 skipped, 0 failed" in result.output
    spans = _spans(root, "g1", "g2", "g3", "g4")
    assert max_overlap(list(spans.values())) == 1, spans
    # free1 and free2 each saw the group held: they ran while a gpu stage did
    assert (root / "free1.txt").read_text() == "free1" and (root / "free2.txt").read_text() == "free2"


@pytest.mark.slow
def test_a_star_stage_runs_alone(project, pivot):
    # left and right can only succeed together; solo waits for them, and after waits for solo.
    entries = [("left", ""), ("right", ""), ("solo", '"*"'), ("after", "")]
    root = project({"stages.py": STAGES, "pivot.yaml": _pipeline(entries)})
    result = pivot("run", "-j8")
    assert result.exit_code == 0, result.output
    spans = _spans(root, "left", "right", "solo", "after")
    solo_start, solo_end = spans.pop("solo")
    for name, (start, end) in spans.items():
        assert end <= solo_start or start >= solo_end, (name, spans, (solo_start, solo_end))


def test_in_process_every_stage_of_groups_runs_once_in_order(project, pivot):
    """The in-process executor finishes a stage before the next starts, but the scheduler still
    parks and wakes stages by group: none may be lost or run twice."""
    entries = [("g1", "gpu"), ("g2", "gpu"), ("solo", "'*'"), ("g3", "[gpu, disk]"), ("after", ""), ("g4", "disk")]
    root = project({"stages.py": STAGES, "pivot.yaml": _pipeline(entries), "hold.txt": "0"})
    result = pivot("run", "-j8", "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    assert "6 ran, 0 skipped, 0 failed" in result.output
    spans = _spans(root, "g1", "g2", "g3", "g4", "solo", "after")
    assert max_overlap(list(spans.values())) == 1
    again = pivot("run", "-j8", "--executor", "inprocess")
    assert "0 ran, 6 skipped, 0 failed" in again.output
