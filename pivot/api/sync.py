"""Moving a project's cache objects: push, fetch and pull between the local cache and a remote,
checkout from the cache into the workspace, and gc of the local cache or a remote. Each function
takes the project's paths (`pivot.base.project.Project`), holds the project lock while it works,
prints nothing, and returns a frozen result with everything a caller may want to tell the user.
The decisions themselves live in the layers below (`remote.pushplan`, `remote.collect`,
`worktree.collect`, `worktree.restore`); this module orders them. The result types are
`pivot.api.sync_results`, re-exported here."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from pivot.api import syncscope
from pivot.api.sync_results import (
    CheckoutResult,
    FetchResult,
    GcResult,
    Progress,
    PullResult,
    PushResult,
    RemoteStatus,
    SyncResult,
)
from pivot.base import project
from pivot.experiments import record as exp_record
from pivot.storage.runcache import RunEntry
from pivot.worktree import collect, gitignore, references, restore, session, workspace
from pivot.worktree.workspace import Workspace

if TYPE_CHECKING:
    # Imported where used: fsspec and the remote layer are not for a local gc or checkout.
    from pivot.remote import collect as remote_collect
    from pivot.remote import fs, pushplan, tasks
    from pivot.remote import runs as runs_transfer
    from pivot.storage.hashing import FileEntry

__all__ = [
    "CheckoutResult",
    "FetchResult",
    "GcResult",
    "Progress",
    "PullResult",
    "PushResult",
    "RemoteStatus",
    "checkout",
    "fetch",
    "gc",
    "pull",
    "push",
    "status",
]

_R = TypeVar("_R", bound=SyncResult)


def push(
    proj: project.Project, targets: Sequence[str] = (), *, remote: str | None = None, jobs: int | None = None,
    dry_run: bool = False, progress: Progress | None = None, run_cache: bool = True, verify: bool = False,
    on_plan: Callable[[PushResult], None] | None = None,
) -> PushResult:
    """Upload the cached outputs of `targets` (default: all) and tracked files that the remote
    lacks, and the run-cache entries of those stages whose outputs are all in the local cache.
    `verify` checks every file of a directory on the remote, not only its manifest. `on_plan`
    hears what will be skipped (`absent`, `withheld_runs`) before anything moves."""
    from pivot.remote import pushplan, transfer

    with _session(proj, targets, remote) as (ws, there, scope, refs):
        stages = scope.run_targets
        todo = pushplan.plan(ws, refs, stages or (), run_cache=run_cache and stages is not None)
        result = PushResult(remote=there.spec.name, absent=todo.absent, withheld_runs=todo.withheld_runs)
        if on_plan is not None:
            on_plan(result)
        if dry_run:
            missing = transfer.pending(ws.cache, there, todo.objects, jobs=transfer_jobs(jobs))
            entries = len(set(todo.runs) - there.list_runs()) if todo.runs else 0
            return _done(ws, dataclasses.replace(result, would_push=len(missing), would_push_runs=entries))
        objects, runs = _upload(ws, there, todo, transfer_jobs(jobs), progress, verify)
    return _done(ws, dataclasses.replace(result, objects=objects, runs=runs))


def _upload(
    ws: Workspace, there: fs.Remote, todo: pushplan.PushPlan, jobs: int, progress: Progress | None, verify: bool
) -> tuple[tasks.TransferSummary, runs_transfer.RunsSummary | None]:
    from pivot.remote import inflight, transfer
    from pivot.remote import runs as runs_transfer

    # Announced before comparing: gc -r in another clone keeps what this push relies on.
    on_wait = None if progress is None else (lambda age: progress.waiting_for_gc(there.name, age))
    claimed = references.expand(ws.cache, todo.objects)
    with inflight.announced(there, ws.cache.tmp_dir, claimed, todo.runs, on_wait=on_wait):
        objects = transfer.push(ws.cache, there, todo.objects, jobs=jobs, verify=verify, **transfer_callbacks(progress))
        failed = {oid for oid, _ in objects.failed}
        runs = runs_transfer.push_runs(ws.cache, there, todo.runs, failed, todo.trust, jobs=jobs) if todo.runs else None
    return objects, runs


def fetch(
    proj: project.Project, targets: Sequence[str] = (), *, remote: str | None = None, jobs: int | None = None,
    progress: Progress | None = None, run_cache: bool = True
) -> FetchResult:
    """Download into the local cache the objects of `targets` (default: all) that it lacks, the
    remote's run-cache entries, and the outputs of the recorded runs that `run` would use."""
    with _session(proj, targets, remote) as (ws, there, scope, refs):
        result = _fetch(ws, there, refs, scope, transfer_jobs(jobs), progress, run_cache)
    return _done(ws, result)


