"""`pivot verify`: whether the pipeline is reproduced, for a CI merge gate.

A stage passes when its lock matches its code, params and deps now, and each output it locked
is in the workspace as locked, or in the cache (with `allow_missing`, on the default remote:
asked about, never downloaded). Data a CI checkout does not have is judged by its record: a
missing output of an upstream stage, or a missing .pvt-tracked path, counts as its locked (or
tracked) version for the stages that depend on it, and is itself checked for being available.

Stages marked `always_changed` pass when they are otherwise current (they would never pass
otherwise), and frozen stages are judged on their outputs only: `run` never runs them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from pivot.storage.hashing import HashInfo

if TYPE_CHECKING:
    from pivot.api.project import Project
    from pivot.code.fingerprint import Fingerprint
    from pivot.decide.status import Decision
    from pivot.declare.stage import Stage
    from pivot.storage.lock import StageLock
    from pivot.worktree.tracking import Tracked
    from pivot.worktree.workspace import Workspace

_REMOTE_JOBS = 16


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    stage: str  # "" for a tracked path no stage produces
    text: str

    def __str__(self) -> str:
        return f"{self.stage}: {self.text}" if self.stage else self.text


@dataclasses.dataclass(frozen=True, slots=True)
class _Missing:
    """An output or tracked path absent from the workspace and the cache: the remote may have it."""

    stage: str
    path: str
    oid: str


def verify(project: Project, targets: Sequence[str] = (), *, allow_missing: bool = False) -> list[Problem]:
    """One problem per stale stage, unavailable output or tracked path, for TARGETS (default: all)
    and the stages upstream of them, in run order; [] when everything is reproduced."""
    from pivot.api import session
    from pivot.worktree import tracking

    loaded = project.load_pipeline()
    names = session.select(loaded, targets)
    problems: list[Problem] = []
    absent: list[_Missing] = []
    with session.opened(project.paths, project.defer) as ws:
        known = _tracked_stand_ins(ws, tracking.find(ws.project, skip=_out_paths(loaded.graph.stages.values())), absent)
        for name in names:
            problems.extend(_check_stage(ws, loaded.graph.stages[name], loaded.pipeline.fingerprints[name], known, absent))
        if absent and allow_missing:
            absent = _not_on_remote(ws, absent)
    problems.extend(_absent_problem(item, allow_missing) for item in absent)
    return problems


def _out_paths(stages: Iterable[Stage]) -> list[str]:
    return [path for stage in stages for path in stage.out_paths]


def _tracked_stand_ins(ws: Workspace, tracked: Sequence[Tracked], absent: list[_Missing]) -> dict[str, HashInfo]:
    """Tracked paths missing here, as their .pvt records them (the ones the cache lacks noted)."""
    from pivot.worktree import tracking

    known: dict[str, HashInfo] = {}
    for item in tracked:
        if tracking.state(ws, item) is tracking.State.MISSING:
            known[item.path] = item.info
            if not ws.cache.exists(item.info.oid):
                absent.append(_Missing("", item.path, item.info.oid))
    return known


def _check_stage(ws: Workspace, stage: Stage, code: Fingerprint, known: dict[str, HashInfo], absent: list[_Missing]) -> list[Problem]:
    from pivot.decide import observe, rescheme, status

    lock = rescheme.current(stage, ws.read_lock(stage.name), code, str(ws.project.root))
    if lock is None:
        return [Problem(stage.name, "never run: no lock (run it, or 'pivot commit' outputs made by hand)")]
    facts = observe.observe(ws, stage, code, lock, known=known)
    decision = status.decide(stage, lock, facts)
    problems = [Problem(stage.name, text) for text in _staleness(decision)]
    problems.extend(Problem(stage.name, text) for text in _outputs(ws, stage, lock, facts.outs, known, absent))
    return problems


def _staleness(decision: Decision) -> list[str]:
    from pivot.decide.status import Change, Reason

    ignored = (Reason.OUTS, Reason.ALWAYS_CHANGED, Reason.FROZEN, Reason.UPSTREAM)
    reasons = [reason for reason in decision.reasons if reason not in ignored]
    if not reasons or decision.frozen:
        return []
    details = [f"{c.path} {'missing' if c.change is Change.MISSING else c.change.value}" for c in decision.dep_changes]
    details += [f"param {c.key}" for c in decision.param_changes]
    details += [c.name for c in decision.code_changes]
    what = ", ".join(reason.value for reason in reasons)
    return [f"stale: {what}" + (f" ({'; '.join(details)})" if details else "")]


def _outputs(
    ws: Workspace,
    stage: Stage,
    lock: StageLock,
    current: Mapping[str, HashInfo | None],
    known: dict[str, HashInfo],
    absent: list[_Missing],
) -> list[str]:
    problems = []
    temps = {out.path for out in stage.outs if out.temp}
    for path in stage.out_paths:
        locked = lock.output(path)
        now = current.get(path)
        if locked is None:
            problems.append(f"output '{path}' is not in its lock (declared since it last ran)")
        elif now is None:
            known[path] = locked  # downstream stages are judged against the locked version
            if path not in temps and not ws.cache.exists(locked.oid):  # (a temp output is kept nowhere, by design)
                absent.append(_Missing(stage.name, path, locked.oid))
        elif now.oid != locked.oid:
            problems.append(f"output '{path}' differs from its lock (run the stage, or 'pivot commit' it)")
    return problems


def _not_on_remote(ws: Workspace, absent: Sequence[_Missing]) -> list[_Missing]:
    """The items the default remote lacks too. A directory's manifest goes up only after all its
    files, so asking for the manifest answers for the files."""
    from pivot.remote import fs, spec

    remote = fs.Remote(spec.resolve(ws.settings, None, ws.project.root))
    lacking = remote.missing({item.oid for item in absent}, jobs=_REMOTE_JOBS)
    return [item for item in absent if item.oid in lacking]


def _absent_problem(item: _Missing, allow_missing: bool) -> Problem:
    where = "the workspace, the cache or the default remote" if allow_missing else "the workspace or the cache"
    what = "output" if item.stage else "tracked path"
    fix = "run it, or push from where it ran" if item.stage else "track and push it again"
    return Problem(item.stage, f"{what} '{item.path}' is not in {where} ({fix})")
