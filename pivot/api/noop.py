"""A run with nothing to do, answered from stats (`pivot.worktree.noopmemo`), and the record that
makes that answer possible, written only once it is known to be true.

`answer` runs before anything is loaded: it imports no user module, reads no lock and opens no
stat memo. `watch` and `remember` wrap a full run. The stats a memo records are taken *before*
the decision that validates them, never after, so an edit made while pivot looks can only make
the next run decide in full:

1. `watch`: after loading, before any stage is decided, stat every stage's files (`before`).
2. the run decides (and runs) its stages.
3. `remember`: stat every watched file again (`after`); read the content of those whose stamps
   are from the last clock tick (a second write within one tick leaves the stats as they were:
   the memo keeps their digests and checks them too); then check that the settings and the
   pipeline's own files are those the run used, and check again, without the run cache, every
   stage that did anything, whose files changed between `before` and `after`, or whose `before`
   stamps were that fresh. Only if every stage is then up to date is `after` recorded. A stage
   the run left alone, with equal settled stamps on both sides, was decided in between, so it holds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import posixpath
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pivot.api import results
from pivot.base import project
from pivot.decide.status import Decision
from pivot.executor import reporting
from pivot.worktree import gitignore, noopmemo

if TYPE_CHECKING:
    from pivot.api.executors import Request
    from pivot.worktree.session import Loaded
    from pivot.worktree.workspace import Workspace

# The project's own settings: a change of one may change what a run does.
_CONFIG = (".pivot/config.yaml", ".pivot/config.local.yaml")


@dataclasses.dataclass(frozen=True, slots=True)
class Watch:
    """What a run watches, and how it stood before any stage was decided."""

    paths: Mapping[str, tuple[str, ...]]  # per selected stage: its deps, outputs and lock file
    before: Mapping[str, noopmemo.Tree]
    fresh: frozenset[str]  # entries of `before` too fresh to vouch for what the run decided on


def eligible(request: Request, overrides: Mapping[str, Any] | None) -> bool:
    """Only a plain local run may be answered (or recorded): forced runs run, overridden params
    are not the recorded ones, and a Dask run reports where it runs."""
    return not (request.force or overrides or request.executor == "dask" or request.address or not request.download)


def answer(
    proj: project.Project,
    targets: Sequence[str],
    request: Request,
    reporter: reporting.Reporter,
    overrides: Mapping[str, Any] | None = None,
) -> results.RunReport | None:
    """The report of a run with nothing to do, if the memo says so and every watched file still
    stats as recorded; None: decide as usual."""
    if not eligible(request, overrides):
        return None
    memo = noopmemo.read(proj, tuple(targets))
    if memo is None:
        return None
    start = time.perf_counter()
    with project.project_lock(proj):  # as a full run would: never beside another command
        if not noopmemo.holds(proj, memo):
            return None
        # The recorded .gitignore lines are still in place (their files are watched); files git
        # tracks are looked at as a full run would, for the warning when git ignores one.
        kept = gitignore.keep(proj, (), memo.shown) if memo.shown else gitignore.Update()
    reporter.run_started(len(memo.stages), request.jobs or os.cpu_count() or 1)
    done = tuple(reporting.StageResult(name, reporting.StageStatus.SKIPPED, decision=Decision(name, False)) for name in memo.stages)
    reporter.stages_finished(done)
    summary = reporting.RunSummary(done, time.perf_counter() - start)
    reporter.run_finished(summary)
    return results.RunReport(tuple(results.StageRun.of(r) for r in done), summary.duration, summary, kept)


def watch(ws: Workspace, loaded: Loaded, names: Sequence[str], request: Request, overrides: Mapping[str, Any] | None) -> Watch | None:
    """The watched paths of a run that may be recorded, stat'ed before anything is decided."""
    try:
        return _watch(ws, loaded, names, request, overrides)
    except OSError:  # a directory that cannot be read: nothing to record, the run goes on
        return None


def _watch(ws: Workspace, loaded: Loaded, names: Sequence[str], request: Request, overrides: Mapping[str, Any] | None) -> Watch | None:
    from pivot.api import executors
    from pivot.storage.state import COARSE_RACY_WINDOW_NS, RACY_WINDOW_NS

    if not eligible(request, overrides) or executors.choose(request, ws.settings.executor.kind) == "dask":
        return None
    if not loaded.pipeline.inputs:  # the load memo was not written: nothing to build on
        return None
    root = str(ws.project.root)
    paths = {}
    for name in names:
        stage = loaded.graph.stages[name]
        lock = os.path.relpath(ws.project.lock_file(name), root).replace(os.sep, "/")
        paths[name] = (*stage.dep_paths, *stage.out_paths, lock)
    now = time.time_ns()
    before = noopmemo.snapshot(root, [p for group in paths.values() for p in group])
    if before is None:
        return None
    return Watch(paths, before, frozenset(noopmemo.unsettled(before, now, RACY_WINDOW_NS, COARSE_RACY_WINDOW_NS)))


