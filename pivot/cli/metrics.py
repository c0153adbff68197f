"""`pivot metrics show|diff`: the values in Metric files now, and against a git revision."""

from __future__ import annotations

import click

from pivot.cli import common, output
from pivot.report import snapshot, views


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


def _warn_unreadable(*sides: snapshot.Snapshot) -> None:
    """One stderr line per unreadable file and side, then exit 1: a report that left a file out
    must not pass for a complete one in CI."""
    problems = [(side.label, path, p) for side in sides for path, p in side.unreadable.items()]
    for label, path, problem in problems:
        click.echo(f"warning: {path} ({label}): {problem.reason}; {problem.hint}", err=True)
    if problems:
        click.get_current_context().exit(1)
