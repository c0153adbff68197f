"""`pivot gc`: delete cache objects (local, or with -r on a remote) that no lock file, tracked
file or run-cache entry of this workspace references. `pivot.api.sync.gc` decides and deletes;
this module asks for the confirmation and prints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from pivot.api import sync
from pivot.base import wording
from pivot.cli import common
from pivot.worktree import collect as collect_local

if TYPE_CHECKING:  # the remote layer (and fsspec) is imported only for gc -r
    from pivot.remote import collect, packs

_SHOWN_FAILURES = 10


@click.command()
@click.option("-n", "--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
@click.option("-r", "--remote", "remote_name", metavar="NAME", default=None, help="Collect on this remote instead of the local cache.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation (with -r).")
@click.option("--drop-run-cache", is_flag=True, help="Delete the run-cache entries first (with -r: those on the remote), so their objects can go too.")
@click.option(
    "--grace",
    metavar="DURATION",
    default=None,
    help="With -r: keep what was uploaded within DURATION (e.g. 30m, 2h, 0; default: gc.grace_period in the config, else 1h).",
)
@click.option(
    "--projects",
    "projects",
    multiple=True,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Another clone that shares this cache (cache.dir, PIVOT_CACHE_DIR): what it references is kept, and it cannot run meanwhile. Repeat for each; '.' for this clone alone.",
)
@click.option("-a", "--all-branches", is_flag=True, help="Also keep what the tip of every branch references (its committed locks and .pvt files).")
@click.option("-T", "--all-tags", is_flag=True, help="Also keep what every tag references.")
@click.option("-A", "--all-commits", is_flag=True, help="Also keep what every commit of the repository references.")
@click.option("--rev", "revs", multiple=True, metavar="REV", help="Also keep what this commit (branch, tag, HEAD~3) references. Repeatable.")
def gc(
    dry_run: bool,
    remote_name: str | None,
    yes: bool,
    drop_run_cache: bool,
    grace: str | None,
    projects: tuple[str, ...],
    all_branches: bool,
    all_tags: bool,
    all_commits: bool,
    revs: tuple[str, ...],
) -> None:
    """Delete cached objects that no lock file, tracked (.pvt) file or run-cache entry of this
    workspace references.

    Only this workspace counts, unless -a, -T, -A or --rev name commits whose committed locks and
    .pvt files are kept too (as `dvc gc`): without them, objects that only other branches,
    commits or clones use are deleted (push them first if they matter). The run cache keeps the
    outputs of every recorded run: --drop-run-cache deletes its entries and lets those outputs go.

    With -r NAME, objects on that remote are deleted instead, after a confirmation; run-cache
    entries there are kept only if this workspace holds them whole (none with --drop-run-cache),
    and the others are deleted before any object, so no entry is ever left without its outputs.
    Objects uploaded within the grace period (--grace, default 1h) and those a push in progress
    from another clone relies on are always kept.
    """

    def ask(plan: collect.RemotePlan) -> bool:
        if not yes:
            click.confirm(
                f"Delete {_entries(plan)}{_objects(len(plan.victims))} from remote '{remote_name}' that no lock file, tracked file or "
                f"run-cache entry of this workspace{' or of the commits named' if history else ''} references? "
                f"What only {'other' if not history else 'unnamed'} branches, commits or clones use goes too",
                abort=True,
            )
        return True

    from pivot.worktree import references

    history = references.Revisions(revs, all_branches, all_tags, all_commits)
    result = sync.gc(
        common.find_project(),
        remote=remote_name,
        dry_run=dry_run,
        grace=grace,
        drop_run_cache=drop_run_cache,
        confirm=ask,
        projects=projects,
        revisions=history,
    )
    if result.memo_error is not None:
        common.defer(result.memo_error)
    if result.commits:
        click.echo(f"Keeping what {wording.count(result.commits, 'commit')} of the history reference{'s' if result.commits == 1 else ''}")
    if not result.started:
        click.echo("Nothing to collect: this project has no .pivot/ yet")
    elif result.collected is not None and result.remote is not None:
        _report_remote(result.remote, result.collected, result.grace, dry_run)
    elif result.local is not None:
        _report_local(result.local, result.dropped_runs, result.failed, dry_run)


def _report_local(todo: collect_local.LocalPlan, dropped: int, failed: Sequence[tuple[str, str]], dry_run: bool) -> None:
    if dropped:
        click.echo(f"Deleted {wording.count(dropped, 'run-cache entry', 'run-cache entries')}")
    temps = todo.temps
    count = _objects(len(todo.victims)) + (f" and {wording.count(len(temps), 'stale temp file')}" if temps else "")
    if dry_run:
        for obj in todo.victims:
            click.echo(f"would remove {obj.oid}  {wording.size(obj.size)}")
        for item in temps:
            click.echo(f"would remove tmp/{item.name}  {wording.size(item.size)}")
        click.echo(f"Would remove {count} ({wording.size(todo.size)}) from the cache, keep {_objects(todo.kept)}")
        return
    if failed:
        _fail(failed, "from the cache")
    click.echo(f"Removed {count} ({wording.size(todo.size)}) from the cache, kept {_objects(todo.kept)}")


def _report_remote(name: str, done: collect.Collected, grace: float, dry_run: bool) -> None:
    todo = done.plan
    if dry_run:
        for key in todo.stray_runs:
            click.echo(f"would delete run-cache entry {key}")
        for item in (*todo.victims, *todo.garbage.pointers, *todo.garbage.packs):
            click.echo(f"would delete {item}")
        click.echo(f"Would delete {_entries(todo)}{_objects(len(todo.victims))} from '{name}', keep {_objects(todo.kept)}")
        _report_kept(todo, grace)
        if todo.garbage.pointers or todo.garbage.packs or todo.garbage.kept_packs:
            click.echo(f"Would delete {_packs(todo.garbage, 'keep')}")
        return
    if todo.empty:
        click.echo(f"Nothing to delete on '{name}': all {_objects(todo.kept)} there are kept")
        _report_kept(todo, grace)
        return
    if done.failed_runs:
        _fail(done.failed_runs, f"from '{name}' (run-cache entries; no object was deleted)")
    if done.failed:
        _fail(done.failed, f"from '{name}'")
    click.echo(f"Deleted {_entries(todo)}{_objects(len(todo.victims))} from '{name}', kept {_objects(todo.kept)}")
    _report_kept(todo, grace)
    if todo.garbage.pointers or todo.garbage.packs or todo.garbage.kept_packs:
        click.echo(f"Deleted {_packs(todo.garbage, 'kept')}")


def _entries(todo: collect.RemotePlan) -> str:
    runs = len(todo.stray_runs)
    return f"{wording.count(runs, 'run-cache entry', 'run-cache entries')} and " if runs else ""


def _report_kept(todo: collect.RemotePlan, grace: float) -> None:
    """Why unreferenced objects stayed: a push in progress, or the grace period."""
    from pivot.remote import inflight

    if todo.claimed:
        pushes = "a push" if todo.markers.live == 1 else f"{todo.markers.live} pushes"
        click.echo(f"kept {_objects(todo.claimed)} that {pushes} in progress from another clone relies on")
    if todo.recent:
        click.echo(f"kept {_objects(todo.recent)} uploaded in the last {inflight.duration_text(grace)}")
    if todo.markers.unreadable:
        n = todo.markers.unreadable
        click.echo(f"warning: {wording.count(n, 'push marker')} on the remote could not be read", err=True)


def _packs(garbage: packs.Garbage, keep: str) -> str:
    """"2 packs and 1 pack pointer, keep 3 packs"."""
    count = wording.count
    return f"{count(len(garbage.packs), 'pack')} and {count(len(garbage.pointers), 'pack pointer')}, {keep} {count(garbage.kept_packs, 'pack')}"


def _objects(count: int) -> str:
    return wording.count(count, "object")


def _fail(failed: Sequence[tuple[str, str]], where: str) -> None:
    click.echo(f"{wording.count(len(failed), 'object')} could not be deleted {where}:", err=True)
    for what, message in failed[:_SHOWN_FAILURES]:
        click.echo(f"  {what}: {message}" if message else f"  {what}", err=True)
    if len(failed) > _SHOWN_FAILURES:
        click.echo(f"  ... and {len(failed) - _SHOWN_FAILURES} more", err=True)
    click.get_current_context().exit(1)
