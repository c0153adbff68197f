"""`pivot install`: the git hooks that keep data in step with git (pivot.api.hooks); this module
calls it and prints what each hook runs."""

from __future__ import annotations

import os

import click

from pivot.cli import common


@click.command()
def install() -> None:
    """Install git hooks: after a branch checkout, `pivot checkout`; before a commit, `pivot
    status`; before a push, `pivot push` (with a default remote). A hook pivot did not write is
    never replaced."""
    for hook in common.api().install_hooks():
        where = os.path.relpath(hook.path)
        if hook.written:
            click.echo(f"{hook.name}: pivot {hook.runs} ({where})")
        else:
            click.echo(f"{hook.name}: not installed: {hook.skipped}")
