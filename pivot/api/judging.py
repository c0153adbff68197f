"""What `Project.status`, `status_report` and `explain` do: decide every chosen stage without
running anything, and (for `status`) say which .pvt-tracked files changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pivot.api.project import Project
    from pivot.decide.status import Decision
    from pivot.declare.selection import Selection
    from pivot.worktree import tracking


def evaluate(
    proj: Project,
    patterns: Sequence[str],
    *,
    force: bool,
    run_cache: bool,
    with_tracked: bool,
    overrides: Mapping[str, Any] | None = None,
    selection: Selection | None = None,
) -> tuple[list[Decision], list[tuple[tracking.Tracked, tracking.State]]]:
    """The decisions of the stages `patterns` show and, `with_tracked`, each tracked path's state
    (with patterns or a narrowing selection: only those the shown stages depend on)."""
    from pivot.api import session
    from pivot.decide import observe
    from pivot.worktree import tracking

    registry = tracking.find(proj.paths) if with_tracked and not patterns and not proj.paths.has_pipeline() else []
    if registry:
        with session.opened(proj.paths, proj.defer) as ws:  # a data registry: tracked data, no stages
            return [], [(tracked, tracking.state(ws, tracked)) for tracked in registry]
    loaded = proj.load_pipeline(overrides=overrides)
    chosen = session.choose(loaded, patterns, selection)
    tracked: list[tuple[tracking.Tracked, tracking.State]] = []
    with session.opened(proj.paths, proj.defer) as ws:
        decisions = observe.predict(ws, loaded.graph, loaded.pipeline.fingerprints, chosen.names, force=force, use_run_cache=run_cache)
        if with_tracked:
            shown = [loaded.graph.stages[name] for name in chosen.shown]
            narrowed = patterns or (selection is not None and not selection.plain)
            deps = {path for stage in shown for path in stage.dep_paths} if narrowed else None
            outs = [path for stage in loaded.graph.stages.values() for path in stage.out_paths]
            tracked = tracking.states(ws, deps=deps, skip=outs)
    # Upstream stages are decided too (their plans shape the targets'), but only targets are shown.
    return [d for d in decisions if d.stage in chosen.shown], tracked
