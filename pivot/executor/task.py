"""The values that cross the process boundary: `StageTask` in, `StageOutcome` out, and `Shared`
for what every task of a run takes alike."""

from __future__ import annotations

import dataclasses
from typing import Generic, TypeVar

from pivot.declare.stage import Stage

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class Shared(Generic[T]):
    """A task argument that many tasks of one run take alike (the project's code). An executor
    that can (Dask) sends it to each worker once and hands every task that worker's copy; the
    others pass it along with each task. `digest` names the content, so a worker holding an
    older value never passes it off as this one."""

    digest: str
    value: T
    label: str  # what it is, for messages: "the project's code"


@dataclasses.dataclass(frozen=True, slots=True)
class StageTask:
    """What a worker needs to run one stage."""

    stage: Stage
    root: str  # the project root: the worker's cwd and first entry on sys.path
    log_path: str  # where the stage's stdout and stderr go
    # On a Dask worker: it lives across many pivot runs, so the project's modules are forgotten
    # after the stage (the next run imports the code as it is then); and Dask may run the task
    # again after its first worker died, so the outputs are cleared first, as the client did.
    on_cluster: bool = False
    # Where the stage's code is imported from when it is not `root`: an experiment runs in a
    # scratch copy of the project, but on the project's modules, which the fork server holds.
    code_root: str | None = None
    threads: int = 1  # the stage's `threads`, at most -j: PIVOT_THREADS while it runs


@dataclasses.dataclass(frozen=True, slots=True)
class Produced:
    """An output made where the workspace is not (remote-cache mode): its hash as the lock records
    it, and the bytes of an output that is not cached (a metric), which the client writes."""

    path: str
    oid: str
    size: int
    nfiles: int | None = None
    content: bytes | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class StageOutcome:
    """What a worker sends back after running one stage."""

    stage: str
    ok: bool
    duration: float
    error: str = ""  # one line: what went wrong
    traceback: str = ""  # the user's frames only
    # Remote-cache mode only: the worker's log and outputs could not be written into the workspace.
    log: str | None = None
    produced: tuple[Produced, ...] | None = None
    bytes_in: int = 0  # deps fetched from the remote by the worker
    bytes_out: int = 0  # outputs pushed to the remote by the worker
    disk_full_hint: str | None = None  # set when the stage failed for want of space: what to do
    worker: int | None = None  # the pid of the process that ran it (on Dask: that worker's)
    cpu: float | None = None  # CPU seconds, its child processes' included (pivot.executor.usage)
    peak_rss: int | None = None  # peak resident memory, bytes; None where it cannot be measured


def run(task: StageTask) -> StageOutcome:
    """What a local worker is sent for each stage: `worker.execute`, imported there (the fork
    server preloads it) and never in pivot's own process, which needs only to send the task."""
    from pivot.executor import worker

    return worker.execute(task)
