"""`pivot history` and `pivot show`: the runs `pivot run` recorded in .pivot/runs/
(pivot.api.runlog reads them; this module only formats)."""

from __future__ import annotations

import json

import click

from pivot.api import runlog
from pivot.base import wording
from pivot.cli import common


@click.command()
@click.option("-n", "count", type=click.IntRange(min=1), default=10, show_default=True, help="How many runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output: a list of run records.")
def history(count: int, as_json: bool) -> None:
    """The last runs, newest first: id, start, duration, and how many stages ran, were restored,
    skipped or failed."""
    runs = runlog.history(common.find_project(), count)
    if as_json:
        click.echo(json.dumps([run.as_json() for run in runs], indent=1))
        return
    if not runs:
        click.echo("No run is recorded yet: 'pivot run' records each run.")
        return
    for run in runs:
        counts = ", ".join(f"{n} {what}" for what, n in run.counts.items())
        click.echo(f"{run.id}  {_when(run.started)}  {_seconds(run.duration):>8}  {counts}")


@click.command()
@click.argument("run_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output: the run record.")
def show(run_id: str | None, as_json: bool) -> None:
    """One recorded run (default: the last; an id or its unique start), its stages slowest first."""
    run = runlog.show(common.find_project(), run_id)
    if as_json:
        record = run.as_json()
        by_stage = {stage["stage"]: stage for stage in record["stages"]}
        record["stages"] = [by_stage[entry.stage] for entry in run.slowest_first]
        click.echo(json.dumps(record, indent=1))
        return
    targets = " ".join(run.targets) or "all stages"
    click.echo(f"Run {run.id}: {targets}, started {_when(run.started)}, took {_seconds(run.duration)}")
    for entry in run.slowest_first:
        why = entry.error or entry.reason
        worker = f" [pid {entry.worker}]" if entry.worker is not None else ""
        click.echo(f"  {_seconds(entry.duration):>8}  {entry.stage}: {entry.status.value}{worker}{_used(entry)}" + (f" ({why})" if why else ""))


def _used(entry: runlog.StageEntry) -> str:
    """`, cpu 2.41s, peak 812 MB`: what a stage that ran used (Snakemake's benchmark: columns)."""
    parts = ([f"cpu {entry.cpu:.2f}s"] if entry.cpu is not None else []) + ([f"peak {wording.size(entry.peak_rss)}"] if entry.peak_rss else [])
    return ", " + ", ".join(parts) if parts else ""


def _when(started: str) -> str:
    """The start as `2026-12-06 02:15:00 UTC`: the record keeps milliseconds; a reader needs none."""
    return started[:19].replace("T", " ") + " UTC"


def _seconds(duration: float) -> str:
    return f"{duration:.2f}s" if duration < 60 else f"{int(duration // 60)}m{duration % 60:04.1f}s"
