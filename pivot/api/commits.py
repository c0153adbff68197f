"""`pivot commit`: record the workspace's outputs as the result of stages that were not run by
pivot (a script run by hand, outputs fixed up by hand), as DVC's `dvc commit` does.

Each stage is observed as `run` would observe it; its outputs are then hashed, saved to the cache
and its lock written by `pivot.executor.commit`, the one lock writer, with the code, params and
deps as they are now. `plan` says what would change first, so the CLI can warn and ask.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pivot import errors

if TYPE_CHECKING:
    from pivot.api.project import Project
    from pivot.decide.status import Decision, Facts
    from pivot.worktree.session import Loaded
    from pivot.worktree.workspace import Workspace


@dataclasses.dataclass(frozen=True, slots=True)
class Pending:
    """A stage whose lock a commit would write."""

    stage: str
    changed: str  # what changed since its lock besides its outputs ("" when only outputs did)
    new: bool  # it has no lock yet


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    pending: tuple[Pending, ...]  # in run order
    current: tuple[str, ...]  # already as their locks record them: nothing to write

    @property
    def changed(self) -> tuple[Pending, ...]:
        """Stages whose deps, params or code changed since their lock: committing hides that."""
        return tuple(item for item in self.pending if item.changed)


def plan(project: Project, targets: Sequence[str] = ()) -> Plan:
    """What committing TARGETS (default: all stages; no upstream) would write. A stage with a
    missing output or dep cannot be committed: InputError naming it."""
    from pivot.api import session

    loaded = project.load_pipeline()
    names = _names(loaded, targets)
    with session.opened(project.paths, project.defer) as ws:
        decisions = [_decide(ws, loaded, name) for name in names]
    pending = tuple(Pending(d.stage, _changed(d), not _has_lock(d)) for d in decisions if _writes(d))
    return Plan(pending, tuple(d.stage for d in decisions if not _writes(d)))


def commit(project: Project, stages: Sequence[str]) -> tuple[str, ...]:
    """Write the locks of `stages` (exact names, as `plan` returned them) from the workspace's
    outputs, caching them; returns the stages committed. Decides again under the project lock:
    a stage that became current meanwhile is left alone."""
    from pivot.api import lastrun, session
    from pivot.base import project as project_mod
    from pivot.executor import commit as committing
    from pivot.executor.reporting import StageResult, StageStatus
    from pivot.executor.run import basis_of
    from pivot.worktree import gitignore

    loaded = project.load_pipeline()
    names = _names(loaded, stages)
    project_mod.ensure_dot_dir(project.paths)
    done = []
    with session.project_lock(project.paths), session.opened(project.paths, project.defer) as ws:
        for name in names:
            stage = loaded.graph.stages[name]
            facts, decision = _observe(ws, loaded, name)
            if _writes(decision):
                committing.commit(ws, stage, basis_of(stage, facts))
                done.append(name)
        gitignore.keep(project.paths, *gitignore.split_outputs(loaded.graph.stages[n] for n in done))
    lastrun.record(project.paths, [StageResult(name, StageStatus.RAN) for name in done])  # no longer "failed"
    return tuple(done)


def _names(loaded: Loaded, targets: Sequence[str]) -> list[str]:
    from pivot.api import session

    wanted = set(session.targets(loaded, targets))
    return [name for name in loaded.graph.order if name in wanted]


def _observe(ws: Workspace, loaded: Loaded, name: str) -> tuple[Facts, Decision]:
    from pivot.decide import observe, rescheme

    stage = loaded.graph.stages[name]
    code = loaded.pipeline.fingerprints[name]
    lock = rescheme.current(stage, ws.read_lock(name), code, str(ws.project.root))
    removed = observe.removed_deps(ws, loaded.graph, stage) if loaded.graph.temps else {}
    facts, decision = observe.decide(ws, stage, code, lock, force=False, use_run_cache=False, known=removed or None)
    # A temp output removed after use is missing by design while its stage is up to date.
    used = {out.path for out in stage.outs if out.temp} if not _writes(decision) else set()
    missing_outs = [path for path, info in facts.outs.items() if info is None and path not in used]
    missing_deps = [path for path, info in facts.deps.items() if info is None]
    if missing_outs or missing_deps:
        what = f"output '{missing_outs[0]}'" if missing_outs else f"dependency '{missing_deps[0]}'"
        raise errors.InputError(
            f"cannot commit stage '{name}': its {what} is missing",
            hint="create it (run the stage's script), or leave the stage out of the command",
        )
    return facts, decision


def _decide(ws: Workspace, loaded: Loaded, name: str) -> Decision:
    return _observe(ws, loaded, name)[1]


def _writes(decision: Decision) -> bool:
    """Whether committing changes the stage's lock: it would run, or its lock is missing."""
    from pivot.decide.status import Reason

    return decision.run or Reason.NEVER_RUN in decision.reasons or (decision.frozen and len(decision.reasons) > 1)


def _has_lock(decision: Decision) -> bool:
    from pivot.decide.status import Reason

    return Reason.NEVER_RUN not in decision.reasons


def _changed(decision: Decision) -> str:
    from pivot.decide.status import Reason

    shown = (Reason.DEPS, Reason.PARAMS, Reason.CODE, Reason.CMD)
    parts = [reason.value for reason in decision.reasons if reason in shown]
    paths = [change.path for change in decision.dep_changes]
    return ", ".join(parts) + (f" ({', '.join(paths)})" if paths else "")
