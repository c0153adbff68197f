"""What several commands share: finding the project, and the library's loading, workspace and
project lock (pivot.api.session) with the CLI's way of ending on a deferred error."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from pivot import errors
from pivot.api.project import Project
from pivot.base import project

if TYPE_CHECKING:
    from pivot.worktree import workspace


def find_project() -> project.Project:
    return project.Project(project.find_root())


def api() -> Project:
    """The project the command runs in, as the library opens it; errors it defers end the command."""
    return Project(find_project(), defer=defer)


@contextlib.contextmanager
def opened(proj: project.Project) -> Iterator[workspace.Workspace]:
    """The workspace for one command; a command that did its work but could not keep the stat
    memo because the disk is full still ends with that error (exit 1), after its output."""
    from pivot.api import session  # loading and the workspace: not for a run with nothing to do

    with session.opened(proj, defer) as ws:
        yield ws


def defer(error: errors.PivotError) -> None:
    """End the command with `error` (its message and exit code) once it has printed its output."""
    from pivot.cli import DEFERRED_ERROR

    ctx = click.get_current_context(silent=True)
    if ctx is None:  # called outside a command: nothing to print first
        raise error
    ctx.meta.setdefault(DEFERRED_ERROR, error)
