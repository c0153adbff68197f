"""`pivot track PATH...`: cache raw input files or directories and write `PATH.pvt` for git."""

from __future__ import annotations

import itertools
import os

import click

from pivot import errors
from pivot.base import project, wording
from pivot.declare import loadmemo
from pivot.worktree import gitignore, tracking
from pivot.cli import common


@click.command()
@click.argument("paths", nargs=-1, required=True)
def track(paths: tuple[str, ...]) -> None:
    """Cache each of PATHS (a file or a directory) and write PATH.pvt to commit with git.

    Stages may depend on tracked paths; `pivot status` shows whether they changed, and
    push/pull/checkout include them. Run it again after changing the data.
    """
    proj = common.find_project()
    relpaths = list(dict.fromkeys(tracking.from_user(proj, raw) for raw in paths))
    _check_disjoint(relpaths)
    # Outputs are declared in the stage functions, so the pipeline is loaded (not its graph:
    # an unrelated missing dep must not stop tracking the data it needs).
    stages = loadmemo.load(proj).stages if proj.has_pipeline() else {}
    for path in relpaths:
        tracking.check_trackable(proj, path, stages)  # every path is checked before any is tracked
    project.ensure_dot_dir(proj)
    to_add: list[str] = []
    with common.project_lock(proj), common.opened(proj) as ws:  # gc must not run meanwhile
        for path in relpaths:
            result = tracking.track(ws, path)
            click.echo(describe(result))
            if result.written:
                to_add.append(result.tracked.pvt)
            if tracking.committed_to_git(proj, path):
                click.echo(
                    f"warning: {path} is committed to git as well; let pivot hold it: git rm -r --cached {path}",
                    err=True,
                )
        to_add.extend(gitignore.keep(proj, relpaths).written)  # one write per .gitignore
    if to_add:
        click.echo(f"To commit: git add {' '.join(_relative_to_cwd(proj, p) for p in dict.fromkeys(to_add))}")


def _check_disjoint(paths: list[str]) -> None:
    for a, b in itertools.permutations(paths, 2):
        if project.is_within(a, b):
            raise errors.PathError(
                f"cannot track both '{b}' and '{a}', which lies inside it",
                hint=f"track the directory only: pivot track {b}",
            )


def describe(result: tracking.TrackResult) -> str:
    tracked = result.tracked
    what = f"{tracked.path} ({files_text(tracked.info.nfiles)}, {size_text(tracked.info.size)})"
    if not result.written:
        return f"{what} is unchanged: {tracked.pvt} is up to date"
    verb = "wrote" if result.previous is None else "updated" if result.previous != tracked.info else "rewrote"
    return f"Tracking {what}: {verb} {tracked.pvt} — commit it with git"


def _relative_to_cwd(proj: project.Project, path: str) -> str:
    return os.path.relpath(proj.abspath(path), os.getcwd())


def files_text(nfiles: int | None) -> str:
    return wording.count(1 if nfiles is None else nfiles, "file")


size_text = wording.size  # gc and scale print sizes through this name
