"""`pivot exp show|diff|apply|remove`: the recorded experiments as a table, two of them (or one
and the workspace) compared, one made the workspace's, and records dropped."""

from __future__ import annotations

import json

import click

from pivot.api import exp_show as api
from pivot.base import wording
from pivot.cli import common, output
from pivot.experiments import table
from pivot.report import render, views


@click.command()
@output.format_options
@click.option("--csv", "as_csv", is_flag=True, help="Comma-separated values.")
@click.option("--sort-by", metavar="KEY", help="Order experiments by a param or metric column (train.lr, metrics.json:acc, or just acc).")
@click.option("--sort-order", type=click.Choice(["asc", "desc"]), default="asc", show_default=True)
@click.option("--only-changed", is_flag=True, help="Only the params whose value differs between rows.")
@click.option("-n", "--num", "last", type=click.IntRange(min=0), help="Only the N newest experiments.")
@click.option("--precision", type=click.IntRange(min=0), default=5, show_default=True, help="Decimal places of metrics.")
def show(
    as_json: bool, as_md: bool, as_csv: bool, sort_by: str | None, sort_order: str, only_changed: bool, last: int | None, precision: int
) -> None:
    """The workspace, HEAD and every experiment: params and metrics, one row each."""
    if as_csv and (as_json or as_md):
        raise click.UsageError("choose one of --json, --md and --csv")
    fixed, exps = api.lines(common.api())
    options = table.Options(only_changed, sort_by, sort_order == "desc", last, precision)
    view = table.view(fixed, exps, options)
    if as_csv:
        click.echo(table.csv_text(view), nl=False)
    else:
        output.emit(view, as_json, as_md)


@click.command(name="diff")
@click.argument("old")
@click.argument("new", required=False)
@output.format_options
@click.option("--all", "show_all", is_flag=True, help="Unchanged params and metrics too.")
@click.option("--precision", type=click.IntRange(min=0), default=5, show_default=True, help="Decimal places.")
def diff_command(old: str, new: str | None, as_json: bool, as_md: bool, show_all: bool, precision: int) -> None:
    """Params and metrics of experiment OLD against experiment NEW (default: the workspace)."""
    if as_json and as_md:
        raise click.UsageError("choose one of --json and --md")
    sides = api.compare(common.api(), old, new, include_unchanged=show_all)
    params = views.params_diff(sides.params, sides.old.label, sides.new.label)
    metrics = views.metrics_diff(
        sides.metrics,
        sides.old.label,
        sides.new.label,
        precision=precision,
        old_unreadable=sides.old.unreadable,
        new_unreadable=sides.new.unreadable,  # a workspace metrics file missing or broken: a row, not a silence
    )
    if as_json:  # as `exp diff --json` in DVC: the two reports side by side
        click.echo(json.dumps(render.json_tree({"params": params.data, "metrics": metrics.data}), indent=2))
    elif as_md:
        click.echo(f"#### Params\n\n{params.markdown()}\n#### Metrics\n\n{metrics.markdown()}", nl=False)
    else:
        click.echo("\n".join(part.text() for part in (params, metrics) if part.rows), nl=False)


@click.command()
@click.argument("name")
@click.option("-f", "--force", is_flag=True, help="Overwrite outputs edited by hand.")
def apply(name: str, force: bool) -> None:
    """Make experiment NAME the workspace's: its params into params.yaml, its outputs and locks
    restored from the cache, without running anything."""
    done = api.apply(common.api(), name, force=force)
    click.echo(f"applied {done.name}: {done.params_set} params set, {done.restored} outputs restored")
    if done.other_base:
        click.echo(
            f"note: {done.name} ran on commit {done.other_base[:8]}, not on HEAD: 'pivot status' shows what differs",
            err=True,
        )


@click.command()
@click.argument("name")
@click.argument("branch")
def branch(name: str, branch: str) -> None:
    """Make git branch BRANCH hold experiment NAME's results, as `dvc exp branch`: one commit on the
    commit it ran on, with its params, lock files and the outputs git keeps. The workspace is left
    alone: `git checkout BRANCH && pivot checkout` brings the experiment in."""
    done = api.branch(common.api(), name, branch)
    click.echo(f"Branch '{done.branch}' holds {name}: commit {done.commit[:10]} on {done.base[:10]} ({', '.join(done.files)})")
    click.echo(f"To use it: git checkout {done.branch} && pivot checkout")


@click.command()
@click.argument("old")
@click.argument("new")
def rename(old: str, new: str) -> None:
    """Call experiment OLD by the name NEW, as `dvc exp rename` (a record pushed to a remote keeps
    the old name there until pushed again)."""
    api.rename(common.api(), old, new)
    click.echo(f"Renamed experiment '{old}' to '{new}'")


@click.command()
@click.argument("names", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every experiment.")
def remove(names: tuple[str, ...], every: bool) -> None:
    """Drop the records of experiments NAMES; `pivot gc` may then collect their outputs."""
    if every == bool(names):
        raise click.UsageError("give experiment names, or --all")
    removed = api.remove(common.api(), names, every=every)
    click.echo(f"removed {wording.count(len(removed), 'experiment')}")
