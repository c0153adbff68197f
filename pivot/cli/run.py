"""`pivot run` (alias `repro`): run the stale stages of the targets and everything upstream."""

from __future__ import annotations

from typing import Any

import click

from pivot.cli import common, console, scale, selecting, verbosity
from pivot.declare.selection import Selection
from pivot.executor import reporting


@click.command()
@click.argument("stages", nargs=-1)
@selecting.options
@click.option(
    "--pull",
    is_flag=True,
    help="First fetch the selected stages' outputs and the remote's run cache, so that a stale stage "
    "someone already ran and pushed is restored instead of run.",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Stages at once (default: CPU count).")
@click.option("-f", "--force", is_flag=True, help="Run even the stages that are up to date.")
@click.option("-n", "--dry-run", is_flag=True, help="Say what would run, run nothing.")
@click.option("-k", "--keep-going", is_flag=True, help="After a failure, go on with independent stages.")
@click.option("--retries", type=click.IntRange(min=0), default=0, metavar="N", help="Run a failed stage again up to N times before it counts as failed (a stage's own retries: wins).")
@click.option("--resources", "resource_limits", multiple=True, metavar="NAME=N", help="How much of a resource the stages' resources: may hold at once, e.g. gpu=2 (over executor.resources of the config). Repeatable.")
@click.option(
    "--executor",
    type=click.Choice(["loky", "forkserver", "inprocess", "dask"]),
    default=None,
    help="Where stages run: a process pool (workers forked from a server by default), this "
    "process (for debugging), or a Dask cluster (default: executor.kind in .pivot/config.yaml).",
)
@click.option("--no-run-cache", is_flag=True, help="Run stale stages even when a recorded run had the same inputs.")
@click.option("--address", default=None, help="The Dask scheduler, e.g. tcp://host:8786 (default: a local cluster of -j workers).")
@click.option("--no-download", is_flag=True, help="Remote-cache mode: leave outputs on the remote (pivot pull fetches them).")
@common.set_option
@click.option("--watch", is_flag=True, help="After the run, wait for changes to deps, params, pivot.yaml or the stages' code and run again, until Ctrl-C (docs/watch.md).")
@click.option("--debounce", type=click.IntRange(min=0), default=300, show_default=True, metavar="MS", help="With --watch: run once no file has changed for MS milliseconds.")
@click.option("--jsonl", is_flag=True, help="Print one JSON object per event (stage started, skipped, finished, failed, run summary) instead of text (docs/events.md).")
def run(
    stages: tuple[str, ...],
    jobs: int | None,
    force: bool,
    dry_run: bool,
    keep_going: bool,
    retries: int,
    resource_limits: tuple[str, ...],
    executor: str | None,
    no_run_cache: bool,
    address: str | None,
    no_download: bool,
    sets: tuple[str, ...],
    selection: Selection,
    pull: bool,
    watch: bool,
    debounce: int,
    jsonl: bool,
) -> None:
    """Run the stale STAGES (default: all) and the stages they depend on.

    With -S, the params given are set for this run only: nothing is written to params.yaml or
    pivot.yaml, and the lock records the params the stage ran with."""
    proj = common.api()
    overrides = common.overrides(sets)
    if dry_run and (watch or jsonl):
        raise click.UsageError("--dry-run runs nothing to watch or report as events; use `pivot status --json` for the plan")
    selecting.report_left_out(proj, stages, selection, err=jsonl)
    if dry_run:
        from pivot.cli import explain  # and its report modules: only a dry run shows the table

        explain.print_status(proj.plan(stages, force=force, keep_going=keep_going, run_cache=not no_run_cache, overrides=overrides, selection=selection))
        return
    options: dict[str, Any] = dict(
        jobs=jobs,
        force=force,
        keep_going=keep_going,
        executor=executor,
        reporter=_reporter(jsonl),
        run_cache=not no_run_cache,
        address=address,
        download=not no_download,
        overrides=overrides,
        selection=selection,
        pull=pull,
        retries=retries,
        resources=common.resource_limits(resource_limits),
    )
    if watch:
        from pivot.cli import watching  # only a watch pays for it

        watching.watch_forever(proj, stages, debounce, options)  # ends with Ctrl-C: exit 130
    report = proj.run(stages, **options)
    if report.traffic is not None and not jsonl:
        scale.report_traffic(report.traffic)
    console.report_gitignore(report.gitignore, quiet=True)
    if report.removed_temps and not jsonl and not verbosity.quiet():
        click.echo(f"Removed temp outputs, read by every stage that needs them: {', '.join(report.removed_temps)}")
    if not report.ok:
        click.get_current_context().exit(1)


def _reporter(jsonl: bool) -> reporting.Reporter:
    if jsonl:
        from pivot.cli import events  # only --jsonl pays for it

        return events.JsonLinesReporter()
    return scale.with_dask_lines(console.make_reporter())
