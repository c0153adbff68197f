"""The global `-q/--quiet` and `-v/--verbose`, and when output may be coloured.

Quiet keeps errors and results (a run's failures and its summary line, a command's answer) and
drops progress: what a script or a CI log wants. Verbose adds detail such as how long the command
took. Colour is for people at a terminal: never in a pipe or a file, never when NO_COLOR is set
(https://no-color.org), never on a dumb terminal."""

from __future__ import annotations

import os
import sys
from typing import TextIO

import click

QUIET, NORMAL, VERBOSE = -1, 0, 1
_KEY = "pivot.verbosity"  # in click's context meta, which every subcommand's context shares


def configure(ctx: click.Context, *, quiet: bool, verbose: bool) -> None:
    if quiet and verbose:
        raise click.UsageError("choose one of -q/--quiet and -v/--verbose")
    ctx.meta[_KEY] = QUIET if quiet else VERBOSE if verbose else NORMAL
    if not colour_allowed():
        ctx.color = False  # click.echo then strips any style, even on a terminal


def accept_everywhere(command: click.Command) -> None:
    """Let `command` (and its subcommands) take -q/-v after its name too, as DVC's commands do
    (`pivot run -q`); hidden there, since `pivot --help` documents them once. A command that
    already uses one of the letters keeps it."""
    taken = {opt for param in command.params for opt in getattr(param, "opts", ())}
    for name, short, long in (("quiet", "-q", "--quiet"), ("verbose", "-v", "--verbose")):
        if long in taken:
            continue  # added before (commands are loaded once), or the command's own
        decls = [opt for opt in (short, long) if opt not in taken]
        command.params.append(
            click.Option([*decls, f"pivot_{name}"], is_flag=True, hidden=True, expose_value=False, callback=_set_level)
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            accept_everywhere(sub)


def _set_level(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        wanted = QUIET if param.name == "pivot_quiet" else VERBOSE
        if ctx.meta.get(_KEY, NORMAL) not in (NORMAL, wanted):
            raise click.UsageError("choose one of -q/--quiet and -v/--verbose")
        ctx.meta[_KEY] = wanted
    return value


def level() -> int:
    ctx = click.get_current_context(silent=True)
    return NORMAL if ctx is None else int(ctx.meta.get(_KEY, NORMAL))


def quiet() -> bool:
    return level() == QUIET


def verbose() -> bool:
    return level() == VERBOSE


def colour_allowed() -> bool:
    """The user's wish, whatever the stream: NO_COLOR set to anything but "" turns colour off."""
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def colour(stream: TextIO | None = None) -> bool:
    """Whether to colour what goes to `stream` (default: stdout)."""
    target = stream or sys.stdout
    return colour_allowed() and target.isatty()


def paint(text: str, fg: str, *, err: bool = False) -> str:
    """`text` in colour `fg` when colour is wanted on stdout (or stderr), else as it is."""
    return click.style(text, fg=fg, bold=True) if colour(sys.stderr if err else sys.stdout) else text
