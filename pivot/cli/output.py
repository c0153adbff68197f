"""The --json / --md switches shared by the report commands, and printing a report view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from pivot.report.views import View


def format_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--md", "as_md", is_flag=True, help="A GitHub markdown table.")(func)
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(func)


def emit(view: View, as_json: bool, as_md: bool) -> None:
    if as_json and as_md:
        raise click.UsageError("choose one of --json and --md")
    if as_json:
        click.echo(view.json(), nl=False)
    elif as_md:
        click.echo(view.markdown(), nl=False)
    else:
        click.echo(view.text(), nl=False)
