"""What several commands share: finding the project, and the library's loading, workspace and
project lock (pivot.api.session) with the CLI's way of ending on a deferred error."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pivot import errors
from pivot.api.project import Project
from pivot.base import project

if TYPE_CHECKING:
    from pivot.worktree import workspace


F = TypeVar("F", bound=Callable[..., Any])


def set_option(command: F) -> F:
    """`-S STAGE.KEY=VALUE` (repeatable): params for this command only (pivot.api.overrides)."""
    return click.option(
        "-S",
        "--set",
        "sets",
        multiple=True,
        metavar="STAGE.KEY=VALUE",
        help="Set a param for this command only, above params.yaml (VALUE is YAML: 0.1, true, "
        "[1, 2]); a shell stage's params are params.yaml keys (-S train.lr=0.2). Repeatable.",
    )(command)


def overrides(sets: tuple[str, ...]) -> dict[str, Any] | None:
    """The `-S` options as the library's overrides (None when there are none)."""
    if not sets:  # the parser imports loading's modules, which a no-op run never needs
        return None
    from pivot.api import overrides as overriding

    return overriding.parse(sets) or None


def resource_limits(given: tuple[str, ...]) -> dict[str, int] | None:
    """`--resources gpu=2 --resources mem_gb=64` (or `gpu=2,mem_gb=64`) as {name: amount}."""
    limits: dict[str, int] = {}
    for item in (part.strip() for text in given for part in text.split(",")):
        name, sep, amount = item.partition("=")
        if not sep or not name.strip() or not amount.strip().isdigit():
            raise click.BadParameter(f"'{item}': write NAME=N, a whole number (e.g. gpu=2)", param_hint="'--resources'")
        limits[name.strip()] = int(amount)
    return limits or None


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
