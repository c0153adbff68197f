"""`pivot list` (each stage with its deps and outputs) and `pivot dag` (the stage graph)."""

from __future__ import annotations

import json

import click

from pivot.declare import dag, graph
from pivot.cli import common


@click.command(name="list")
@click.argument("stages", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_stages(stages: tuple[str, ...], as_json: bool) -> None:
    """Each of STAGES (default: all) with its function, deps and outputs, in run order."""
    loaded = common.load(common.find_project(), check_sources=False)
    wanted = set(common.targets(loaded, stages))
    names = [name for name in loaded.graph.order if name in wanted]
    if as_json:
        click.echo(json.dumps([dag.describe(loaded.graph.stages[name]) for name in names], indent=2))
        return
    click.echo(dag.listing(loaded.graph, names), nl=False)


@click.command(name="dag")
@click.argument("stages", nargs=-1)
@click.option("--mermaid", "form", flag_value="mermaid", help="A Mermaid flowchart (renders in GitHub markdown).")
@click.option("--dot", "form", flag_value="dot", help="Graphviz DOT.")
def show_dag(stages: tuple[str, ...], form: str | None) -> None:
    """The graph of STAGES (default: all) and the stages they depend on."""
    loaded = common.load(common.find_project(), check_sources=False)
    names = graph.select(loaded.graph, list(stages))
    render = {"mermaid": dag.mermaid, "dot": dag.dot}.get(form or "", dag.text)
    click.echo(render(loaded.graph, names), nl=False)
