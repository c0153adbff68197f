"""`pivot verify` and `pivot commit`: check that the locks describe the workspace (a CI gate), and
make them describe it without running anything. pivot.api.verify and pivot.api.commits decide;
this module parses, asks and prints."""

from __future__ import annotations

import sys

import click

from pivot import errors
from pivot.cli import common


@click.command()
@click.argument("stages", nargs=-1)
@click.option(
    "--allow-missing",
    is_flag=True,
    help="An output or tracked file the workspace and cache lack passes if the default remote has it "
    "(asked about, not downloaded).",
)
def verify(stages: tuple[str, ...], allow_missing: bool) -> None:
    """Exit 0 only when each of STAGES (default: all) is up to date and its outputs are in the
    workspace or the cache; else one line per problem and exit 1.

    The stages STAGES depend on are checked too. For CI merge gates: `pivot verify
    --allow-missing` passes on a fresh checkout when everything was run and pushed.
    """
    from pivot.api import verify as verifying

    problems = verifying.verify(common.api(), stages, allow_missing=allow_missing)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        raise errors.PivotError(f"not reproduced: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    click.echo("Verified: every stage is up to date and its outputs are available.")


@click.command()
@click.argument("stages", nargs=-1)
@click.option("-f", "--force", is_flag=True, help="Commit without asking for confirmation.")
def commit(stages: tuple[str, ...], force: bool) -> None:
    """Record the workspace's outputs of STAGES (default: all) as their result, without running
    them: cache the outputs and write the locks.

    For outputs made outside pivot (a script run by hand). Only the named stages are committed,
    not those they depend on. Stages whose deps, params or code changed since their lock are
    listed first: committing records the outputs as made from what is there now.
    """
    from pivot.api import commits

    project = common.api()
    plan = commits.plan(project, stages)
    if not plan.pending:
        click.echo("Nothing to commit: every stage is as its lock records it.")
        return
    for item in plan.changed:
        click.echo(f"warning: {item.stage} changed since its lock: {item.changed}", err=True)
    names = [item.stage for item in plan.pending]
    if not force:
        if not sys.stdin.isatty():
            raise errors.InputError(f"commit would write the locks of {', '.join(names)}", hint="pass -f to commit without asking")
        click.confirm(f"Write the locks of {', '.join(names)} from the workspace's outputs?", abort=True)
    for name in commits.commit(project, names):
        click.echo(f"Committed {name}")
