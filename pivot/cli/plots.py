"""`pivot plots show|diff`: the pipeline's plots as a page that works offline, or as JSON."""

from __future__ import annotations

import json
import pathlib

import click

from pivot.api import plots as plots_api
from pivot.cli import common

_OUT_DIR = "pivot_plots"


def _page_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option("--json", "as_json", is_flag=True, help="Print the plots' data and specs as JSON instead of writing the page.")(func)
    func = click.option("--open", "open_page", is_flag=True, help="Open the page in the web browser.")(func)
    return click.option(
        "-o", "--out", "out_dir", default=_OUT_DIR, show_default=True, type=click.Path(file_okay=False), help="Where to write index.html."
    )(func)


@click.group()
def plots() -> None:
    """Draw the pipeline's plots, now or across revisions and experiments."""


@plots.command()
@click.argument("targets", nargs=-1)
@_page_options
def show(targets: tuple[str, ...], out_dir: str, open_page: bool, as_json: bool) -> None:
    """Draw each plot of TARGETS (plot files or stages; default: all) as the workspace has it."""
    _emit(common.api().plots(targets), "pivot plots", out_dir, open_page, as_json)


@plots.command(name="diff")
@click.argument("revisions", nargs=-1)
@click.option("-t", "--targets", "targets", multiple=True, metavar="TARGET", help="A plot file or stage to draw (repeatable; default: all).")
@_page_options
def diff_command(revisions: tuple[str, ...], targets: tuple[str, ...], out_dir: str, open_page: bool, as_json: bool) -> None:
    """Overlay each plot as REVISIONS (git revisions or experiment names) have it: one
    revision is drawn against the workspace, none means HEAD against the workspace."""
    asked = plots_api.diff_revisions(revisions)
    _emit(common.api().plots(targets, asked), f"pivot plots diff: {', '.join(asked)}", out_dir, open_page, as_json)


def _emit(result: plots_api.Plots, title: str, out_dir: str, open_page: bool, as_json: bool) -> None:
    if result.fetched:
        click.echo(f"fetched {result.fetched} plot file(s) from remote '{result.remote}'", err=True)
    for view in result.views:
        for series in view.series:
            if series.error is not None:
                click.echo(f"warning: {series.error}", err=True)
    if not result.views:
        click.echo("warning: the pipeline declares no plots (see docs/plots.md)", err=True)
    if as_json:
        from pivot.plots import export

        click.echo(json.dumps(export.to_data(result.views), indent=2))
        return
    from pivot.plots import page  # vl-convert only for the page

    path: pathlib.Path = page.write(result.views, pathlib.Path(out_dir), title=title)
    click.echo(str(path))
    if open_page:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())
