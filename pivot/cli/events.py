"""`pivot run --jsonl`: one JSON object per line for each event of a run (and of `--watch`), for
editors and dashboards. The schema is docs/events.md; every object carries `"schema": 1`, so a
reader that starts mid-stream (a tail of a watch) still knows what it reads. A change that breaks
a reader (a field renamed or removed, a meaning changed) raises SCHEMA; new fields and new events
do not."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

import click

from pivot import errors
from pivot.api import executors
from pivot.cli import scale
from pivot.decide.status import Decision
from pivot.executor.reporting import RunSummary, StageResult, StageStatus

SCHEMA = 1

# Why a stage that did not run did not, when its decision has no words for it.
_NOT_RUN = {
    StageStatus.SKIPPED: "up to date",
    StageStatus.BLOCKED: "an upstream stage failed",
    StageStatus.NOT_STARTED: "the run stopped before it started",
}


def status_name(status: StageStatus) -> str:
    """The status as events spell it: ran, skipped, restored, run_cache, failed, blocked,
    not_started, frozen."""
    return status.name.lower()


class JsonLinesReporter(executors.Reporter):
    """Prints each event as one JSON line on stdout, flushed at once (a reader sees it live).
    `run` counts the runs of this process: a watch's events say which run they belong to."""

    def __init__(self) -> None:
        self.run = 0
        self._held: list[str] | None = None  # lines of a batch, written at once

    def emit(self, event: str, **fields: Any) -> None:
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
        record = {"schema": SCHEMA, "event": event, "time": now.replace("+00:00", "Z"), **fields}
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        if self._held is not None:
            self._held.append(line)
        else:
            click.echo(line)

    def dask_started(self, setup: executors.DaskSetup) -> None:
        self.emit("executor", run=self.run, cluster=setup.cluster, data=scale.data_text(setup))

    def run_started(self, total: int, jobs: int) -> None:
        self.run += 1
        self.emit("run_started", run=self.run, stages=total, jobs=jobs)

    def stage_started(self, name: str, decision: Decision) -> None:
        self.emit("stage_started", run=self.run, stage=name, reason=decision.reason_text(), note=decision.run_cache_note or None)

    def stage_output(self, name: str, line: str) -> None:
        self.emit("stage_output", run=self.run, stage=name, line=line)

    def stage_retrying(self, name: str, attempt: int, attempts: int, error: str) -> None:
        self.emit("stage_retrying", run=self.run, stage=name, attempt=attempt, attempts=attempts, error=error)

    def stage_finished(self, result: StageResult) -> None:
        stage, status = result.name, status_name(result.status)
        if result.status is StageStatus.RAN:
            self.emit("stage_finished", run=self.run, stage=stage, status=status, duration=round(result.duration, 3))
        elif result.status is StageStatus.FAILED:
            self.emit(
                "stage_failed",
                run=self.run,
                stage=stage,
                status=status,
                duration=round(result.duration, 3),
                error=result.error,
                traceback=result.traceback or None,
            )
        else:
            self.emit("stage_skipped", run=self.run, stage=stage, status=status, reason=_skip_reason(result))

    def stages_finished(self, results: Sequence[StageResult]) -> None:
        # One write, as the console does: 10,000 up-to-date stages are not 10,000 flushes.
        held: list[str] = []
        self._held = held
        try:
            for result in results:
                self.stage_finished(result)
        finally:
            self._held = None
        if held:
            click.echo("\n".join(held))

    def run_finished(self, summary: RunSummary) -> None:
        # The executor reports these in the summary only (a console's count is enough); a reader
        # of events gets one event per stage of the run.
        for result in summary.results:
            if result.status in (StageStatus.BLOCKED, StageStatus.NOT_STARTED):
                self.stage_finished(result)
        counts = {status_name(status): summary.count(status) for status in StageStatus}
        self.emit("run_finished", run=self.run, ok=summary.ok, duration=round(summary.duration, 3), counts=counts)

    def error(self, error: errors.PivotError) -> None:
        """A run that could not start (bad pivot.yaml, the project busy): what `pivot run` would
        print as `error: ...`, with the exit code it would end with."""
        from pivot.base import redaction

        self.emit("error", run=self.run, message=redaction.redact_text(str(error)), exit_code=error.exit_code)


def _skip_reason(result: StageResult) -> str:
    decision = result.decision
    if result.status is StageStatus.RESTORED and decision is not None:
        return f"up to date, restored {', '.join(decision.restore)} from the cache"
    text = decision.reason_text() if decision is not None else ""
    return text or _NOT_RUN.get(result.status, "")
