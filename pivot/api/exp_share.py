"""`pivot exp push` and `pivot exp pull`: experiment records and the objects their locks name,
between this project and a remote. Which records move is `pivot.experiments.share`'s decision;
here they are moved in the one safe order: a record goes up only after every object it names is
on the remote (under a push marker, so a `gc -r` elsewhere keeps them meanwhile), and comes down
after its objects entered the cache. Nothing here prints."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pivot.api import sync
from pivot.api.project import Project
from pivot.experiments import record, share
from pivot.experiments.record import ExpRecord
from pivot.worktree import references

if TYPE_CHECKING:
    from pivot.remote import tasks
    from pivot.remote.fs import Remote
    from pivot.worktree.workspace import Workspace


@dataclasses.dataclass(frozen=True, slots=True)
class ExpPushResult:
    remote: str
    pushed: tuple[str, ...] = ()  # records uploaded
    already: tuple[str, ...] = ()  # the remote held the same record
    held_back: tuple[tuple[str, str], ...] = ()  # (name, why): not uploaded, so not on the remote
    objects: tasks.TransferSummary | None = None  # None: there was nothing to upload

    @property
    def ok(self) -> bool:
        return not self.held_back and (self.objects is None or self.objects.ok)


@dataclasses.dataclass(frozen=True, slots=True)
class ExpPullResult:
    remote: str
    pulled: tuple[str, ...] = ()  # records written here
    already: tuple[str, ...] = ()  # this project held the same record
    skipped: tuple[tuple[str, str], ...] = ()  # (name, why): unreadable on the remote, left there
    objects: tasks.TransferSummary | None = None  # None: objects not asked for (or none named)

    @property
    def ok(self) -> bool:
        return self.objects is None or self.objects.ok


def push(
    proj: Project, names: Sequence[str] = (), *, remote: str | None = None, jobs: int | None = None,
    force: bool = False, progress: sync.Progress | None = None,
) -> ExpPushResult:
    """Upload the records `names` (default: every experiment that is ok) with their outputs.
    A record the remote holds with other content stops the push before anything moves, unless
    `force`; one whose outputs are not all in the local cache, or failed to upload, is held back."""
    from pivot.remote import exps

    with sync.remote_session(proj.paths, remote) as (ws, there):
        recs = share.to_push(proj.paths, names)
        found = dict(zip((rec.name for rec in recs), exps.read_many(there, [rec.name for rec in recs]), strict=True))
        texts = {name: None if f is None else (record.dumps(f.rec) if f.rec else "") for name, f in found.items()}
        todo = share.against(recs, texts)
        if not force:
            share.refuse_differing(todo.differing, "here", f"remote '{there.name}'", "pivot exp push")
        result = ExpPushResult(there.name, already=tuple(rec.name for rec in todo.same))
        return _upload(ws, there, [*todo.new, *todo.differing], result, jobs, progress)


def _upload(
    ws: Workspace, there: Remote, recs: Sequence[ExpRecord], result: ExpPushResult, jobs: int | None, progress: sync.Progress | None
) -> ExpPushResult:
    from pivot.remote import exps, inflight, transfer

    held: list[tuple[str, str]] = []
    ready: list[ExpRecord] = []
    for rec in recs:
        lacking = sorted(oid for oid in record.named_oids(rec, record.OUTPUTS) if not ws.cache.is_complete(oid))
        if lacking:
            held.append((rec.name, f"{len(lacking)} of its outputs are not in the local cache (e.g. {lacking[0]})"))
        else:
            ready.append(rec)
    if not ready:
        return dataclasses.replace(result, held_back=tuple(held))
    oids = set().union(*(record.named_oids(rec, record.OUTPUTS) for rec in ready))
    on_wait = None if progress is None else (lambda age: progress.waiting_for_gc(there.name, age))
    with inflight.announced(there, ws.cache.tmp_dir, references.expand(ws.cache, oids), (), on_wait=on_wait):
        objects = transfer.push(ws.cache, there, oids, jobs=sync.transfer_jobs(jobs), verify=False, **sync.transfer_callbacks(progress))
        failed = {oid for oid, _ in objects.failed}
        complete = []
        for rec in ready:
            broken = record.named_oids(rec, record.OUTPUTS) & failed
            if broken:
                held.append((rec.name, f"{len(broken)} of its objects failed to upload"))
            else:
                complete.append(rec)
        # Last, and before the marker goes: their objects are all there now (see gc -r).
        failures = exps.put_many(there, ws.cache.tmp_dir, complete)
    held += [(rec.name, message) for rec, message in zip(complete, failures, strict=True) if message is not None]
    pushed = tuple(rec.name for rec, message in zip(complete, failures, strict=True) if message is None)
    return dataclasses.replace(result, pushed=pushed, held_back=tuple(held), objects=objects)


def pull(
    proj: Project, names: Sequence[str] = (), *, remote: str | None = None, jobs: int | None = None,
    force: bool = False, objects: bool = True, progress: sync.Progress | None = None,
) -> ExpPullResult:
    """Download the records `names` (default: every one on the remote) and, with `objects`, the
    outputs they name into the cache, so `exp apply` needs no remote. A local record of the same
    name with other content stops the pull before anything changes, unless `force`. A record on
    the remote that cannot be read is skipped (and reported); the others still come."""
    from pivot.remote import exps, transfer

    with sync.remote_session(proj.paths, remote) as (ws, there):
        chosen = share.pick(names, exps.names(there), there.name)
        found = list(zip(chosen, exps.read_many(there, chosen), strict=True))
        skipped = [(name, "it is no longer on the remote" if f is None else str(f.problem)) for name, f in found if f is None or f.rec is None]
        recs = [f.rec for _, f in found if f is not None and f.rec is not None]
        todo = share.against(recs, share.local_texts(proj.paths, [rec.name for rec in recs]))
        if not force:
            share.refuse_differing(todo.differing, f"remote '{there.name}'", "this project", "pivot exp pull")
        writes = [*todo.new, *todo.differing]
        fetched = None
        if objects and recs:
            wanted = set().union(*(record.named_oids(rec, record.OUTPUTS) for rec in recs))
            fetched = transfer.fetch(ws.cache, there, sorted(wanted), jobs=sync.transfer_jobs(jobs), **sync.transfer_callbacks(progress))
        if writes:
            record.keep_out_of_git(proj.paths)
        for rec in writes:  # after its objects: a record here can be applied whenever they all came
            record.write(proj.paths, rec)
    return ExpPullResult(there.name, tuple(rec.name for rec in writes), tuple(rec.name for rec in todo.same), tuple(skipped), fetched)