def pull(
    proj: project.Project, targets: Sequence[str] = (), *, remote: str | None = None, jobs: int | None = None,
    force: bool = False, progress: Progress | None = None, run_cache: bool = True,
    on_fetched: Callable[[PullResult], None] | None = None,
) -> PullResult:
    """fetch, then checkout: bring the outputs of `targets` (default: all) into the workspace.
    `force` overwrites outputs that differ and are not in the cache. `on_fetched` hears the fetch's
    result before the checkout starts, so it is known even if the checkout fails."""
    with _session(proj, targets, remote) as (ws, there, scope, refs):
        damaged = restore.drop_damaged(ws, refs)
        fetched = _fetch(ws, there, refs, scope, transfer_jobs(jobs), progress, run_cache)
        if on_fetched is not None:
            on_fetched(PullResult(damaged=damaged, fetched=fetched))
        restored = _checkout(ws, syncscope.refs(proj, scope), force)
    return _done(ws, PullResult(damaged=damaged, fetched=fetched, checkout=restored))


def checkout(proj: project.Project, targets: Sequence[str] = (), *, force: bool = False, relink: bool = False) -> CheckoutResult:
    """Restore the outputs of `targets` (default: all) from the cache, as the lock files record
    them; `force` overwrites outputs that differ and are not in the cache; `relink` places the
    ones already in place again, linked as `cache.type` says now (as `dvc checkout --relink`)."""
    scope = syncscope.of(proj, targets)
    project.ensure_dot_dir(proj)
    with session.project_lock(proj), _opened(proj) as ws:
        result = _checkout(ws, syncscope.refs(proj, scope), force, relink)
    return _done(ws, result)


def status(proj: project.Project, targets: Sequence[str] = (), *, remote: str | None = None) -> RemoteStatus:
    """What `push` would upload and `pull` would download, by output path; and the run-cache trust."""
    from pivot.remote import transfer
    from pivot.remote import trust as trust_mod

    with _session(proj, targets, remote) as (ws, there, _, refs):
        found = transfer.plan(ws.cache, there, refs, jobs=transfer_jobs(None))
        return RemoteStatus(there.spec.name, found, trust_mod.resolve(ws.settings))


def gc(
    proj: project.Project,
    *,
    remote: str | None = None,
    dry_run: bool = False,
    grace: str | None = None,
    drop_run_cache: bool = False,
    confirm: Callable[[remote_collect.RemotePlan], bool] | None = None,
    projects: Sequence[str | os.PathLike[str]] = (),
    revisions: references.Revisions | None = None,
) -> GcResult:
    """Delete the cached objects (local, or on `remote`) that no lock file, tracked file,
    run-cache entry or experiment record of this workspace references. `drop_run_cache` deletes the run-cache entries
    first (on `remote`: those there) so their objects can go too. On a remote, objects written
    within `grace` (default gc.grace_period, else 1h) or relied on by a push in progress stay;
    `confirm`, if given, sees the plan before anything is deleted (a remote gc that deletes).
    `projects`: the other clones that share this project's cache (pivot.api.gcshared); a local
    gc of a shared cache refuses without them. `revisions`: commits (branch tips, tags, every
    commit) whose committed locks and .pvt files are kept too, as DVC's `gc -a -T -A --rev`."""
    if not proj.dot_dir.is_dir():
        return GcResult(remote=remote, dry_run=dry_run, started=False)
    from pivot.api import gcshared

    if remote is None:
        gcshared.require_named(proj, projects)
    sharing = gcshared.others(proj, projects)
    # Holding the project locks keeps a run from adding objects that its lock does not name yet.
    with session.project_lock(proj), gcshared.held(sharing) as theirs, _opened(proj) as ws:
        # An experiment's outputs live only in the cache: its record keeps them until removed.
        oids = {ref.oid for ref in references.referenced(proj)} | exp_record.referenced_oids(proj) | theirs
        history, commits = references.committed(proj, revisions) if revisions else (set(), 0)
        oids |= history
        if remote is not None:
            from pivot.remote import collect as remote_collect

            runs = {} if drop_run_cache else references.shareable_runs(ws.cache, ws.run_cache)
            period = remote_collect.grace_period(grace, ws.settings.gc_grace_period)
            result = _gc_remote(ws, oids, runs, remote, dry_run, period, confirm)
        else:
            run_oids = set() if drop_run_cache else references.run_cache_oids(ws.run_cache)
            todo = collect.plan_local(ws.cache, oids, run_oids)  # refuses before anything is deleted
            dropped = ws.run_cache.clear() if drop_run_cache and not dry_run else 0
            failed = () if dry_run else tuple(collect.remove_local(ws.cache, todo))
            result = GcResult(dry_run=dry_run, dropped_runs=dropped, local=todo, failed=failed)
    result = dataclasses.replace(result, commits=commits)
    return _done(ws, result)


