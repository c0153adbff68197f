"""`pivot run --watch`: what the watch loop (pivot.api.watch) says between runs, as console lines
or, with `--jsonl`, as events (docs/events.md)."""

from __future__ import annotations

from typing import Any

import click

from pivot import errors
from pivot.api import results, watch
from pivot.api.project import Project
from pivot.cli import console, scale
from pivot.cli.events import JsonLinesReporter

_SHOWN = 5  # changed paths named on the console line; the rest are counted


class ConsoleEvents(watch.Events):
    def ran(self, report: results.RunReport) -> None:
        if report.traffic is not None:
            scale.report_traffic(report.traffic)
        console.report_gitignore(report.gitignore, quiet=True)

    def waiting(self, watched: watch.Watched) -> None:
        click.echo(f"Watching {len(watched.paths)} paths for changes (Ctrl-C to stop)")

    def changed(self, paths: tuple[str, ...]) -> None:
        more = f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else ""
        click.echo(f"Changed: {', '.join(paths[:_SHOWN])}{more}")

    def error(self, error: errors.PivotError) -> None:
        from pivot.base import redaction

        click.echo(f"error: {redaction.redact_text(str(error))}", err=True)


class JsonEvents(watch.Events):
    def __init__(self, reporter: JsonLinesReporter) -> None:
        self._reporter = reporter

    def ran(self, report: results.RunReport) -> None:
        console.report_gitignore(report.gitignore, quiet=True)  # warnings only, on stderr

    def waiting(self, watched: watch.Watched) -> None:
        self._reporter.emit("watch_waiting", run=self._reporter.run, paths=len(watched.paths))

    def changed(self, paths: tuple[str, ...]) -> None:
        self._reporter.emit("watch_changed", run=self._reporter.run, paths=list(paths))

    def error(self, error: errors.PivotError) -> None:
        self._reporter.error(error)


def watch_forever(proj: Project, stages: tuple[str, ...], debounce_ms: int, options: dict[str, Any]) -> None:
    """Run STAGES and again on every change, until Ctrl-C (the group turns it into exit 130)."""
    reporter = options["reporter"]
    events = JsonEvents(reporter) if isinstance(reporter, JsonLinesReporter) else ConsoleEvents()
    proj.watch(stages, debounce_ms=debounce_ms, events=events, **options)
