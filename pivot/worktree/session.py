"""What one command holds on a project: the project lock (an OS lock the kernel frees if the
process dies), and the pipeline loaded with its graph. Shared by the CLI and `pivot.api`, so
neither depends on the other or on the current directory."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence

from pivot import errors
from pivot.base import project

# The project lock lives with the project's paths, so a command can hold it without loading anything.
from pivot.base.project import project_lock as project_lock
from pivot.declare import discovery, graph, loadmemo, selection
from pivot.worktree import lockview, tracking, workspace

# What to do with an error met after an operation did its work (the stat memo could not be kept
# on a full disk): the CLI prints its output first, then exits with it; None raises it at once.
Defer = Callable[[errors.PivotError], None]


@dataclasses.dataclass(frozen=True, slots=True)
class Loaded:
    """A project's pipeline as loaded, and its graph."""

    project: project.Project
    pipeline: discovery.LoadedPipeline
    graph: graph.Graph


def load(
    proj: project.Project,
    *,
    check_sources: bool = True,
    adjust: Callable[[discovery.LoadedPipeline], discovery.LoadedPipeline] | None = None,
    code: bool = True,
) -> Loaded:
    """The pipeline and its graph. Deps that nothing produces and that do not exist are recorded
    in `graph.missing` (they block only the stages that need them: `graph.check_sources`);
    `check_sources=False` does not look for them (showing a pipeline needs no data). `adjust`
    changes the loaded pipeline before the graph is built (params overrides for one run).
    `code=False` is for commands that need no fingerprints nor loaders (list, params, metrics):
    the memo, else the committed locks (`lockview`), and only failing both the user's code."""
    quick = None if code else loadmemo.cached(proj) or lockview.pipeline(proj)
    pipeline = quick or loadmemo.load(proj)
    if adjust is not None:
        pipeline = adjust(pipeline)

    built = graph.build(pipeline.stages, exists=lambda path: not check_sources or _exists(proj, path))
    tracking.check_outputs(proj, pipeline.stages)
    return Loaded(proj, pipeline, built)


def recorded(loaded: Loaded) -> Loaded:
    """`loaded` with its load memo written now, if .pivot/ did not exist while it loaded
    (`loadmemo.record`); for the unadjusted pipeline only."""
    pipeline = loadmemo.record(loaded.project, loaded.pipeline)
    return loaded if pipeline is loaded.pipeline else dataclasses.replace(loaded, pipeline=pipeline)


def _exists(proj: project.Project, path: str) -> bool:
    # A tracked path (PATH.pvt) is a declared source even while absent: checkout/pull restore it.
    return os.path.lexists(proj.abspath(path)) or tracking.is_source(proj, path)


def choose(loaded: Loaded, targets: Sequence[str], chosen: selection.Selection | None) -> selection.Chosen:
    """The stages TARGETS and the selection options pick (pivot.declare.selection)."""
    targets = _named(loaded, targets, readers=chosen is not None and chosen.downstream)
    if chosen is not None and chosen.omit_from:
        chosen = dataclasses.replace(chosen, omit_from=tuple(_named(loaded, chosen.omit_from)))
    if chosen is None or chosen.plain:  # what every command did before the options: no extra work
        return selection.Chosen(select(loaded, targets), graph.resolve_targets(loaded.graph, list(targets)))
    # A temp output removed after use counts as there: the stage reading it runs only if it must,
    # and then says to run its stage too (pivot.executor.temps).
    temps = loaded.graph.temps
    return selection.choose(loaded.graph, targets, chosen, lambda path: path in temps or _exists(loaded.project, path))


def choose_shown(loaded: Loaded, targets: Sequence[str], chosen: selection.Selection | None) -> selection.Chosen:
    """`choose` for the commands that only show stages (`list`, `dag`): a dep that is missing is
    no reason to refuse, nothing will run."""
    targets = _named(loaded, targets, readers=chosen is not None and chosen.downstream)
    if chosen is not None and chosen.omit_from:
        chosen = dataclasses.replace(chosen, omit_from=tuple(_named(loaded, chosen.omit_from)))
    if chosen is None or chosen.plain:
        return selection.Chosen(select(loaded, targets), graph.resolve_targets(loaded.graph, list(targets)))
    return selection.choose(loaded.graph, targets, chosen, lambda path: True)


def select(loaded: Loaded, targets: Sequence[str]) -> tuple[str, ...]:
    """The stages TARGETS name and every stage upstream of them, in run order."""
    return graph.select(loaded.graph, _named(loaded, targets))


def targets(loaded: Loaded, patterns: Sequence[str]) -> tuple[str, ...]:
    """The stages STAGE arguments name (full names, base names, globs, output paths), without
    their upstream."""
    return graph.resolve_targets(loaded.graph, _named(loaded, patterns))


def _named(loaded: Loaded, patterns: Sequence[str], *, readers: bool = False) -> list[str]:
    """TARGETS with output paths replaced by the stages that write them (pivot.declare.targets);
    `readers` (`--downstream`): a source file by the stages that read it."""
    from pivot.declare import targets as targets_mod

    if not patterns:
        return []
    g = loaded.graph
    deps = {name: stage.dep_paths for name, stage in g.stages.items()} if readers else None
    return targets_mod.expand_paths(patterns, list(g.stages), g.producers, loaded.project.root, deps)


@contextlib.contextmanager
def opened(proj: project.Project, defer: Defer | None = None) -> Iterator[workspace.Workspace]:
    """The workspace for one operation; an operation that did its work but could not keep the
    stat memo because the disk is full still ends with that error, through `defer`."""
    ws = workspace.open_workspace(proj)
    failed = False
    try:
        yield ws
    except BaseException:
        failed = True  # the error in flight is the one to report, not the memo's
        raise
    finally:
        ws.close()
        full = ws.state.full if ws.state is not None else None
        if full is not None:
            if defer is not None:
                defer(full)
            elif not failed:
                raise full
