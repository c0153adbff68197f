"""How the `pivot` program's process lives and ends.

It ends with `os._exit` as soon as its command has (pivot.cli.ending), so what the kernel does at
exit need not be done before it: idle workers end with the zygote after pivot
(pivot.executor.forkpool), and the stat memo's connection is closed by the kernel, not by
SQLite's checkpoint (pivot.storage.state).

And its garbage collector runs rarely (`collect_rarely`). Imports make ~25,000 objects before a
run's first stage starts and a cold run's loading as many again; at Python's own thresholds the
collector walks them some 50 times, finding next to nothing (7 ms of the start), and pivot.cli.ending
freezes what exists when the command starts so that no pass walks it again. Later objects are
collected every 20,000 allocations, but a `pivot run` allocates some 40,000 between its load and
its first stages, and the pass that fell there cost 5-15 ms on the way to the first stage. So a
run collects every 100,000 allocations until its first stages are under way (`stages_started`),
then every 20,000: a young generation of 100,000 objects made a 1,000-stage cold run 5% slower (the
collector's walks leave the cache). Its stages run at the interpreter's thresholds
(`stage_gc_threshold`, pivot.executor.zygote).
"""

from __future__ import annotations

import gc

# Set by the `pivot` program (pivot.cli.ending); any other caller (the Python API, tests) ends its
# workers and closes its files as usual.
ends_after_command = False

# The collector's thresholds the stages get (pivot.executor.zygote), where the pivot program set
# its own (`collect_rarely`); None: as the process has them.
stage_gc_threshold: tuple[int, int, int] | None = None

GEN0 = 20_000  # allocations between two of the program's collections
GEN0_UNTIL_STAGES = 100_000  # the same, in a run, until its first stages are under way

_until_stages = False


def collect_rarely(*, until_stages: bool = False) -> None:
    """The program's thresholds, from its first line (`until_stages`: it runs stages); the
    interpreter's are kept for the stages. Once only: the first caller's say."""
    global stage_gc_threshold, _until_stages
    if stage_gc_threshold is not None:
        return
    stage_gc_threshold = gc.get_threshold()
    _until_stages = until_stages
    gc.set_threshold(GEN0_UNTIL_STAGES if until_stages else GEN0, 10, 10)


def stages_started() -> None:
    """A run's first stages are under way (sent, and one has ended or a moment passed): from now
    on the program collects as any command does."""
    global _until_stages
    if _until_stages:
        _until_stages = False
        gc.set_threshold(GEN0, 10, 10)
