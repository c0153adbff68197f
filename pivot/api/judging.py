"""What `Project.status`, `status_report` and `explain` do: decide every chosen stage without
running anything, and (for `status`) say which .pvt-tracked files changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pivot.base import project as project_mod

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

    registry = tracking.find(proj.paths) if with_tracked and not proj.paths.has_pipeline() else []
    picked, unknown = _tracked_targets(proj, patterns, registry) if registry and patterns else (registry, [])
    if registry and not unknown:  # a data registry: tracked data, no stages (else: the error says so)
        with session.opened(proj.paths, proj.defer) as ws:
            return [], [(tracked, tracking.state(ws, tracked)) for tracked in picked]
    loaded = proj.load_pipeline(overrides=overrides)
    data_targets: list[tracking.Tracked] = []
    if with_tracked and patterns:  # `status data/raw.csv`, as `dvc status data.dvc`: tracked data by path
        data_targets, patterns = _split(proj, loaded, patterns, downstream=selection is not None and selection.downstream)
    chosen = session.choose(loaded, patterns, selection) if patterns or not data_targets else None
    tracked: list[tuple[tracking.Tracked, tracking.State]] = []
    with session.opened(proj.paths, proj.defer) as ws:
        names = chosen.names if chosen is not None else ()
        decisions = observe.predict(ws, loaded.graph, loaded.pipeline.fingerprints, names, force=force, use_run_cache=run_cache)
        if with_tracked:
            shown = [loaded.graph.stages[name] for name in chosen.shown] if chosen is not None else []
            narrowed = patterns or data_targets or (selection is not None and not selection.plain)
            deps = {path for stage in shown for path in stage.dep_paths} | {t.path for t in data_targets} if narrowed else None
            outs = [path for stage in loaded.graph.stages.values() for path in stage.out_paths]
            tracked = tracking.states(ws, deps=deps, skip=outs)
    # Upstream stages are decided too (their plans shape the targets'), but only targets are shown.
    return [d for d in decisions if chosen is not None and d.stage in chosen.shown], tracked


def _split(proj: Project, loaded: Any, patterns: Sequence[str], *, downstream: bool) -> tuple[list[tracking.Tracked], list[str]]:
    """(the tracked data that patterns naming no stage nor output name, the other patterns);
    with `downstream`, a path that stages read is theirs, not tracked data's."""
    from pivot.declare import targets
    from pivot.worktree import tracking

    names = list(loaded.graph.stages)
    readers = {name: stage.dep_paths for name, stage in loaded.graph.stages.items()} if downstream else None
    expanded = targets.expand_paths(patterns, names, loaded.graph.producers, proj.root, readers)
    loose = [p for p in dict.fromkeys(expanded) if p in patterns and not targets.matches(p, names) and not targets.is_glob(p)]
    if not loose:
        return [], list(patterns)
    found, unknown = _tracked_targets(proj, loose, tracking.find(proj.paths))
    if unknown:
        targets.resolve(unknown, names)  # raises: neither a stage, an output nor tracked data
    return found, [p for p in patterns if p not in loose]


def _tracked_targets(proj: Project, patterns: Sequence[str], registry: Sequence[tracking.Tracked]) -> tuple[list[tracking.Tracked], list[str]]:
    """(the tracked data at, in or above each path of `patterns`, or its `.pvt` file; the
    patterns that name none)."""
    from pivot.declare import targets
    from pivot.worktree import tracking

    picked: list[tracking.Tracked] = []
    unknown: list[str] = []
    for pattern in patterns:
        hits: list[tracking.Tracked] = []
        for path in targets.project_paths(pattern.removesuffix(tracking.PVT_SUFFIX), proj.root):
            hits = [t for t in registry if project_mod.overlaps(t.path, path)]
            if hits:
                break
        if not hits:
            unknown.append(pattern)
        picked += [t for t in hits if t not in picked]
    return picked, unknown
