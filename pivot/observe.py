"""Gather the facts `status.decide` needs (hashes, fingerprints), and predict a whole plan.

Reading only: hashing fills the stat memo, but nothing the user sees is changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pivot import fingerprint, status
from pivot.graph import Graph
from pivot.project import is_within
from pivot.stage import Stage
from pivot.storage.hashing import HashInfo
from pivot.storage.lock import StageLock
from pivot.workspace import Workspace


def observe(
    ws: Workspace,
    stage: Stage,
    code: fingerprint.Fingerprint,
    lock: StageLock | None,
    *,
    unknown_deps: frozenset[str] = frozenset(),
) -> status.Facts:
    deps = {path: _hash_or_none(ws, path) for path in stage.dep_paths if path not in unknown_deps}
    outs = {path: _hash_or_none(ws, path) for path in stage.out_paths}
    return status.Facts(
        fingerprint=code,
        params=stage.params,
        deps={**deps, **{path: None for path in unknown_deps if path in stage.dep_paths}},
        outs=outs,
        restorable=_restorable(ws, stage, lock, outs),
        unknown_deps=unknown_deps,
    )


def _hash_or_none(ws: Workspace, path: str) -> HashInfo | None:
    try:
        return ws.hasher.hash_path(ws.project.abspath(path)).info
    except (FileNotFoundError, NotADirectoryError):  # a parent that is a file: missing all the same
        return None


def _restorable(
    ws: Workspace, stage: Stage, lock: StageLock | None, outs: Mapping[str, HashInfo | None]
) -> frozenset[str]:
    if lock is None:
        return frozenset()
    found = set()
    for out in stage.outs:
        locked = lock.outs.get(out.path)
        current = outs.get(out.path)
        if out.cache and locked is not None and (current is None or current.oid != locked.oid):
            if ws.cache.is_complete(locked.oid):
                found.add(out.path)
    return frozenset(found)


def predict(
    ws: Workspace,
    graph: Graph,
    fingerprints: Mapping[str, fingerprint.Fingerprint],
    names: Sequence[str],
    *,
    force: bool = False,
) -> list[status.Decision]:
    """Decisions for `names` (in graph order) as a run would make them, without running anything.

    A stage downstream of one that will run cannot know its deps yet: those deps are left out of
    the comparison and 'Upstream stage will run' is the reason instead."""
    will_run: set[str] = set()
    decisions = []
    for name in names:
        stage = graph.stages[name]
        running_up = tuple(sorted(up for up in graph.upstream[name] if up in will_run))
        unknown = frozenset(
            dep for dep in stage.dep_paths if any(_produces(graph, up, dep) for up in running_up)
        )
        lock = ws.read_lock(name)
        facts = observe(ws, stage, fingerprints[name], lock, unknown_deps=unknown)
        decision = status.decide(stage, lock, facts, forced=force, upstream_running=running_up)
        if decision.run:
            will_run.add(name)
        decisions.append(decision)
    return decisions


def _produces(graph: Graph, stage: str, dep: str) -> bool:
    return any(is_within(dep, out) or is_within(out, dep) for out in graph.stages[stage].out_paths)
