"""`pivot params show|diff`: resolved params (params.yaml > pivot.yaml > Python defaults), and how
they differ from a git revision's lock files."""

from __future__ import annotations

import click

from pivot.cli import common, output
from pivot.report import snapshot, views


@click.group()
def params() -> None:
    """Show and compare stage parameters."""


@params.command()
@click.argument("stages", nargs=-1)
@output.format_options
def show(stages: tuple[str, ...], as_json: bool, as_md: bool) -> None:
    """The resolved params of STAGES (default: every stage that has params)."""
    values = common.api().params(stages)  # unknown names are an error
    if not as_json:  # nested values stay nested in JSON, as the stage receives them
        values = {name: snapshot.flatten(v) for name, v in values.items()}
    output.emit(views.params_show(values), as_json, as_md)


@params.command(name="diff")
@click.argument("old_rev", required=False)
@click.argument("new_rev", required=False)
@output.format_options
@click.option("--all", "show_all", is_flag=True, help="Unchanged params too.")
def diff_command(old_rev: str | None, new_rev: str | None, as_json: bool, as_md: bool, show_all: bool) -> None:
    """Params at OLD_REV (default HEAD) against NEW_REV (default: the workspace)."""
    sides = common.api().compare(old_rev, new_rev, include_unchanged=show_all)
    output.emit(views.params_diff(sides.params, sides.old.label, sides.new.label), as_json, as_md)
