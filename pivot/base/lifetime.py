"""How the `pivot` program's process lives and ends.

It ends with `os._exit` as soon as its command has (pivot.cli.ending), so what the kernel does at
exit need not be done before it: idle workers end with the zygote after pivot
(pivot.executor.forkpool), and the stat memo's connection is closed by the kernel, not by
SQLite's checkpoint (pivot.storage.state).

And its garbage collector runs rarely (`collect_rarely`). Imports make ~25,000 objects before a
run's first stage starts and a cold run's loading as many again, and the collector at Python's
own thresholds walks them some 50 times, finding next to nothing: 7 ms of the start. At one
pass per 20,000 allocations, that one pass still came while the first stages were being sent
(5-15 ms: a cold run allocates some 40,000 objects before its last stage starts). So the
program collects every 100,000 allocations, and never walks what exists when its command starts
(pivot.cli.ending freezes it). Its stages run at the interpreter's thresholds
(`stage_gc_threshold`, pivot.executor.zygote); a long command (a 10,000-stage run, `pivot
watch`) still collects, in fewer, larger passes.
"""

from __future__ import annotations

import gc

# Set by the `pivot` program (pivot.cli.ending); any other caller (the Python API, tests) ends its
# workers and closes its files as usual.
ends_after_command = False

# The collector's thresholds the stages get (pivot.executor.zygote), where the pivot program set
# its own (`collect_rarely`); None: as the process has them.
stage_gc_threshold: tuple[int, int, int] | None = None

PROGRAM_GEN0 = 100_000  # allocations between two of the program's collections


def collect_rarely() -> None:
    """The program's thresholds, from its first line; the interpreter's are kept for the stages."""
    global stage_gc_threshold
    if stage_gc_threshold is None:
        stage_gc_threshold = gc.get_threshold()
    gc.set_threshold(PROGRAM_GEN0, 10, 10)
