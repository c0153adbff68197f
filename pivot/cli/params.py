"""`pivot params show`: each stage's resolved params (params.yaml > pivot.yaml > Python defaults)."""

from __future__ import annotations

import json

import click

from pivot.cli import common, explain


@click.group()
def params() -> None:
    """Show and compare stage parameters."""


@params.command()
@click.argument("stages", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show(stages: tuple[str, ...], as_json: bool) -> None:
    """The resolved params of STAGES (default: every stage that has params)."""
    loaded = common.load(common.find_project())
    names = common.select(loaded, stages) if stages else loaded.graph.order
    wanted = [name for name in names if not stages or name in stages]
    values = {name: dict(loaded.graph.stages[name].params) for name in wanted}
    values = {name: v for name, v in values.items() if v}
    if as_json:
        click.echo(json.dumps(values, indent=2))
        return
    rows = [(stage, key, explain.fmt(value)) for stage, items in values.items() for key, value in items.items()]
    click.echo(table(("Stage", "Param", "Value"), rows), nl=False)


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    if not rows:
        return ""
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in (header, *rows)]
    return "\n".join(lines) + "\n"
