"""`pivot gc`: delete cache objects (local, or with -r on a remote) that no lock file, tracked
file or run-cache entry of this workspace references."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

import click

from pivot import errors
from pivot.base import wording
from pivot.worktree import references
from pivot.cli import common
from pivot.cli.track import size_text
from pivot.storage.runcache import RunEntry
from pivot.worktree.workspace import Workspace

if TYPE_CHECKING:
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
def gc(dry_run: bool, remote_name: str | None, yes: bool, drop_run_cache: bool, grace: str | None) -> None:
    """Delete cached objects that no lock file, tracked (.pvt) file or run-cache entry of this
    workspace references.

    Only this workspace counts: objects that only other branches, commits or clones use are
    deleted too (push them first if they matter). The run cache keeps the outputs of every
    recorded run: --drop-run-cache deletes its entries and lets those outputs go.

    With -r NAME, objects on that remote are deleted instead, after a confirmation; run-cache
    entries there are kept only if this workspace holds them whole (none with --drop-run-cache),
    and the others are deleted before any object, so no entry is ever left without its outputs.
    Objects uploaded within the grace period (--grace, default 1h) and those a push in progress
    from another clone relies on are always kept.
    """
    proj = common.find_project()
    if not proj.dot_dir.is_dir():
        click.echo("Nothing to collect: this project has no .pivot/ yet")
        return
    # Holding the project lock keeps a run from adding objects that its lock does not name yet.
    with common.project_lock(proj), common.opened(proj) as ws:
        oids = {ref.oid for ref in references.referenced(proj)}
        if remote_name is not None:
            runs = {} if drop_run_cache else references.shareable_runs(ws.cache, ws.run_cache)
            _collect_remote(ws, oids, runs, remote_name, dry_run, yes, _grace(grace, ws.settings.gc_grace_period))
            return
        if drop_run_cache and not dry_run:
            click.echo(f"Deleted {wording.count(ws.run_cache.clear(), 'run-cache entry', 'run-cache entries')}")
        runs_oids = set() if drop_run_cache else references.run_cache_oids(ws.run_cache)
        _collect_local(ws, oids, runs_oids, dry_run)


def _collect_local(ws: Workspace, oids: Collection[str], runs: Collection[str], dry_run: bool) -> None:
    cache = ws.cache
    # Without a directory's manifest gc cannot tell which objects are its files, and would delete
    # them as unreferenced: refuse, whether the manifest is damaged (read_manifest then removes
    # it) or absent (locks pulled from git before a fetch).
    unlisted = references.unreadable_manifests(cache, oids)
    if unlisted:
        first = sorted(unlisted)[0]
        state = "is damaged (and was removed)" if unlisted[first] else "is not in the cache"
        raise errors.CacheError(
            f"the manifest of referenced directory {first} {state}, so gc cannot tell which objects "
            "that directory needs; nothing was deleted",
            hint="restore it first (pivot fetch, or pivot run -f the stage that made it), then run gc again",
        )
    # A run-cache entry's directory without its manifest here is no reason to refuse: that entry
    # is a miss until a fetch brings it back, members included.
    keep = references.expand(cache, {*oids, *runs})
    everything = references.cached_objects(cache)
    victims = [obj for obj in everything if obj.oid not in keep]
    temps = references.stale_temp_files(cache)
    size = sum(obj.size for obj in victims) + sum(item.size for item in temps)
    kept = len(everything) - len(victims)
    count = _objects(len(victims)) + (f" and {wording.count(len(temps), 'stale temp file')}" if temps else "")
    if dry_run:
        for obj in victims:
            click.echo(f"would remove {obj.oid}  {size_text(obj.size)}")
        for item in temps:
            click.echo(f"would remove tmp/{item.name}  {size_text(item.size)}")
        click.echo(f"Would remove {count} ({size_text(size)}) from the cache, keep {_objects(kept)}")
        return
    failed = references.remove(cache, victims)
    references.remove_temp_files(cache, temps)
    if failed:
        _fail(failed, "from the cache")
    click.echo(f"Removed {count} ({size_text(size)}) from the cache, kept {_objects(kept)}")


def _grace(option: str | None, configured: str | float | None) -> float:
    from pivot.remote import inflight

    given, where = (option, "--grace") if option is not None else (configured, ".pivot/config.yaml: gc.grace_period")
    if given is None:
        return inflight.DEFAULT_GRACE
    try:
        return inflight.parse_duration(given)
    except ValueError as exc:
        raise errors.ConfigError(f"{where}: {exc}", hint="write a duration such as 1h, 30m, 90s, 2d, or 0 for none") from None


def _collect_remote(
    ws: Workspace, oids: Collection[str], runs: Mapping[str, RunEntry], name: str, dry_run: bool, yes: bool, grace: float
) -> None:
    from pivot.remote import collect, fs, inflight, packs
    from pivot.remote import spec as remote_spec

    unlisted = references.unreadable_manifests(ws.cache, oids)
    if unlisted:
        first = sorted(unlisted)[0]
        raise errors.CacheError(
            f"{wording.count(len(unlisted), 'referenced directory', 'referenced directories')} {'has' if len(unlisted) == 1 else 'have'} no intact manifest in the local cache "
            f"(e.g. {first}), so gc cannot tell which objects on '{name}' they need; nothing was deleted",
            hint=f"pivot fetch -r {name} first (it brings the manifests), then pivot gc -r {name}",
        )
    keep = references.expand(ws.cache, {*oids, *(oid for entry in runs.values() for oid in entry.oids())})
    remote = fs.Remote(remote_spec.resolve(ws.settings, name, ws.project.root))
    todo = collect.plan(remote, keep, runs, grace=grace, now=time.time())
    entries = f"{wording.count(len(todo.stray_runs), 'run-cache entry', 'run-cache entries')} and " if todo.stray_runs else ""
    if dry_run:
        for key in todo.stray_runs:
            click.echo(f"would delete run-cache entry {key}")
        for item in (*todo.victims, *todo.garbage.pointers, *todo.garbage.packs):
            click.echo(f"would delete {item}")
        click.echo(f"Would delete {entries}{_objects(len(todo.victims))} from '{name}', keep {_objects(todo.kept)}")
        _report_kept(todo, grace)
        if todo.garbage.pointers or todo.garbage.packs or todo.garbage.kept_packs:
            click.echo(f"Would delete {_packs(todo.garbage, 'keep')}")
        return
    if todo.empty:
        click.echo(f"Nothing to delete on '{name}': all {_objects(todo.kept)} there are kept")
        _report_kept(todo, grace)
        return
    if not yes:
        click.confirm(
            f"Delete {entries}{_objects(len(todo.victims))} from remote '{name}' that no lock file, tracked file or "
            "run-cache entry of this workspace references? What only other branches, commits or clones use goes too",
            abort=True,
        )
    with inflight.collecting(remote, ws.cache.tmp_dir):  # pushes starting from now wait for us
        # Again, just before deleting: a push that started since the listing must be seen.
        todo = todo.narrowed(collect.plan(remote, keep, runs, grace=grace, now=time.time()))
        remote.delete_keys(todo.markers.stale)  # markers of pushes that died long ago
        # Entries first: one left behind must never name objects that are gone.
        failed = remote.delete_runs(todo.stray_runs)
        if failed:
            _fail(failed, f"from '{name}' (run-cache entries; no object was deleted)")
        failed = list(remote.delete(todo.victims) or [])
        garbage = todo.garbage
        # Manifests went first: pointers and packs only after them (a manifest vouches for its packs).
        failed += packs.delete(remote, garbage) if not failed else [(key, "not deleted: objects failed first") for key in (*garbage.pointers, *garbage.packs)]
    if failed:
        _fail(failed, f"from '{name}'")
    entries = f"{wording.count(len(todo.stray_runs), 'run-cache entry', 'run-cache entries')} and " if todo.stray_runs else ""
    click.echo(f"Deleted {entries}{_objects(len(todo.victims))} from '{name}', kept {_objects(todo.kept)}")
    _report_kept(todo, grace)
    if garbage.pointers or garbage.packs or garbage.kept_packs:
        click.echo(f"Deleted {_packs(garbage, 'kept')}")


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


def _fail(failed: Sequence[object], where: str) -> None:
    click.echo(f"{wording.count(len(failed), 'object')} could not be deleted {where}:", err=True)
    for item in failed[:_SHOWN_FAILURES]:
        what, message = item if isinstance(item, tuple) else (item, "")
        click.echo(f"  {what}: {message}" if message else f"  {what}", err=True)
    if len(failed) > _SHOWN_FAILURES:
        click.echo(f"  ... and {len(failed) - _SHOWN_FAILURES} more", err=True)
    click.get_current_context().exit(1)
