"""`pivot track PATH...`: cache raw input files or directories and write `PATH.pvt` for git.
`pivot.worktree.tracker` decides and does the work; this module parses and prints."""

from __future__ import annotations

import os

import click

from pivot.base import project, wording
from pivot.cli import common
from pivot.worktree import tracker, tracking


@click.command()
@click.argument("paths", nargs=-1, required=True)
def track(paths: tuple[str, ...]) -> None:
    """Cache each of PATHS (a file or a directory) and write PATH.pvt to commit with git.

    Stages may depend on tracked paths; `pivot status` shows whether they changed, and
    push/pull/checkout include them. Run it again after changing the data.
    """
    proj = common.find_project()
    report = tracker.track(proj, [tracking.from_user(proj, raw) for raw in paths])
    if report.memo_error is not None:
        common.defer(report.memo_error)
    for done in report.paths:
        click.echo(describe(done.result))
        if done.in_git:
            path = done.result.tracked.path
            click.echo(f"warning: {path} is committed to git as well; let pivot hold it: git rm -r --cached {path}", err=True)
    if report.to_add:
        click.echo(f"To commit: git add {' '.join(_relative_to_cwd(proj, p) for p in report.to_add)}")


def describe(result: tracking.TrackResult) -> str:
    tracked = result.tracked
    what = f"{tracked.path} ({files_text(tracked.info.nfiles)}, {wording.size(tracked.info.size)})"
    if not result.written:
        return f"{what} is unchanged: {tracked.pvt} is up to date"
    verb = "wrote" if result.previous is None else "updated" if result.previous != tracked.info else "rewrote"
    return f"Tracking {what}: {verb} {tracked.pvt} — commit it with git"


def _relative_to_cwd(proj: project.Project, path: str) -> str:
    return os.path.relpath(proj.abspath(path), os.getcwd())


def files_text(nfiles: int | None) -> str:
    return wording.count(1 if nfiles is None else nfiles, "file")



@click.command()
@click.argument("paths", nargs=-1, required=True)
def untrack(paths: tuple[str, ...]) -> None:
    """Stop tracking each of PATHS (the data, or its .pvt file), as `dvc remove`: its .pvt file
    and its .gitignore line go, the data stays as plain files.

    Its cached objects stay until `pivot gc`, for the commits that still name them.
    """
    proj = common.find_project()
    chosen = [tracker.tracked_path(proj, raw) for raw in paths]  # every path checked first
    changed = tracker.untrack(proj, chosen)
    for path, _ in changed.paths:
        click.echo(f"Untracked {path}: the data stays, its .pvt is gone")
    _to_commit(proj, changed.to_add)


@click.command()
@click.argument("src")
@click.argument("dst")
def move(src: str, dst: str) -> None:
    """Move tracked data SRC and its .pvt file to DST (into DST when it is a directory), as
    `dvc move`, keeping the .gitignore lines in step."""
    proj = common.find_project()
    into = dst.endswith(("/", os.sep))  # `raw/`: into that directory, made if need be
    changed = tracker.move(proj, tracker.tracked_path(proj, src), tracking.from_user(proj, dst), into=into)
    for old, new in changed.paths:
        click.echo(f"Moved {old} to {new}")
    _to_commit(proj, changed.to_add)


def _to_commit(proj: project.Project, files: tuple[str, ...]) -> None:
    if files:
        click.echo(f"To commit: git add {' '.join(_relative_to_cwd(proj, p) for p in files)}")
