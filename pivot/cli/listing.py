"""`pivot list` (each stage with its deps and outputs) and `pivot dag` (the stage graph)."""

from __future__ import annotations

import json
import os

import click

from pivot.cli import common, selecting
from pivot.declare import dag
from pivot.declare.selection import Selection


@click.command(name="list")
@click.argument("stages", nargs=-1)
@selecting.display_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_stages(stages: tuple[str, ...], selection: Selection, as_json: bool) -> None:
    """Each of STAGES (default: all) with its function, deps and outputs, in run order."""
    shown = common.api().list(stages, selection)
    if as_json:
        click.echo(json.dumps([dag.describe(stage) for stage in shown], indent=2))
        return
    click.echo(dag.listing(shown), nl=False)


@click.command(name="dag")
@click.argument("stages", nargs=-1)
@click.option("--mermaid", "form", flag_value="mermaid", help="A Mermaid flowchart (renders in GitHub markdown).")
@click.option("--dot", "form", flag_value="dot", help="Graphviz DOT.")
@click.option("--html", "form", flag_value="html", help="A page with each stage coloured by its state (works offline).")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), default=None, help="The --html page's file (default: pivot_dag.html).")
@selecting.display_options
def show_dag(stages: tuple[str, ...], form: str | None, out: str | None, selection: Selection) -> None:
    """The graph of STAGES (default: all) and the stages they depend on.

    With --html, a self-contained page where each stage is up to date, stale (and why), failed
    in the last run or never run; prints the page's path."""
    if out is not None and form != "html":
        raise click.UsageError("-o names the --html page; add --html")
    if form == "html":
        click.echo(common.api().dag_html(os.path.abspath(out or "pivot_dag.html"), stages, selection))
        return
    graph, names = common.api().dag(stages, selection)
    render = {"mermaid": dag.mermaid, "dot": dag.dot}.get(form or "", dag.text)
    click.echo(render(graph, names), nl=False)
