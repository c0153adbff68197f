"""`pivot exp push|pull`: experiment records and their outputs to and from a remote, so a teammate's
`pivot exp show` lists them and `pivot exp apply` restores them without running anything."""

from __future__ import annotations

import click

from pivot.api import exp_share as api
from pivot.base import wording
from pivot.cli import common, sync
from pivot.remote import tasks

_SHOWN = 10


@click.command(name="push")
@click.argument("names", nargs=-1)
@click.option("-r", "--remote", "remote_name", default=None, help="Remote name (default: the default remote).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Transfers at once (default: 4x CPUs).")
@click.option("-f", "--force", is_flag=True, help="Replace a record of the same name that differs on the remote.")
def push(names: tuple[str, ...], remote_name: str | None, jobs: int | None, force: bool) -> None:
    """Upload experiments NAMES (default: every one that is ok) and their outputs to the remote."""
    done = api.push(common.api(), names, remote=remote_name, jobs=jobs, force=force, progress=sync.Progress("push"))
    click.echo(
        f"Pushed {wording.count(len(done.pushed), 'experiment')} to {done.remote}, {len(done.already)} already there"
        + _objects(done.objects, "to")
    )
    _warn([f"warning: {name} not pushed: {why}" for name, why in done.held_back])
    if done.objects is not None:
        _warn([f"  {oid}: {message}" for oid, message in done.objects.failed])
    if not done.ok:
        click.get_current_context().exit(1)


@click.command(name="pull")
@click.argument("names", nargs=-1)
@click.option("-r", "--remote", "remote_name", default=None, help="Remote name (default: the default remote).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Transfers at once (default: 4x CPUs).")
@click.option("-f", "--force", is_flag=True, help="Replace a local record of the same name that differs.")
@click.option("--no-objects", is_flag=True, help="Only the records; `exp pull NAME` fetches an experiment's outputs later.")
def pull(names: tuple[str, ...], remote_name: str | None, jobs: int | None, force: bool, no_objects: bool) -> None:
    """Download experiments NAMES (default: all on the remote) and their outputs into the cache."""
    done = api.pull(
        common.api(), names, remote=remote_name, jobs=jobs, force=force, objects=not no_objects, progress=sync.Progress("pull")
    )
    _warn([f"warning: {name} on {done.remote} skipped: {why}" for name, why in done.skipped])
    click.echo(
        f"Pulled {wording.count(len(done.pulled), 'experiment')} from {done.remote}, {len(done.already)} already here"
        + _objects(done.objects, "from")
    )
    if done.objects is not None:
        _warn([f"  {oid}: {message}" for oid, message in done.objects.failed])
    if not done.ok:
        click.get_current_context().exit(1)


def _objects(summary: tasks.TransferSummary | None, direction: str) -> str:
    if summary is None:
        return ""
    moved = f"{wording.count(summary.transferred, 'file')} ({wording.size(summary.bytes)})"
    return f"; {moved} {'sent' if direction == 'to' else 'fetched'}, {summary.already} already {'there' if direction == 'to' else 'here'}"


def _warn(lines: list[str]) -> None:
    for line in lines[:_SHOWN]:
        click.echo(line, err=True)
    if len(lines) > _SHOWN:
        click.echo(f"  ... and {len(lines) - _SHOWN} more", err=True)
