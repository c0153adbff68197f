"""`pivot exp apply`: make the workspace what an experiment left, without running anything: its
overrides written into params.yaml (comments kept), its outputs restored from the cache, its locks
written, so `pivot status` finds every stage up to date.

Everything that could stop it is checked before the first write: the record's locks parse, every
object is in the cache, no output holds an edit the cache does not have, params.yaml is editable."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from pivot import errors
from pivot.base import atomic, project, yamldoc
from pivot.experiments.record import ExpRecord
from pivot.storage import lock as lock_mod
from pivot.worktree import restore
from pivot.worktree.workspace import Workspace

ParamPath = tuple[str, ...]  # ("train", "optimizer", "lr"): stage, then the keys into its params


@dataclasses.dataclass(frozen=True, slots=True)
class Applied:
    name: str
    stages: int
    restored: int  # outputs written; the rest already held the experiment's content
    params_set: int
    # The commit the experiment ran on, when HEAD has moved since: its locks may then record
    # other deps or code than the workspace has, and `pivot status` says which stages differ.
    other_base: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class _Output:
    stage: str
    path: str
    oid: str
    cache: bool


def apply(ws: Workspace, rec: ExpRecord, params: Sequence[tuple[ParamPath, Any]], *, force: bool = False) -> Applied:
    """Apply `rec`; `params` are its overrides as paths into params.yaml."""
    if rec.status != "ok":
        raise errors.InputError(
            f"experiment '{rec.name}' failed, so it has no complete results to apply",
            hint=f"see its error with 'pivot exp show --json', or remove it: 'pivot exp remove {rec.name}'",
        )
    locks = locks_of(rec)
    outputs = [
        _Output(stage, path, out.info.oid, out.cache)
        for stage, lock in locks.items()
        for path, out in lock.outputs.items()
        if not out.temp  # removed once used: the stages reading it are applied as they left it
    ]
    _check_objects(ws, rec.name, outputs)
    if not force:
        _check_edits(ws, outputs)
    params_text = params_yaml(ws.project, params) if params else None
    restored = 0
    for out in outputs:
        current = restore.hash_now(ws, out.path)
        if current is None or current.info.oid != out.oid:
            # An output git tracks instead of the cache stays a plain file, whatever cache.type says.
            ws.cache.checkout(out.oid, ws.project.abspath(out.path), ws.hasher, copy=not out.cache)
            restored += 1
    for stage, lock in locks.items():
        lock_mod.write(ws.project.lock_file(stage), lock)
    if params_text is not None:
        atomic.write_text(ws.project.params_file, params_text)
    return Applied(rec.name, len(locks), restored, len(params))


def locks_of(rec: ExpRecord) -> dict[str, lock_mod.StageLock]:
    """The record's lock of each stage; one that cannot be read is an `InputError`."""
    locks = {}
    for stage, data in rec.locks.items():
        lock = lock_mod.parse(json.dumps(data))  # JSON is YAML: the lock file's own reader
        if lock is None:
            raise errors.InputError(
                f"experiment '{rec.name}': its lock of stage '{stage}' cannot be read",
                hint=f"the record was damaged or written by another pivot version; remove it: 'pivot exp remove {rec.name}'",
            )
        locks[stage] = lock
    return locks


def _check_objects(ws: Workspace, name: str, outputs: Sequence[_Output]) -> None:
    missing = [out for out in outputs if not ws.cache.is_complete(out.oid)]
    if missing:
        paths = ", ".join(f"{out.path} (stage '{out.stage}')" for out in missing)
        raise errors.CacheError(
            f"experiment '{name}' cannot be applied: the cache lacks {paths}; nothing was changed",
            hint=f"'pivot exp pull {name}' fetches them from the remote it was pushed to, or run the experiment again",
        )


def _check_edits(ws: Workspace, outputs: Sequence[_Output]) -> None:
    """An output whose content neither the cache nor its current lock knows was edited by hand:
    replacing it would lose that work. (A metric git tracks is not cached, but its lock records
    it: it is the last run's, not an edit.)"""
    edited = []
    for out in outputs:
        current = restore.hash_now(ws, out.path)
        if restore.classify(ws, out.oid, current) is not restore.OutputState.EDITED or current is None:
            continue
        lock = ws.read_lock(out.stage)
        recorded = lock.output(out.path) if lock is not None else None
        if recorded is None or recorded.oid != current.info.oid:
            edited.append(out.path)
    if edited:
        raise errors.InputError(
            f"{restore.edited_note(edited[0])}" + (f", and {len(edited) - 1} more" if len(edited) > 1 else "") + "; nothing was changed",
            hint="'pivot exp apply -f' overwrites it with the experiment's version (save a copy first if you need it)",
        )


def params_yaml(proj: project.Project, params: Sequence[tuple[ParamPath, Any]]) -> str:
    """params.yaml with each value set (a missing file starts empty), comments and order kept."""
    before = yamldoc.load(proj.params_file, project.PARAMS_FILE).text  # a missing file reads as ""
    return params_text(before, params)


def params_text(before: str, params: Sequence[tuple[ParamPath, Any]]) -> str:
    """params.yaml's text `before` with each value set, comments and order kept."""
    from pivot.base import yamledit  # ruamel: only for the commands that edit a file

    data = yamledit.load(before, project.PARAMS_FILE)
    for path, value in params:
        yamledit.put(data, path, value)
    return yamledit.dump(data, before)
