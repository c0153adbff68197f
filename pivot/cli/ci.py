"""`pivot ci comment`: the params/metrics report as one sticky PR comment and the job summary."""

from __future__ import annotations

import os
import pathlib

import click

from pivot.base import project
from pivot.report import ci as ci_report
from pivot.report import github


@click.group()
def ci() -> None:
    """Report to continuous integration (GitHub Actions)."""


@ci.command()
@click.option("--base", metavar="REV", help="Compare with REV (default: the PR's merge-base, else HEAD).")
@click.option("--title", default="pivot", show_default=True, help="Report heading; one comment per title.")
@click.option("--exps", "with_exps", is_flag=True, help="Add the experiments table (as `pivot exp show --md`).")
@click.option("--data", "with_data", is_flag=True, help="Add the cached outputs and tracked data that changed (as `pivot diff --md`).")
@click.option("--no-plots", is_flag=True, help="Leave out the charts of the plots that changed.")
@click.option("--plots-page", metavar="DIR", type=click.Path(file_okay=False), help="Also write the plots page (base against workspace) into DIR.")
@click.option("--dry-run", is_flag=True, help="Print the report; post nothing, write no job summary.")
def comment(base: str | None, title: str, with_exps: bool, with_data: bool, no_plots: bool, plots_page: str | None, dry_run: bool) -> None:
    """Post or update the PR comment with params and metrics diffs against the base."""
    from pivot.cli import common

    # Once for every section: on a pull request it is the merge-base, which may mean a fetch.
    base = base or ci_report.default_base(project.find_root(), os.environ)
    extra = []
    if not no_plots:
        from pivot.api import plots

        page_dir = pathlib.Path(plots_page) if plots_page else None
        charts = plots.comment_section(common.api(), base, os.environ, page_dir)
        if charts:
            extra.append(("Plots", charts))
    if with_data:
        extra.append(("Data", _data_section(base)))
    if with_exps:
        from pivot.api import exp_show

        extra.append(("Experiments", exp_show.markdown(common.api())))
    markdown = ci_report.report(project.find_root(), base, title, os.environ, extra)
    if dry_run:
        click.echo(markdown)
        return
    done = ci_report.publish(markdown, title, os.environ)
    if done.posted is None:
        click.echo(markdown)
        click.echo(f"No comment was posted: {done.reason}.", err=True)
        return
    if done.posted.action is github.Action.FALLBACK:
        click.echo(f"warning: {done.posted.warning}", err=True)
        if done.summary_written:
            click.echo("The report is in this job's summary instead.", err=True)
        else:
            click.echo(markdown)
        return
    verb = "Created" if done.posted.action is github.Action.CREATED else "Updated"
    click.echo(f"{verb} comment {done.posted.url or ''}".rstrip())


def _data_section(base: str) -> str:
    from pivot.cli import common, datadiff

    found = common.api().data_diff(base)
    if found.empty and not found.not_in_cache:
        return "No cached output or tracked data changed.\n"
    return datadiff.as_markdown(found)
