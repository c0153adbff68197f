"""The pivot program's garbage collector (pivot.base.lifetime): a run collects rarely until its
first stages are under way, then as every command does; the interpreter's own thresholds are
kept for the stages; the first caller decides."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc
from pivot.base import lifetime

own = gc.get_threshold()
lifetime.collect_rarely(until_stages=True)
print(gc.get_threshold()[0], lifetime.stage_gc_threshold == own)
lifetime.collect_rarely()  # a second caller (the CLI's ending) does not undo the first's say
print(gc.get_threshold()[0])
lifetime.stages_started()
print(gc.get_threshold()[0])
lifetime.stages_started()
print(gc.get_threshold()[0], lifetime.stage_gc_threshold == own)
"""

OTHER_COMMAND = """
import gc
from pivot.base import lifetime

lifetime.collect_rarely()
lifetime.stages_started()  # (never called by a command that runs nothing; harmless)
print(gc.get_threshold()[0])
"""


def _run(script: str) -> list[str]:
    # A fresh interpreter: the collector's thresholds are the process's.
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()


def test_a_run_collects_every_100000_allocations_until_its_stages_are_under_way():
    assert _run(SCRIPT) == ["100000", "True", "100000", "20000", "20000", "True"]


def test_another_command_collects_every_20000_allocations_from_the_start():
    assert _run(OTHER_COMMAND) == ["20000"]
