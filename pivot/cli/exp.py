"""`pivot exp`: run, show, compare, apply and remove experiments (variants of the params)."""

from __future__ import annotations

import click

from pivot.cli import exp_show


@click.group()
def exp() -> None:
    """Run, show, compare, apply and remove experiments."""


exp.add_command(exp_show.show)
exp.add_command(exp_show.diff_command)
exp.add_command(exp_show.apply)
exp.add_command(exp_show.remove)
