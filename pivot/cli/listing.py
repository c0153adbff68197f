"""`pivot list` (each stage with its deps and outputs) and `pivot dag` (the stage graph)."""

from __future__ import annotations

import json

import click

from pivot.cli import common
from pivot.declare import dag


@click.command(name="list")
@click.argument("stages", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_stages(stages: tuple[str, ...], as_json: bool) -> None:
    """Each of STAGES (default: all) with its function, deps and outputs, in run order."""
    shown = common.api().list(stages)
    if as_json:
        click.echo(json.dumps([dag.describe(stage) for stage in shown], indent=2))
        return
    click.echo(dag.listing(shown), nl=False)


@click.command(name="dag")
@click.argument("stages", nargs=-1)
@click.option("--mermaid", "form", flag_value="mermaid", help="A Mermaid flowchart (renders in GitHub markdown).")
@click.option("--dot", "form", flag_value="dot", help="Graphviz DOT.")
def show_dag(stages: tuple[str, ...], form: str | None) -> None:
    """The graph of STAGES (default: all) and the stages they depend on."""
    graph, names = common.api().dag(stages)
    render = {"mermaid": dag.mermaid, "dot": dag.dot}.get(form or "", dag.text)
    click.echo(render(graph, names), nl=False)
