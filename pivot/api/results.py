"""The values `pivot.api` hands back: what a run did per stage, what status and explain found.
Plain frozen dataclasses, so a caller can compare, store or print them as it likes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pivot.executor.reporting import RunSummary, StageResult
from pivot.executor.reporting import StageStatus as Outcome
from pivot.worktree import gitignore

if TYPE_CHECKING:
    from pivot.decide.status import Decision
    from pivot.worktree import tracking

__all__ = ["Outcome", "RunReport", "StageRun", "StageStatus", "StatusReport", "TrackedStatus", "Traffic"]


def _explained(decision: Decision) -> bool:
    """Whether the decision's reasons say something: it runs, or would but is frozen."""
    return decision.run or decision.from_run_cache or decision.frozen


@dataclasses.dataclass(frozen=True, slots=True)
class StageRun:
    """One stage of a run: what happened to it, why, and how long it took."""

    stage: str
    outcome: Outcome  # ran, skipped, restored, restored from run cache, failed, blocked, not started, frozen
    reason: str  # why it ran (or was restored from the run cache); "" when it was up to date
    duration: float  # seconds its function ran (0 when it did not run)
    error: str = ""  # one line, when it failed
    traceback: str = ""  # the user's code's traceback, when it raised
    decision: Decision | None = None  # the full decision, as `explain` shows it
    worker: int | None = None  # the pid of the process that ran it, when it ran
    cpu: float | None = None  # CPU seconds it used, its child processes' included
    peak_rss: int | None = None  # its peak resident memory, bytes (None where not measured)

    @classmethod
    def of(cls, result: StageResult) -> StageRun:
        decision = result.decision
        reason = decision.reason_text() if decision is not None and _explained(decision) else ""
        return cls(
            result.name, result.status, reason, result.duration, result.error, result.traceback, decision, result.worker, result.cpu, result.peak_rss
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Traffic:
    """Bytes a run on Dask in remote-cache mode moved through the remote."""

    remote: str  # the remote's name
    workers_in: int  # deps the workers fetched
    workers_out: int  # outputs the workers pushed
    client_up: int  # deps this machine uploaded
    client_down: int  # outputs this machine downloaded
    stages: int  # stages that ran remotely and succeeded
    code: int  # the project's code bundle (compressed), sent once to each worker, not per stage


@dataclasses.dataclass(frozen=True, slots=True)
class RunReport:
    """What `Project.run` did: one `StageRun` per selected stage, in run order."""

    stages: tuple[StageRun, ...]
    duration: float  # seconds, the whole run
    summary: RunSummary  # the executor's own record (what the CLI's summary line counts)
    gitignore: gitignore.Update = dataclasses.field(default_factory=gitignore.Update)
    traffic: Traffic | None = None  # Dask remote-cache mode only
    removed_temps: tuple[str, ...] = ()  # temp outputs removed once every stage reading them was up to date

    @property
    def ok(self) -> bool:
        """No stage failed, was blocked, or was left unstarted."""
        return self.summary.ok

    def __getitem__(self, stage: str) -> StageRun:
        for run in self.stages:
            if run.stage == stage:
                return run
        raise KeyError(stage)

    @property
    def outcomes(self) -> Mapping[str, Outcome]:
        return {run.stage: run.outcome for run in self.stages}


@dataclasses.dataclass(frozen=True, slots=True)
class StageStatus:
    """One stage as `pivot status` shows it: up to date, or will run and why."""

    stage: str
    will_run: bool
    reason: str  # "" when up to date
    blocked: bool  # a dependency is missing (here or upstream): it cannot run
    from_run_cache: bool  # stale, but a recorded run will restore its outputs
    restore: tuple[str, ...]  # outputs that come back from the cache instead of running
    decision: Decision

    @classmethod
    def of(cls, decision: Decision) -> StageStatus:
        reason = decision.reason_text() if _explained(decision) else ""
        return cls(
            decision.stage, decision.run, reason, decision.blocked, decision.from_run_cache, tuple(decision.restore), decision
        )


@dataclasses.dataclass(frozen=True, slots=True)
class TrackedStatus:
    """A path tracked by a .pvt file, and whether it still matches."""

    path: str
    pvt: str
    state: tracking.State


@dataclasses.dataclass(frozen=True, slots=True)
class StatusReport:
    """`pivot status`: each stage's decision, and each .pvt-tracked path's state."""

    stages: tuple[StageStatus, ...]
    tracked: tuple[TrackedStatus, ...]

