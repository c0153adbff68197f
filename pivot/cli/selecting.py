"""The stage-selection options `run`, `status` and `explain` share, and `list` and `dag` too
(docs/selection.md): parsed here into one `Selection` the library decides with."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import click

from pivot.api.project import Project
from pivot.declare.selection import Selection

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--downstream", is_flag=True, help="STAGES and every stage that depends on them, not the stages they depend on."
    ),
    click.option(
        "-s",
        "--single-stage",
        is_flag=True,
        help="Only STAGES themselves, not the stages they depend on: their deps must exist.",
    ),
    click.option(
        "--tag",
        "tags",
        multiple=True,
        metavar="TAG",
        help="Only the stages of STAGES (default: all) with this tag (pivot.yaml 'tags:'). Repeatable: any of them.",
    ),
    click.option(
        "--exclude-tag",
        "exclude_tags",
        multiple=True,
        metavar="TAG",
        help="Leave out the stages with this tag, upstream ones too. Repeatable.",
    ),
    click.option(
        "--omit-from",
        "omit_from",
        multiple=True,
        metavar="STAGE",
        help="Leave out STAGE (a name or an output path) and every stage downstream of it, as Snakemake's --omit-from. Repeatable.",
    ),
    click.option(
        "--allow-missing",
        is_flag=True,
        help="Skip, with a line each, the stages with a missing dep that no selected stage produces, "
        "and the stages that need them.",
    ),
)


def options(command: F) -> F:
    """The selection options, handed to `command` as one `selection` argument."""
    return _with(command, _OPTIONS)


# For the commands that only show stages, nothing needs the deps.
_SINGLE_SHOWN = click.option("-s", "--single-stage", is_flag=True, help="Only STAGES themselves, not the stages they depend on.")


def display_options(command: F) -> F:
    """The selection options of the commands that only show stages (`list`, `dag`): all but
    --allow-missing, since a missing dep stops nothing there."""
    return _with(command, (_OPTIONS[0], _SINGLE_SHOWN, *_OPTIONS[2:-1]))


def _with(command: F, chosen_options: Sequence[Callable[[Any], Any]]) -> F:
    @functools.wraps(command)
    def parsed(
        *args: Any,
        downstream: bool,
        single_stage: bool,
        tags: tuple[str, ...],
        exclude_tags: tuple[str, ...],
        omit_from: tuple[str, ...] = (),
        allow_missing: bool = False,
        **kwargs: Any,
    ) -> Any:
        chosen = Selection(downstream, single_stage, allow_missing, tuple(tags), tuple(exclude_tags), tuple(omit_from))
        return command(*args, selection=chosen, **kwargs)

    for option in reversed(chosen_options):
        parsed = option(parsed)
    return cast("F", parsed)


def report_left_out(proj: Project, stages: Sequence[str], selection: Selection, *, err: bool = False) -> None:
    """One line per stage `--allow-missing` skips, before the command says anything else (to
    stderr when stdout is JSON)."""
    if not selection.allow_missing:
        return
    for item in proj.select(stages, selection).left_out:
        click.echo(item.text(), err=err)
