"""Each stage's state for `pivot dag --html`, decided as `pivot status` decides it, plus what the
last run recorded (`pivot.api.lastrun`): the page (`pivot.report.dagpage`) only draws it.

A stage is *failed* when its last run failed and it is still not up to date (a stage brought up
to date since, say by checking out a commit whose outputs match, is no longer failing); else
*never run* when it has no lock; else *stale* when status would run it, restore it from the run
cache, or finds it blocked or frozen with something changed; else *up to date*."""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pivot import errors
from pivot.api import lastrun, session
from pivot.decide import statustext
from pivot.decide.status import Decision, Reason
from pivot.report.dagpage import DagView, StageBox, State

if TYPE_CHECKING:
    from pivot.api.project import Project
    from pivot.declare.selection import Selection


def view(proj: Project, targets: Sequence[str] = (), selection: Selection | None = None) -> DagView:
    """The stages TARGETS name (default: all) and everything upstream of them (or as `selection`
    reaches), with their states."""
    from pivot.decide import observe
    from pivot.declare import dag

    loaded = proj.load_pipeline()
    names = session.choose_shown(loaded, targets, selection).names
    with session.opened(proj.paths, proj.defer) as ws:
        decisions = observe.predict(ws, loaded.graph, loaded.pipeline.fingerprints, names)
    failed = lastrun.failures(proj.paths)
    frozen = statustext.frozen_without_outputs(decisions)
    by_name = {d.stage: d for d in decisions}
    boxes = tuple(_box(by_name[name], loaded.graph.stages[name].out_paths, failed, frozen) for name in names)
    return DagView(boxes, tuple(dag.edges(loaded.graph, names)), title=f"pivot dag: {proj.root.name}")


def write(proj: Project, out: pathlib.Path, targets: Sequence[str] = (), selection: Selection | None = None) -> pathlib.Path:
    from pivot.report import dagpage

    page = view(proj, targets, selection)
    try:
        return dagpage.write(page, out)
    except errors.PivotError:  # a full disk says so itself
        raise
    except OSError as problem:
        raise errors.PathError(f"cannot write the page {out}: {problem.strerror}", hint="name another file with -o") from problem


def _box(d: Decision, outputs: Sequence[str], failed: dict[str, str], frozen: frozenset[str]) -> StageBox:
    stale = d.run or d.from_run_cache or d.blocked or (d.frozen and len(d.reasons) > 1)
    details = _details(d)
    if stale and d.stage in failed:
        return StageBox(d.stage, State.FAILED, failed[d.stage] or f"see .pivot/logs/{d.stage}.log", details, tuple(outputs))
    if Reason.NEVER_RUN in d.reasons and not d.blocked:
        return StageBox(d.stage, State.NEVER_RUN, "", details, tuple(outputs))
    if stale:
        reason = statustext.state_text(d, frozen).removeprefix("will run: ")
        return StageBox(d.stage, State.STALE, reason, details, tuple(outputs))
    note = statustext.state_text(d, frozen).removeprefix("up to date").strip(" ()")
    return StageBox(d.stage, State.UP_TO_DATE, note, details, tuple(outputs))


def _details(d: Decision) -> tuple[str, ...]:
    """What changed, one line each, as `pivot explain` lists it."""
    return (
        *(f"param {c.key}: {c.change.value}" for c in d.param_changes),
        *(f"dep {c.path}: {c.change.value}" for c in d.dep_changes),
        *(f"code {c.name}: {c.change.value}" for c in d.code_changes),
        *(f"output {c.path}: {c.change.value}" for c in d.out_changes),
        *((f"upstream: {', '.join(d.upstream)}",) if d.upstream else ()),
    )
