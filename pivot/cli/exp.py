"""`pivot exp`: experiments. `exp run` sweeps params overrides beside the workspace; the other
subcommands (show, diff, apply, remove; push, pull; queue) live in pivot.cli.exp_show,
pivot.cli.exp_share and pivot.cli.exp_queue and join this group lazily."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from pivot.cli import common
from pivot.experiments import record, runner


class _ExpGroup(click.Group):
    """The `exp` group: its own commands, plus every command pivot.cli.exp_show,
    pivot.cli.exp_share and pivot.cli.exp_queue define (imported only when one of them, or the listing, is asked for)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_more()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name) or _more().get(name)


_MORE = ("pivot.cli.exp_show", "pivot.cli.exp_share", "pivot.cli.exp_queue")


def _more() -> dict[str, click.Command]:
    commands: dict[str, click.Command] = {}
    for name in _MORE:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        found = (value for value in vars(module).values() if isinstance(value, click.Command))
        commands.update((command.name, command) for command in found if command.name)
    return commands


@click.group(cls=_ExpGroup)
def exp() -> None:
    """Run params sweeps beside the workspace, and show, compare, apply and share them."""


@exp.command(name="run")
@click.argument("stages", nargs=-1)
@click.option(
    "-S",
    "--set",
    "settings",
    multiple=True,
    metavar="STAGE.KEY=VALUES",
    help="Override a param; several comma-separated values make a sweep (train.lr=0.01,0.1). "
    "Brackets or quotes keep a comma in one value: 'train.tags=[\"a,b\"]'.",
)
@click.option("--zip", "zipped", is_flag=True, help="Pair the -S values (the i-th of each) instead of their cross product.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Stages at once, over every experiment of the sweep (default: CPU count).")
@click.option("-n", "--name", default=None, help="The experiment's name; with several, their prefix (default: exp).")
@click.option("--queue", "to_queue", is_flag=True, help="Check the experiments and queue them, to run later with --run-all (as dvc exp run --queue).")
@click.option("--run-all", is_flag=True, help="Run every queued experiment (as dvc queue start); no -S.")
@click.option("--retries", type=click.IntRange(min=0), default=0, metavar="N", help="Run a failed stage again up to N times (a stage's own retries: wins).")
@click.option("--resources", "resource_limits", multiple=True, metavar="NAME=N", help="How much of a resource the stages' resources: may hold at once, over every experiment (e.g. gpu=2). Repeatable.")
def run(
    stages: tuple[str, ...],
    settings: tuple[str, ...],
    zipped: bool,
    jobs: int | None,
    name: str | None,
    to_queue: bool,
    run_all: bool,
    retries: int,
    resource_limits: tuple[str, ...],
) -> None:
    """Run one experiment per combination of -S values, all in one run, each in a scratch copy of the workspace."""
    from pivot.experiments import plan, queue, queuestate

    proj = common.api()
    if run_all and (settings or stages or to_queue or name):
        raise click.UsageError("--run-all runs the queue as it is: no -S, STAGES, --queue or --name")
    if to_queue:
        queued = queue.add(proj.paths, plan.make(proj, settings, targets=stages, zipped=zipped, name=name))  # bad input: exit 2 here
        click.echo(f"Queued {', '.join(q.name for q in queued)}; run them with: pivot exp run --run-all")
        return
    if run_all and not queuestate.entries(proj.paths):
        click.echo("The queue is empty (pivot exp run --queue -S ... adds to it).")
        return
    sweep = None if run_all else plan.make(proj, settings, targets=stages, zipped=zipped, name=name)  # bad input: exit 2 here
    limits = common.resource_limits(resource_limits)
    progress = _BarProgress() if sys.stdout.isatty() and not os.environ.get("CI") else LineProgress()
    try:
        if sweep is None:
            done = queue.run_all(proj, jobs=jobs, progress=progress, retries=retries, resources=limits)
        else:
            done = runner.run_sweep(proj, sweep, jobs=jobs, progress=progress, retries=retries, resources=limits)
    finally:
        progress.close()  # the bar goes before the summary, or before "interrupted"
    _summary(done)


def _summary(done: list[Any]) -> None:
    failed = sum(rec.status != "ok" for rec in done)
    click.echo(f"{len(done)} experiment{'s' if len(done) != 1 else ''}: {len(done) - failed} ok, {failed} failed")
    if failed:
        click.get_current_context().exit(1)


@exp.command(name="save")
@click.option("-n", "--name", default=None, help="The experiment's name (default: the next exp-N).")
def save(name: str | None) -> None:
    """Record the workspace as it is now as an experiment, without running anything: after a
    `pivot run -S ...` or an edited params.yaml. Every stage must be up to date."""
    from pivot.experiments import save as saving

    click.echo(describe(saving.save(common.api(), name)))


def describe(rec: record.ExpRecord) -> str:
    """`exp-2  ok  train.lr=0.1  metrics.json: acc=0.91`: one line per finished experiment."""
    parts = [rec.name, rec.status]
    parts.extend(f"{key}={_value(value)}" for key, value in rec.overrides.items())
    for path, values in rec.metrics.items():
        parts.append(f"{path}: " + " ".join(f"{key}={_value(value)}" for key, value in values.items()))
    if rec.error:
        parts.append(f"error: {rec.error}")
    return "  ".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.5g}"
    return str(value)


class LineProgress(runner.Progress):
    """Plain lines (CI, pipes): each stage as it ends, then each experiment."""

    def stage_finished(self, experiment: str, stage: str, status: str) -> None:
        click.echo(f"{experiment}: {stage}: {status}")

    def experiment_finished(self, rec: record.ExpRecord) -> None:
        click.echo(describe(rec))

    def close(self) -> None:
        pass


class _BarProgress(LineProgress):
    """On a terminal: one bar over every stage of the sweep, and a line per experiment above it."""

    def __init__(self) -> None:
        self._bar: Any = None

    def started(self, total_stages: int, experiments: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total_stages, unit="stage", leave=False, dynamic_ncols=True)

    def stage_finished(self, experiment: str, stage: str, status: str) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def experiment_finished(self, rec: record.ExpRecord) -> None:
        if self._bar is not None:
            self._bar.write(describe(rec))
        else:
            click.echo(describe(rec))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
