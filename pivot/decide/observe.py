"""Gather the facts `status.decide` needs (hashes, fingerprints), and predict a whole plan.

Reading only: hashing fills the stat memo, but nothing the user sees is changed.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pivot import errors
from pivot.base.project import is_within
from pivot.code import fingerprint
from pivot.decide import rescheme, status
from pivot.declare.graph import Graph
from pivot.declare.stage import Stage
from pivot.storage import hashing, runcache
from pivot.storage.hashing import HashInfo
from pivot.storage.lock import StageLock
from pivot.worktree import restore
from pivot.worktree.workspace import Workspace


def observe(
    ws: Workspace,
    stage: Stage,
    code: fingerprint.Fingerprint,
    lock: StageLock | None,
    *,
    unknown_deps: frozenset[str] = frozenset(),
    known: Mapping[str, HashInfo] | None = None,
) -> status.Facts:
    """`known`: outputs of upstream stages as they will be once restored (explain's prediction)."""
    deps = {
        path: _known_hash(ws, known, path) or _hash_or_none(ws, path)
        for path in stage.dep_paths
        if path not in unknown_deps
    }
    hashed = {path: _hashed_or_none(ws, path) for path in stage.out_paths}
    outs = {path: h.info if h is not None else None for path, h in hashed.items()}
    states = _out_states(ws, lock, hashed)
    restorable, damaged = _restorable(ws, stage, lock, states)
    return status.Facts(
        fingerprint=code,
        params=stage.params,
        deps={**deps, **{path: None for path in unknown_deps if path in stage.dep_paths}},
        outs=outs,
        restorable=restorable,
        damaged=damaged,
        edited=frozenset(path for path, state in states.items() if state is restore.OutputState.EDITED),
        unknown_deps=unknown_deps,
    )


def decide(
    ws: Workspace,
    stage: Stage,
    code: fingerprint.Fingerprint,
    lock: StageLock | None,
    *,
    force: bool,
    use_run_cache: bool,
    upstream_running: tuple[str, ...] = (),
    unknown_deps: frozenset[str] = frozenset(),
    known: Mapping[str, HashInfo] | None = None,
    fetchable: bool = False,
    adjust: Callable[[Stage, status.Facts], status.Facts] | None = None,
) -> tuple[status.Facts, status.Decision]:
    """Observe, then decide once, consulting the run cache only for a stage that would run: the
    one sequence `run`, `status` and `explain` share. `fetchable` counts entries whose objects are
    not here yet as hits (what `pivot fetch` plans to download); `adjust` amends the facts first
    (remote-cache mode on Dask: outputs that live on the remote)."""
    facts = observe(ws, stage, code, lock, unknown_deps=unknown_deps, known=known)
    if adjust is not None:
        facts = adjust(stage, facts)

    def look_up() -> runcache.Lookup | None:
        if any(out.incremental for out in stage.outs):
            return runcache.Lookup("", runcache.LookupState.MISS, note=status.INCREMENTAL_NOTE)
        inputs = run_inputs(stage, facts)
        if inputs is None:
            return None
        return ws.run_cache.look_up(stage, inputs, ws.cache, damaged=facts.damaged.values(), fetchable=fetchable)

    lookup = look_up if use_run_cache else None
    decision = status.decide(stage, lock, facts, forced=force, upstream_running=upstream_running, run_cache=lookup)
    return facts, decision


def current(ws: Workspace, stage: Stage, code: fingerprint.Fingerprint, graph: Graph | None = None) -> bool:
    """Whether the stage is up to date as its files and lock are now (`status.current`); with the
    `graph`, a temp output it reads that was removed after use counts as its lock records it."""
    lock = rescheme.current(stage, ws.read_lock(stage.name), code, str(ws.project.root))
    known = removed_deps(ws, graph, stage) if graph is not None and graph.temps else None
    return status.current(stage, lock, observe(ws, stage, code, lock, known=known))


def run_inputs(stage: Stage, facts: status.Facts) -> dict[str, Any] | None:
    """What the stage's run-cache key is the hash of, from these facts (None: not keyable). An
    always-changed stage is never keyable: its result depends on more than its inputs (as in DVC)."""
    if facts.unknown_deps or stage.always_changed or any(out.temp for out in stage.outs):
        return None  # (a temp output is in no cache, so no recorded run could bring it back)
    return runcache.inputs_for(stage, facts.fingerprint.digest, facts.params, facts.deps)


def _known_hash(ws: Workspace, known: Mapping[str, HashInfo] | None, path: str) -> HashInfo | None:
    """The hash `path` will have, if an upstream output that is or contains it is in `known`."""
    if not known:
        return None
    if path in known:
        return known[path]
    for out, info in known.items():
        if info.is_dir and is_within(path, out):
            try:
                entries = ws.cache.read_manifest(info.oid)
            except errors.CacheError:
                return None
            rel = path[len(out) + 1 :]
            inside = [
                hashing.FileEntry(e.relpath[len(rel) + 1 :], e.oid, e.size)
                for e in entries
                if e.relpath.startswith(rel + "/")
            ]
            if inside:
                return hashing.dir_info(inside)
            return next((HashInfo(e.oid, e.size) for e in entries if e.relpath == rel), None)
    return None


def _hash_or_none(ws: Workspace, path: str) -> HashInfo | None:
    hashed = _hashed_or_none(ws, path)
    return hashed.info if hashed is not None else None


def _hashed_or_none(ws: Workspace, path: str) -> hashing.Hashed | None:
    try:
        return ws.hasher.hash_path(ws.project.abspath(path))
    except (FileNotFoundError, NotADirectoryError):  # a parent that is a file: missing all the same
        return None


def _out_states(
    ws: Workspace, lock: StageLock | None, outs: Mapping[str, hashing.Hashed | None]
) -> dict[str, restore.OutputState]:
    """Each output the lock records, judged as `pivot checkout` judges it."""
    if lock is None:
        return {}
    states = {}
    for path, current in outs.items():
        locked = lock.output(path)
        if locked is not None:
            states[path] = restore.classify(ws, locked.oid, current)
    return states


def _restorable(
    ws: Workspace, stage: Stage, lock: StageLock | None, states: Mapping[str, restore.OutputState]
) -> tuple[frozenset[str], dict[str, str]]:
    """(outputs to put back instead of running, changed outputs whose cached copy is damaged ->
    its object). Only a missing output, or one whose bytes the cache holds too, is put back: a
    hand edit never is. Objects are checked by content, not by presence: with hardlink or symlink
    checkouts an edit in place also rewrites the object, which must then never be restored."""
    if lock is None:
        return frozenset(), {}
    found, damaged = set(), {}
    for out in stage.outs:
        locked = lock.cached.get(out.path)
        state = states.get(out.path)
        if out.cache and locked is not None and state not in (None, restore.OutputState.CURRENT):
            if ws.cache.intact(locked.oid, ws.hasher):
                if state in (restore.OutputState.MISSING, restore.OutputState.REPLACEABLE):
                    found.add(out.path)
            elif ws.cache.exists(locked.oid):
                damaged[out.path] = locked.oid
    return frozenset(found), damaged


def predict(
    ws: Workspace,
    graph: Graph,
    fingerprints: Mapping[str, fingerprint.Fingerprint],
    names: Sequence[str],
    *,
    force: bool = False,
    use_run_cache: bool = True,
    fetchable: bool = False,
) -> list[status.Decision]:
    """Decisions for `names` (in graph order) as a run would make them, without running anything.

    A stage downstream of one that will run cannot know its deps yet: those deps are left out of
    the comparison and 'Upstream stage will run' is the reason instead. A stage whose outputs will
    be restored (from the cache or the run cache) passes their hashes on to its downstream."""
    will_run: set[str] = set()
    blocked: set[str] = set()
    removed = removed_temps(ws, graph)  # as they are before anything runs: read once
    known: dict[str, HashInfo] = dict(removed)
    decisions = []
    for name in names:
        stage = graph.stages[name]
        running_up = tuple(sorted(up for up in graph.upstream[name] if up in will_run))
        unknown = frozenset(
            dep for dep in stage.dep_paths if any(_produces(graph, up, dep) for up in running_up)
        )
        lock = rescheme.current(stage, ws.read_lock(name), fingerprints[name], str(ws.project.root))
        _, decision = decide(
            ws,
            stage,
            fingerprints[name],
            lock,
            force=force,
            use_run_cache=use_run_cache,
            upstream_running=running_up,
            unknown_deps=unknown,
            known=known,
            fetchable=fetchable,
        )
        missing = graph.missing.get(name, ())
        blocked_by = tuple(sorted(up for up in graph.upstream[name] if up in blocked))
        if missing or blocked_by:
            decision = dataclasses.replace(decision, missing_deps=missing, blocked_by=blocked_by)
        if decision.blocked:  # (a frozen stage without its outputs blocks its downstream too)
            blocked.add(name)
        if decision.run:
            will_run.add(name)
        known.update(_restored(decision, lock))
        decisions.append(decision)
    return _with_temps_remade(graph, decisions, removed) if removed else decisions


def removed_temps(ws: Workspace, graph: Graph) -> dict[str, HashInfo]:
    """Temp outputs removed after use, with the hash their stage's lock records: what a stage
    reading one compares, and what running its stage again would make."""
    return {path: info for path in graph.temps if (info := _removed_temp(ws, graph, path)) is not None}


def removed_deps(ws: Workspace, graph: Graph, stage: Stage) -> dict[str, HashInfo]:
    """`removed_temps` among the deps of `stage`, as they are now: one made again since is hashed."""
    return {dep: info for dep in stage.dep_paths if dep in graph.temps and (info := _removed_temp(ws, graph, dep)) is not None}


def _removed_temp(ws: Workspace, graph: Graph, path: str) -> HashInfo | None:
    """The hash its stage's lock records for temp output `path`, if it was removed; else None."""
    if os.path.lexists(ws.project.abspath(path)):
        return None
    lock = ws.read_lock(graph.temps[path])
    return lock.output(path) if lock is not None else None


def _temp_producers(graph: Graph, stage: Stage, removed: Mapping[str, HashInfo]) -> set[str]:
    """The stages that must run again before `stage` can: they made temp outputs it reads, since removed."""
    return {graph.temps[dep] for dep in stage.dep_paths if dep in removed}


def _with_temps_remade(graph: Graph, decisions: list[status.Decision], removed: Mapping[str, HashInfo]) -> list[status.Decision]:
    """A stage that will run and reads a removed temp output has that output's stage run first:
    from the last stage back, so that a chain of temp outputs is made again from its start."""
    by_name = {d.stage: d for d in decisions}
    needed: dict[str, list[str]] = {}
    for decision in reversed(decisions):
        if decision.stage in needed:
            decision = by_name[decision.stage] = status.temp_needed(decision, tuple(needed[decision.stage]))
        if decision.run:
            for producer in _temp_producers(graph, graph.stages[decision.stage], removed):
                needed.setdefault(producer, []).insert(0, decision.stage)
    return [by_name[d.stage] for d in decisions]


def _restored(decision: status.Decision, lock: StageLock | None) -> dict[str, HashInfo]:
    """The outputs a decision brings back, with the hashes they will have."""
    entry = decision.run_cache_entry
    if decision.from_run_cache and entry is not None:
        return {**entry.outs, **entry.metrics}
    if lock is None:
        return {}
    return {path: info for path in decision.restore if (info := lock.output(path)) is not None}


def _produces(graph: Graph, stage: str, dep: str) -> bool:
    return any(is_within(dep, out) or is_within(out, dep) for out in graph.stages[stage].out_paths)
