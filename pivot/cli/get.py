"""`pivot get --rev REV PATH... [-o OUT] [-f]`: outputs, tracked data or committed files as they
were at a git revision (pivot.api.getrev); this module parses, calls it and prints."""

from __future__ import annotations

import os
import pathlib

import click

from pivot.cli import common


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--rev", default="HEAD", show_default=True, metavar="REV", help="The git revision (branch, tag, commit, HEAD~2).")
@click.option("-o", "--out", type=click.Path(path_type=pathlib.Path), help="Where to write (a directory when several PATHS are given).")
@click.option("-f", "--force", is_flag=True, help="Replace a destination that holds other content.")
def get(paths: tuple[str, ...], rev: str, out: pathlib.Path | None, force: bool) -> None:
    """Write PATHS (outputs, tracked data or any file git has) as they were at git revision REV,
    into the current directory.

    The bytes come from the cache, else the default remote; what is written is a copy, and the
    workspace's lock files and other files are never touched. See docs/get.md.
    """
    cwd = pathlib.Path.cwd()
    for got in common.api().get(paths, rev, out=out, force=force, cwd=cwd):
        shown = os.path.relpath(got.dest, cwd)
        what = "unchanged" if got.unchanged else f"from the {got.source}" if got.source != "git" else "from git"
        click.echo(f"{got.path}@{rev} -> {shown} ({what})")
