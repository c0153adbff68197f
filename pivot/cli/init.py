"""`pivot init`: create `.pivot/` with its .gitignore and config.yaml."""

from __future__ import annotations

import pathlib

import click

from pivot.base import project


@click.command()
def init() -> None:
    """Make the current directory a pivot project."""
    root = pathlib.Path.cwd()
    proj = project.Project(root)
    existed = proj.dot_dir.is_dir()
    project.ensure_dot_dir(proj)
    if existed:
        click.echo(f"{proj.dot_dir} already exists; left as it is (missing files added)")
    else:
        click.echo(f"Initialized pivot project in {root}")
        click.echo(
            "pivot keeps a .gitignore line beside each output it caches (run, checkout, pull, track); "
            "commit those .gitignore files with .pivot/config.yaml and the lock files"
        )
