"""What several commands share: finding the project, loading the pipeline, the project lock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import click

from pivot import errors
from pivot.base import project
from pivot.declare import graph
from pivot.worktree import workspace
# The project lock and the loaded pipeline live in the library, shared with pivot.api.
from pivot.worktree.session import Loaded, load, project_lock, select  # noqa: F401


def find_project() -> project.Project:
    return project.Project(project.find_root())


@contextlib.contextmanager
def opened(proj: project.Project) -> Iterator[workspace.Workspace]:
    """The workspace for one command; a command that did its work but could not keep the stat
    memo because the disk is full still ends with that error (exit 1), after its output."""
    ws = workspace.open_workspace(proj)
    try:
        yield ws
    finally:
        ws.close()
        if ws.state is not None and ws.state.full is not None:
            defer(ws.state.full)


def defer(error: errors.PivotError) -> None:
    """End the command with `error` (its message and exit code) once it has printed its output."""
    from pivot.cli import DEFERRED_ERROR

    ctx = click.get_current_context(silent=True)
    if ctx is None:  # called outside a command: nothing to print first
        raise error
    ctx.meta.setdefault(DEFERRED_ERROR, error)


def targets(loaded: Loaded, patterns: Sequence[str]) -> tuple[str, ...]:
    """The stages STAGE arguments name (full names, base names, globs), without their upstream."""
    return graph.resolve_targets(loaded.graph, list(patterns))
