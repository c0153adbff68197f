"""How the core tells the outside world what is happening, without printing anything itself."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pivot.decide.status import Decision


class StageStatus(enum.Enum):
    RAN = "ran"
    SKIPPED = "skipped"  # up to date
    RESTORED = "restored"  # up to date once its outputs came back from the cache
    RUN_CACHE = "restored from run cache"  # stale, but a recorded run with the same inputs made its outputs
    FAILED = "failed"
    BLOCKED = "blocked"  # an upstream stage failed (keep-going)
    NOT_STARTED = "not started"  # the run stopped before reaching it (fail-fast, Ctrl-C)
    FROZEN = "frozen"  # `frozen: true`: not run, whatever changed (its missing outputs restored)


@dataclasses.dataclass(frozen=True, slots=True)
class StageResult:
    """What happened to one stage in a run: its outcome, how long it took, and why (decision, error)."""

    name: str
    status: StageStatus
    duration: float = 0.0
    decision: Decision | None = None
    error: str = ""  # one line
    traceback: str = ""
    worker: int | None = None  # the pid of the process that ran it, when it ran
    cpu: float | None = None  # CPU seconds it used, when it ran (pivot.executor.usage)
    peak_rss: int | None = None  # its peak resident memory in bytes, where measured


@dataclasses.dataclass(frozen=True, slots=True)
class RunSummary:
    """Every stage's result in run order, and the run's wall time."""

    results: tuple[StageResult, ...]
    duration: float
    removed_temps: tuple[str, ...] = ()  # temp outputs removed as their readers finished

    def count(self, *statuses: StageStatus) -> int:
        return sum(1 for result in self.results if result.status in statuses)

    @property
    def ok(self) -> bool:
        return not self.count(StageStatus.FAILED, StageStatus.BLOCKED, StageStatus.NOT_STARTED)


class Reporter:
    """Null reporter; the CLI subclasses it. Every method is called from the main thread."""

    def run_started(self, total: int, jobs: int) -> None:
        pass

    def stage_started(self, name: str, decision: Decision) -> None:
        pass

    def stage_output(self, name: str, line: str) -> None:
        pass

    def stage_retrying(self, name: str, attempt: int, attempts: int, error: str) -> None:
        """Run `attempt` (of at most `attempts`) of the stage failed with `error`; it runs again."""

    def stage_finished(self, result: StageResult) -> None:
        pass

    def stages_finished(self, results: Sequence[StageResult]) -> None:
        """Several stages at once (a run with nothing to do); a console writes them in one go."""
        for result in results:
            self.stage_finished(result)

    def run_finished(self, summary: RunSummary) -> None:
        pass
