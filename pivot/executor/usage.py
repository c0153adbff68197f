"""What a stage used, measured in the worker that ran it: CPU seconds (its own and its child
processes') and peak resident memory, as Snakemake's `benchmark:` files record them; `pivot show`
lists them per stage.

Workers run many stages, so a process-wide peak would only ever grow. On Linux the worker's own
peak is reset before each stage (writing 5 to /proc/self/clear_refs resets VmHWM) and read after
it; a shell stage's commands are measured one by one as they are reaped (`os.wait4`). Elsewhere
the memory peak is left out (None) rather than guessed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import resource
from collections.abc import Iterator

_STATUS = "/proc/self/status"


@dataclasses.dataclass(slots=True)
class Measure:
    """Filled in as the stage runs; read once it is over."""

    cpu: float | None = None  # seconds, user + system, its children's included
    peak_rss: int | None = None  # bytes
    children_peak: int = 0  # the largest command a shell stage ran (from `os.wait4`), bytes


@contextlib.contextmanager
def measuring() -> Iterator[Measure]:
    found = Measure()
    start = _cpu()
    reset = _reset_peak()
    try:
        yield found
    finally:
        found.cpu = max(0.0, _cpu() - start)
        own = _peak() if reset else None
        peaks = [peak for peak in (own, found.children_peak or None) if peak is not None]
        found.peak_rss = max(peaks) if peaks else None


def child_peak(usage: resource.struct_rusage) -> int:
    """A reaped child's peak resident memory in bytes (Linux reports kilobytes)."""
    return int(usage.ru_maxrss) * 1024


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:  # not Linux, or not allowed: no peak rather than a wrong one
        return False


def _peak() -> int | None:
    try:
        with open(_STATUS) as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