def _gc_remote(
    ws: Workspace,
    oids: set[str],
    runs: Mapping[str, RunEntry],
    name: str,
    dry_run: bool,
    grace: float,
    confirm: Callable[[remote_collect.RemotePlan], bool] | None,
) -> GcResult:
    from pivot.remote import collect as remote_collect
    from pivot.remote import fs
    from pivot.remote import spec as remote_spec

    there = fs.Remote(remote_spec.resolve(ws.settings, name, ws.project.root))
    kept_runs = {oid for entry in runs.values() for oid in entry.oids()}
    keep = collect.remote_keep(ws.cache, oids, runs, name, _manifests_there(ws, there, oids | kept_runs))
    todo = remote_collect.plan(there, keep, runs, grace=grace, now=time.time(), tmp_dir=ws.cache.tmp_dir)
    result = GcResult(remote=name, dry_run=dry_run, grace=grace, collected=remote_collect.Collected(todo))
    if dry_run or todo.empty:
        return result
    if confirm is not None and not confirm(todo):
        return dataclasses.replace(result, declined=True)
    done = remote_collect.collect(there, ws.cache.tmp_dir, todo, keep, runs, grace=grace)
    return dataclasses.replace(result, collected=done)


def _manifests_there(ws: Workspace, there: fs.Remote, oids: set[str]) -> dict[str, tuple[FileEntry, ...]]:
    """The manifests of referenced directories that the local cache lacks (an old commit's, a
    fresh clone's), as the remote has them (checked, not kept); () for one the remote lacks too:
    no complete directory is there to keep. A damaged local manifest still stops the gc."""
    from pivot.remote import transfer

    absent = sorted(oid for oid, damaged in references.unreadable_manifests(ws.cache, oids).items() if not damaged)
    if not absent:
        return {}
    lacking = there.missing(absent, jobs=transfer_jobs(None))
    return {oid: () if oid in lacking else transfer.remote_manifest(ws.cache, there, oid) for oid in absent}


# ---------------------------------------------------------------------- the pieces


@contextlib.contextmanager
def _opened(proj: project.Project) -> Iterator[Workspace]:
    ws = workspace.open_workspace(proj)
    try:
        yield ws
    finally:
        ws.close()


@contextlib.contextmanager
def _session(
    proj: project.Project, targets: Sequence[str], remote: str | None
) -> Iterator[tuple[Workspace, fs.Remote, syncscope.Scope, list[references.Reference]]]:
    """The workspace, the remote, what the targets pick and the objects it references. The
    project lock is held throughout: gc must not delete what is being pushed, nor a run rewrite
    the outputs a pull is restoring."""
    scope = syncscope.of(proj, targets)
    with remote_session(proj, remote) as (ws, there):
        yield ws, there, scope, syncscope.refs(proj, scope)


@contextlib.contextmanager
def remote_session(proj: project.Project, remote: str | None) -> Iterator[tuple[Workspace, fs.Remote]]:
    """The workspace and the remote `remote` names (default: the default remote), under the
    project lock: what every transfer between the two holds while it works."""
    from pivot.remote import fs
    from pivot.remote import spec as remote_spec

    project.ensure_dot_dir(proj)
    with session.project_lock(proj), _opened(proj) as ws:
        yield ws, fs.Remote(remote_spec.resolve(ws.settings, remote, proj.root))


def _done(ws: Workspace, result: _R) -> _R:
    full = ws.state.full if ws.state is not None else None
    return dataclasses.replace(result, memo_error=full) if full is not None else result


def _fetch(
    ws: Workspace,
    there: fs.Remote,
    refs: Sequence[references.Reference],
    scope: syncscope.Scope,
    jobs: int,
    progress: Progress | None,
    run_cache: bool,
) -> FetchResult:
    from pivot.remote import fetchplan, transfer
    from pivot.remote import runs as runs_transfer
    from pivot.remote import trust as trust_mod

    oids = {ref.oid for ref in refs}
    runs, unloadable = None, None
    if run_cache and scope.run_targets is not None:
        runs = runs_transfer.fetch_runs(ws.cache, ws.run_cache, there, trust_mod.resolve(ws.settings), jobs=jobs)
        recorded, unloadable = fetchplan.recorded_outputs(ws, scope.run_targets)
        oids |= recorded
    objects = transfer.fetch(ws.cache, there, sorted(oids), jobs=jobs, **transfer_callbacks(progress))
    return FetchResult(remote=there.spec.name, runs=runs, unloadable=unloadable, objects=objects)


def _checkout(ws: Workspace, refs: Sequence[references.Reference], force: bool, relink: bool = False) -> CheckoutResult:
    outputs = restore.checkout(ws, refs, force=force, relink=relink)
    return CheckoutResult(outputs=outputs, gitignore=gitignore.keep(ws.project, [ref.path for ref in refs]))


def transfer_jobs(jobs: int | None) -> int:
    return jobs or 4 * (os.cpu_count() or 1)


def transfer_callbacks(progress: Progress | None) -> dict[str, Callable[[int, int], None]]:
    return {} if progress is None else {"progress": progress.advance, "on_start": progress.start}
