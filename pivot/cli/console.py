"""Printing a run: a tqdm bar over stages on a terminal, plain lines elsewhere (CI, pipes); and
what pivot changed in .gitignore files (run, checkout, pull, track)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from pivot.cli import verbosity
from pivot.decide.status import INCREMENTAL_NOTE, Change, Decision
from pivot.executor import reporting
from pivot.executor.reporting import RunSummary, StageResult, StageStatus
from pivot.worktree import gitignore


def make_reporter() -> reporting.Reporter:
    if verbosity.quiet():
        return QuietReporter()
    if sys.stdout.isatty() and not os.environ.get("CI"):
        return BarReporter()
    return LineReporter()


class LineReporter(reporting.Reporter):
    def _echo(self, text: str) -> None:
        click.echo(text)

    def stage_started(self, name: str, decision: Decision) -> None:
        self._echo(f"{name}: running ({decision.reason_text()})")
        from pivot.worktree import restore  # a stage that runs: not for a run with nothing to do

        for change in decision.out_changes:
            if change.change is Change.EDITED:
                self._echo(f"{name}: {restore.edited_note(change.path)}: the stage replaces it")
        if decision.run_cache_note and decision.run_cache_note != INCREMENTAL_NOTE:
            self._echo(f"{name}: {decision.run_cache_note}")

    def stage_output(self, name: str, line: str) -> None:
        self._echo(f"[{name}] {line}")

    def stage_retrying(self, name: str, attempt: int, attempts: int, error: str) -> None:
        self._echo(f"{name}: failed (attempt {attempt} of {attempts}), running it again: {error}")

    def stage_finished(self, result: StageResult) -> None:
        self._echo("\n".join(_lines(result)))

    def stages_finished(self, results: Sequence[StageResult]) -> None:
        if results:  # one write: 10,000 up-to-date lines are not 10,000 flushes
            self._echo("\n".join(line for result in results for line in _lines(result)))

    def run_finished(self, summary: RunSummary) -> None:
        self._echo(summary_line(summary))


class QuietReporter(LineReporter):
    """`pivot -q run`: failures (with their tracebacks) and the summary line, nothing else."""

    def stage_started(self, name: str, decision: Decision) -> None:
        pass

    def stage_output(self, name: str, line: str) -> None:
        pass

    def stage_retrying(self, name: str, attempt: int, attempts: int, error: str) -> None:
        pass

    def stage_finished(self, result: StageResult) -> None:
        self.stages_finished([result])

    def stages_finished(self, results: Sequence[StageResult]) -> None:
        super().stages_finished([result for result in results if result.status is StageStatus.FAILED])


class BarReporter(LineReporter):
    def __init__(self) -> None:
        self._bar: Any = None

    def _echo(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text)
        else:
            click.echo(text)

    def run_started(self, total: int, jobs: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit="stage", leave=False, dynamic_ncols=True)

    def stage_finished(self, result: StageResult) -> None:
        super().stage_finished(result)
        if self._bar is not None:
            self._bar.update(1)

    def stages_finished(self, results: Sequence[StageResult]) -> None:
        super().stages_finished(results)
        if self._bar is not None:
            self._bar.update(len(results))

    def run_finished(self, summary: RunSummary) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        super().run_finished(summary)


def _lines(result: StageResult) -> list[str]:
    """What the console shows of a finished stage: one line, and a failure's traceback."""
    lines = [describe(result)]
    if result.status is StageStatus.FAILED and result.traceback:
        lines.extend(f"  {line}" for line in result.traceback.rstrip().splitlines())
    return lines


def describe(result: StageResult) -> str:
    if result.status is StageStatus.RAN:
        return f"{result.name}: ran in {result.duration:.1f}s"
    if result.status is StageStatus.SKIPPED:
        return f"{result.name}: up to date"
    if result.status is StageStatus.RESTORED:
        restored = ", ".join(result.decision.restore) if result.decision else ""
        return f"{result.name}: up to date (restored {restored} from the cache)"
    if result.status is StageStatus.RUN_CACHE:
        reasons = result.decision.reason_text() if result.decision else ""
        return f"{result.name}: restored from run cache ({reasons})"
    if result.status is StageStatus.FROZEN and result.decision is not None:
        restored = f", restored {', '.join(result.decision.restore)} from the cache" if result.decision.restore else ""
        return f"{result.name}: not run: {result.decision.reason_text()}{restored}"
    return f"{result.name}: FAILED: {result.error}"


def summary_line(summary: RunSummary) -> str:
    ran = summary.count(StageStatus.RAN)
    skipped = summary.count(StageStatus.SKIPPED, StageStatus.RESTORED, StageStatus.FROZEN)
    failed = summary.count(StageStatus.FAILED)
    text = f"{ran} ran, {skipped} skipped, {failed} failed"
    from_run_cache = summary.count(StageStatus.RUN_CACHE)
    if from_run_cache:
        text += f", {from_run_cache} restored from run cache"
    blocked = summary.count(StageStatus.BLOCKED)
    not_started = summary.count(StageStatus.NOT_STARTED)
    if blocked:
        text += f", {blocked} blocked"
    if not_started:
        text += f", {not_started} not started"
    return f"{text} in {summary.duration:.1f}s"


def report_gitignore(update: gitignore.Update, *, quiet: bool = False) -> None:
    """One line when pivot changed .gitignore files (unless `quiet`: a run's output is about its
    stages, and git status shows the change), and a warning per git-tracked file git ignores."""
    if update.written and not quiet and not verbosity.quiet():
        changes = []
        if update.added:
            changes.append(f"{_entries(update.added)} added for cached outputs")
        if update.removed:
            changes.append(f"{_entries(update.removed)} removed for files git tracks (metrics)")
        click.echo(f"Updated {', '.join(update.written)}: {', '.join(changes)}")
    for path, problem in update.failed:
        click.echo(f"warning: cannot update {path}: {problem}; add the cached outputs to it yourself", err=True)
    for path, source in update.still_ignored:
        click.echo(
            f"warning: {path} is kept in git (not cached), but git ignores it ({source}); "
            f"delete that line or add '!/{path.rsplit('/', 1)[-1]}' to the .gitignore beside it",
            err=True,
        )


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"
