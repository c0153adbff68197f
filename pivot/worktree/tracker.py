"""What `pivot track PATH...` does with its paths, in order: refuse overlapping paths and any
path a stage produces (every path is checked before any is tracked), then cache each one and
write its .pvt file under the project lock, note the paths git holds as well, and keep the
.gitignore entries. The files the user should `git add` come back with the result."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence

from pivot import errors
from pivot.base import project
from pivot.declare import loadmemo
from pivot.declare.stage import Stage
from pivot.worktree import gitignore, session, tracking, workspace


@dataclasses.dataclass(frozen=True, slots=True)
class TrackedPath:
    result: tracking.TrackResult
    in_git: bool  # git tracks the path as well: it should be `git rm -r --cached`


@dataclasses.dataclass(frozen=True, slots=True)
class TrackReport:
    paths: tuple[TrackedPath, ...]
    to_add: tuple[str, ...]  # project-relative .pvt and .gitignore files to commit
    memo_error: errors.PivotError | None = None  # done, but the stat memo could not be kept


def track(
    proj: project.Project,
    paths: Sequence[str],
    stages: Mapping[str, Stage] | None = None,
    sources: Mapping[str, tracking.Source] | None = None,
) -> TrackReport:
    """Track project-relative `paths` (files or directories); `stages` are the pipeline's, when the
    caller knows them already (`pivot import-dvc`, whose pipeline need not load yet); `sources`,
    where imported paths came from (`pivot import-url`)."""
    relpaths = list(dict.fromkeys(paths))
    _check_disjoint(relpaths)
    # Outputs are declared in the stage functions, so the pipeline is loaded (not its graph:
    # an unrelated missing dep must not stop tracking the data it needs).
    if stages is None:
        stages = loadmemo.load(proj).stages if proj.has_pipeline() else {}
    for path in relpaths:
        tracking.check_trackable(proj, path, stages)
    project.ensure_dot_dir(proj)
    done: list[TrackedPath] = []
    to_add: list[str] = []
    with session.project_lock(proj):  # gc must not run meanwhile
        ws = workspace.open_workspace(proj)
        try:
            for path in relpaths:
                result = tracking.track(ws, path, (sources or {}).get(path))
                done.append(TrackedPath(result, tracking.committed_to_git(proj, path)))
                if result.written:
                    to_add.append(result.tracked.pvt)
            to_add.extend(gitignore.keep(proj, relpaths).written)  # one write per .gitignore
        finally:
            ws.close()
    full = ws.state.full if ws.state is not None else None
    return TrackReport(tuple(done), tuple(dict.fromkeys(to_add)), full)


def _check_disjoint(paths: list[str]) -> None:
    for a, b in itertools.permutations(paths, 2):
        if project.is_within(a, b):
            raise errors.PathError(
                f"cannot track both '{b}' and '{a}', which lies inside it",
                hint=f"track the directory only: pivot track {b}",
            )
