"""`pivot import-dvc`: convert a DVC project's dvc.yaml and .dvc files into pivot's files.
`pivot.dvcimport` decides and does the work; this module parses and prints."""

from __future__ import annotations

import os
import pathlib

import click

from pivot.cli import common, track
from pivot.dvcimport import importer


@click.command("import-dvc")
@click.option("--dry-run", is_flag=True, help="Print the pivot.yaml it would write and what it would track; touch nothing.")
@click.option("-o", "--output", default="pivot.yaml", show_default=True, help="Where to write the converted pipeline.")
@click.option("--force", is_flag=True, help="Replace an existing pivot.yaml.")
def import_dvc(dry_run: bool, output: str, force: bool) -> None:
    """Convert dvc.yaml into pivot.yaml and .dvc files into .pvt tracking, reusing DVC's cache.

    Run it at the root of a DVC project. Every key pivot cannot express is listed with the reason.
    """
    root = pathlib.Path.cwd()
    done = importer.run(root, root / output, dry_run=dry_run, force=force)
    if done.memo_error is not None:
        common.defer(done.memo_error)
    if dry_run:
        click.echo(done.text, nl=False)
        for item in done.planned:
            source = "from .dvc/cache" if item.from_cache else "in the workspace"
            click.echo(f"Would track {item.path} ({source}) for {item.dvc_file}")
    elif done.output is not None:
        click.echo(f"Wrote {os.path.relpath(done.output)} ({done.stages} stage{'s' if done.stages != 1 else ''})")
    for result in done.tracked:
        click.echo(track.describe(result))
    if done.notes:
        click.echo(f"Not converted ({len(done.notes)}):")
        for note in done.notes:
            click.echo(f"  {note}")
    if done.to_add:
        click.echo(f"To commit: git add {' '.join(os.path.relpath(root / p) for p in done.to_add)}")