def ahead() -> None:
    """While the first stages run: what `remember` needs that no stage can change (the stamps of
    pivot's own files, 1 ms), so that the run's end does not wait for it."""
    noopmemo.environment()


def remember(ws: Workspace, loaded: Loaded, names: Sequence[str], targets: Sequence[str], seen: Watch | None, summary: reporting.RunSummary) -> None:
    """Record the run as a no-op answer for next time, if everything is up to date now (see the
    module docstring for why the stats recorded are never newer than what validated them). A
    memo only saves time: whatever goes wrong here leaves the run's result as it is."""
    with contextlib.suppress(OSError):
        _remember(ws, loaded, names, targets, seen, summary)


def _remember(ws: Workspace, loaded: Loaded, names: Sequence[str], targets: Sequence[str], seen: Watch | None, summary: reporting.RunSummary) -> None:
    from pivot.declare import config
    from pivot.storage.state import COARSE_RACY_WINDOW_NS, RACY_WINDOW_NS

    if seen is None or not summary.ok:
        return
    root = str(ws.project.root)
    cached, shown = gitignore.split_outputs(loaded.graph.stages[n] for n in names)
    # A .pvt file beside an output or one of its directories would make it tracked data (an
    # error): the directories they would appear in are watched, and none exists (checked below).
    pvts = {"/".join(parts[:end]) + ".pvt" for out in (*cached, *shown) if (parts := out.split("/")) for end in range(1, len(parts) + 1)}
    beside = {posixpath.join(posixpath.dirname(path), ".gitignore") for path in (*cached, *shown)}
    watched = [*(p for group in seen.paths.values() for p in group), *_CONFIG, *loaded.pipeline.inputs, *beside]
    now = time.time_ns()
    after = noopmemo.snapshot(root, watched, {posixpath.dirname(pvt) for pvt in pvts})
    if after is None:
        return
    # A stamp of the last clock tick cannot vouch for the content alone: its digest does, read now.
    digests = {rel: noopmemo.digest(root, rel) for rel in sorted(noopmemo.unsettled(after, now, RACY_WINDOW_NS, COARSE_RACY_WINDOW_NS))}
    if None in digests.values():
        return
    # Everything below looks after the stamps (and digests) were taken: the settings and the
    # pipeline's own files are those the run used, every .gitignore line is in place (`answer`
    # only asks git about shown files), no output is tracked data, and every stage is up to date.
    if config.load_project_config(ws.project) != ws.settings or not _built_from(root, loaded.pipeline.inputs):
        return
    if not gitignore.in_place(ws.project, cached, shown) or any(os.path.lexists(os.path.join(root, pvt)) for pvt in pvts):
        return
    if not _all_current(ws, loaded, names, seen, after, summary):
        return
    files = {rel: st for found in after.values() for rel, st in found}
    checked = tuple((rel, d) for rel, d in digests.items() if d is not None)
    memo = noopmemo.Memo(noopmemo.key(ws.project, tuple(targets)), tuple(files), noopmemo.pack(files.values()), checked, tuple(names), tuple(dict.fromkeys(shown)))
    noopmemo.write(ws.project, memo)


def _all_current(ws: Workspace, loaded: Loaded, names: Sequence[str], seen: Watch, after: Mapping[str, noopmemo.Tree], summary: reporting.RunSummary) -> bool:
    """Each stage the run left alone, decided between two equal, settled stamps of its files,
    holds as it was; every other one is checked now."""
    outcomes = {result.name: result for result in summary.results}
    for name in names:
        result = outcomes[name]
        changed = any(after[p] != seen.before[p] or any(rel in seen.fresh for rel, _ in after[p]) for p in seen.paths[name])
        if result.status is not reporting.StageStatus.SKIPPED or changed or result.decision is None:
            if not _up_to_date(ws, loaded, name):
                return False
        elif result.decision.code_unseen:  # explain has more to say about it: let the run say it
            return False
    return True


def _built_from(root: str, inputs: Mapping[str, str]) -> bool:
    """Whether the pipeline's own files (stat'ed just before) still hash as the loaded stages
    were built from them."""
    from pivot.code.source import file_digest

    for rel, digest in inputs.items():
        try:
            now = file_digest(os.path.join(root, rel))
        except OSError:
            now = ""
        if now != digest:
            return False
    return True


def _up_to_date(ws: Workspace, loaded: Loaded, name: str) -> bool:
    from pivot.decide import observe

    return observe.current(ws, loaded.graph.stages[name], loaded.pipeline.fingerprints[name], loaded.graph)
