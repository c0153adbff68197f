"""`pivot metrics show|diff|history`: the values in Metric files now, against a git revision,
and across the last commits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from pivot.cli import common, output
from pivot.report import render, snapshot, views

if TYPE_CHECKING:
    from pivot.report.history import History

SUBJECT_WIDTH = 50


@click.group()
def metrics() -> None:
    """Show and compare metrics."""


@metrics.command()
@output.format_options
@click.option("--precision", type=click.IntRange(min=0), default=5, show_default=True)
def show(as_json: bool, as_md: bool, precision: int) -> None:
    """Every Metric output of the pipeline, nested keys joined with dots."""
    now = common.api().metrics()
    output.emit(views.metrics_show(now.metrics, precision, now.unreadable), as_json, as_md)
    _warn_unreadable(now)


@metrics.command(name="diff")
@click.argument("old_rev", required=False)
@click.argument("new_rev", required=False)
@output.format_options
@click.option("--all", "show_all", is_flag=True, help="Unchanged metrics too.")
@click.option("--precision", type=click.IntRange(min=0), default=5, show_default=True, help="Decimal places.")
@click.option("--no-path", is_flag=True, help="Leave out the Path column.")
def diff_command(
    old_rev: str | None, new_rev: str | None, as_json: bool, as_md: bool, show_all: bool, precision: int, no_path: bool
) -> None:
    """Metrics at OLD_REV (default HEAD) against NEW_REV (default: the workspace)."""
    sides = common.api().compare(old_rev, new_rev, include_unchanged=show_all)
    old, new = sides.old, sides.new
    view = views.metrics_diff(
        sides.metrics,
        old.label,
        new.label,
        precision=precision,
        with_path=not no_path,
        old_unreadable=old.unreadable,
        new_unreadable=new.unreadable,
    )
    output.emit(view, as_json, as_md)
    _warn_unreadable(old, new)


@metrics.command(name="history")
@click.argument("names", nargs=-1, metavar="[METRIC]...")
@click.option("-n", "count", type=click.IntRange(min=1), default=10, show_default=True, help="How many commits.")
@output.format_options
@click.option("--precision", type=click.IntRange(min=0), default=5, show_default=True, help="Decimal places.")
def history_command(names: tuple[str, ...], count: int, as_json: bool, as_md: bool, precision: int) -> None:
    """Each metric at each of the last N commits of the current branch, newest first, read from
    git without a checkout. METRIC is a key (in any file) or FILE:KEY; default: every metric.
    With --md, also a Mermaid line chart per metric."""
    if as_json and as_md:
        raise click.UsageError("choose one of --json and --md")
    past = common.api().metrics_history(count, names)
    view = _history_view(past, precision)
    if as_md:
        click.echo(view.markdown() + "".join("\n" + chart for chart in _history_charts(past)), nl=False)
    elif not as_json and not past.columns:
        click.echo(view.empty)
    else:
        output.emit(view, as_json, as_md)


def _history_view(past: History, precision: int) -> views.View:
    header = ("Commit", "Date", "Subject", *(column.name for column in past.columns))
    rows = []
    data: list[dict[str, Any]] = []
    for entry in past.entries:
        values = [entry.value(column) for column in past.columns]
        cells = ("-" if value is None else render.fmt(value, precision) for value in values)
        rows.append((entry.sha[:7], entry.date[:10], _short(entry.subject), *cells))
        nested: dict[str, dict[str, Any]] = {}
        for column, value in zip(past.columns, values, strict=True):
            nested.setdefault(column.path, {})[column.key] = value
        data.append({"commit": entry.sha, "date": entry.date, "subject": entry.subject, "metrics": nested, "unreadable": dict(entry.unreadable)})
    empty = f"No metrics in the last {len(past.entries)} commits."
    return views.View(header, tuple(rows) if past.columns else (), data, empty)


def _history_charts(past: History) -> list[str]:
    """One Mermaid line chart per metric with a number in it, oldest commit on the left."""
    from pivot.plots import mermaid

    oldest_first = past.entries[::-1]
    labels = [entry.sha[:7] for entry in oldest_first]
    charts = []
    for column in past.columns:
        values = [entry.value(column) for entry in oldest_first]
        try:
            charts.append(mermaid.line_chart(column.name, labels, {column.name: values}))
        except ValueError:  # text values (a model name): nothing to draw
            continue
    return charts


def _short(subject: str) -> str:
    return subject if len(subject) <= SUBJECT_WIDTH else subject[: SUBJECT_WIDTH - 1].rstrip() + "…"


def _warn_unreadable(*sides: snapshot.Snapshot) -> None:
    """One stderr line per unreadable file and side, then exit 1: a report that left a file out
    must not pass for a complete one in CI."""
    problems = [(side.label, path, p) for side in sides for path, p in side.unreadable.items()]
    for label, path, problem in problems:
        click.echo(f"warning: {path} ({label}): {problem.reason}; {problem.hint}", err=True)
    if problems:
        click.get_current_context().exit(1)
