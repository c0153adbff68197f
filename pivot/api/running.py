"""What `Project.run` and `Project.plan` do: answer a no-op from stats, else load, check, lock,
execute and record the run.

The order matters to the user: bad input (pivot.yaml, params, a missing source) is reported
before anything is written; the project lock is held only while stages run and their results
are committed; what the run leaves (the no-op memo, the last run's states, the run log) is
written after the stages' locks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pivot.api import executors, lastrun, noop, results, runlog
from pivot.base import lazyregex
from pivot.base import project as project_mod
from pivot.executor import reporting
from pivot.worktree import gitignore

if TYPE_CHECKING:  # loading and deciding are imported when a run needs them: a run with nothing
    # to do (pivot.api.noop) never loads them
    from pivot.api import session
    from pivot.api.project import Project
    from pivot.decide.status import Decision
    from pivot.declare.selection import Selection


def run(
    proj: Project,
    targets: Sequence[str],
    request: executors.Request,
    reporter: reporting.Reporter,
    *,
    overrides: Mapping[str, Any] | None,
    selection: Selection | None,
    pull: bool,
) -> results.RunReport:
    plain = (selection is None or selection.plain) and not pull  # the no-op memo knows plain runs only
    quiet = noop.answer(proj.paths, targets, request, reporter, overrides) if plain else None  # stats say: nothing to do
    if quiet is not None:
        runlog.record(proj.paths, targets, quiet)  # `pivot history` lists no-op runs too
        return quiet
    executors.prefork(request, os.fspath(proj.root))
    from pivot.api import session

    with executors.preloading(request, os.fspath(proj.root)):  # workers' imports overlap this one
        loaded = proj.load_pipeline(overrides=overrides)  # bad input is reported before anything is written
    names = _checked(loaded, targets, selection, overrides, keep_going=request.keep_going)
    if pull and names:
        from pivot.api import sync

        sync.fetch(proj.paths, names, run_cache=request.run_cache)
    project_mod.ensure_dot_dir(proj.paths)
    if not overrides:  # a first run that just made .pivot/ records its load too
        loaded = session.recorded(loaded)
    outputs = gitignore.split_outputs(loaded.graph.stages[n] for n in names)
    early = gitignore.Early(proj.paths, *outputs)  # git asked while the stages run, not after

    def meanwhile() -> None:  # once the first stages have started: what the run's end needs
        early.start()
        if ws.state is not None:
            ws.state.flush()  # a first run's stat memo, made now rather than before its first stage
        if plain:
            noop.ahead()
        lazyregex.compile_pending("yaml.resolver")  # every lock is written through its patterns
        with contextlib.suppress(OSError):  # (the run's end says so, if it still cannot)
            runlog.prepare(proj.paths)

    with session.project_lock(proj.paths), _cwd_kept(), session.opened(proj.paths, proj.defer) as ws, contextlib.closing(early):
        watched = noop.watch(ws, loaded, names, request, overrides) if plain else None
        summary, traffic = executors.execute(ws, loaded, names, request, reporter, meanwhile=meanwhile)
        from pivot.executor import temps  # (a run answered from the no-op memo never gets here)

        removed = [*summary.removed_temps, *temps.remove_used(proj.paths, loaded.graph, summary)]
        # Failed stages too: whatever they left behind must not be committed either. Only now,
        # never while stages run: a stage that lists an output directory must not find it there.
        kept = gitignore.keep(proj.paths, *outputs, early=early)
        noop.remember(ws, loaded, names, targets, watched, summary)
        lastrun.record(proj.paths, summary.results)  # what `pivot dag --html` colours as failed
    stages = tuple(results.StageRun.of(result) for result in summary.results)
    report = results.RunReport(stages, summary.duration, summary, kept, traffic, tuple(removed))
    runlog.record(proj.paths, targets, report)
    executors.finished()
    return report


def plan(
    proj: Project,
    targets: Sequence[str],
    *,
    force: bool,
    keep_going: bool,
    run_cache: bool,
    overrides: Mapping[str, Any] | None,
    selection: Selection | None,
) -> list[Decision]:
    from pivot.api import session
    from pivot.decide import observe

    loaded = proj.load_pipeline(overrides=overrides)
    names = _checked(loaded, targets, selection, overrides, keep_going=keep_going)  # what `run` refuses, a dry run refuses
    project_mod.ensure_dot_dir(proj.paths)
    with session.project_lock(proj.paths), session.opened(proj.paths, proj.defer) as ws:
        return observe.predict(ws, loaded.graph, loaded.pipeline.fingerprints, names, force=force, use_run_cache=run_cache)


def _checked(
    loaded: session.Loaded,
    targets: Sequence[str],
    selection: Selection | None,
    overrides: Mapping[str, Any] | None,
    *,
    keep_going: bool,
) -> tuple[str, ...]:
    """The stages to run; an override of a param no chosen stage takes, or (unless `keep_going`)
    a source file that is missing, is refused before anything is written."""
    from pivot.api import session
    from pivot.declare import graph as graph_mod

    names = session.choose(loaded, targets, selection).names
    if overrides:
        from pivot.api import overrides as overriding

        overriding.require_passed(loaded.pipeline, overrides, names)
    if not keep_going:  # with keep_going the rest runs, and the stages that need the file fail
        graph_mod.check_sources(loaded.graph, names)
    return names


@contextlib.contextmanager
def _cwd_kept() -> Iterator[None]:
    """Stages run with the project root as their cwd; in this process (the inprocess executor)
    that must not leak into the caller's."""
    try:
        before: str | None = os.getcwd()
    except FileNotFoundError:  # the caller's directory was deleted: nothing to go back to
        before = None
    try:
        yield
    finally:
        if before is not None and os.getcwd() != before:
            with contextlib.suppress(OSError):
                os.chdir(before)
