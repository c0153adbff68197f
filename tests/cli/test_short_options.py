"""Short options are spelled long before click parses them (pivot.cli._spelled_long: click's
first try at a short one as a long one costs each command line a millisecond). The command
lines below must mean exactly what they meant to click as typed, errors included."""

from __future__ import annotations

import importlib

import click
import pytest

from pivot import cli as pivot_cli
from pivot.cli import verbosity


def _command(name: str) -> click.Command:
    entry = pivot_cli.COMMANDS[name]
    command: click.Command = getattr(importlib.import_module(entry.module), entry.attr)
    verbosity.accept_everywhere(command)
    return command


def _parsed(command: click.Command, args: list[str]) -> tuple[str, object]:
    try:
        with command.make_context("pivot", list(args), resilient_parsing=False) as ctx:
            return "ok", {**ctx.params, "args": tuple(ctx.args)}
    except click.UsageError as exc:
        return "error", type(exc).__name__


LINES = [
    ("run", ["-j8"]),
    ("run", ["-j", "8", "train"]),
    ("run", ["train", "-j2", "-q"]),
    ("run", ["-qv"]),  # a cluster: as typed (click refuses the pair itself)
    ("run", ["-j", "-q"]),  # -q is -j's value here, as click reads it
    ("run", ["-j"]),
    ("run", ["-jx"]),
    ("run", ["--", "-j8"]),
    ("run", ["-j=3"]),
    ("push", ["-r", "origin", "-j", "3", "train"]),
    ("push", ["-rorigin", "-j3"]),
    ("gc", ["-n", "-r", "store", "-y"]),
    ("gc", ["-aTn"]),
    ("history", ["-n", "-3"]),  # short only: its value is never taken for an option
    ("history", ["-n5"]),
    ("explain", ["-r", "-f"]),
]


@pytest.mark.parametrize(("name", "args"), LINES, ids=[" ".join([n, *a]) for n, a in LINES])
def test_a_short_option_means_what_it_meant_as_typed(name: str, args: list[str]) -> None:
    command = _command(name)
    assert _parsed(command, pivot_cli._spelled_long(command, args)) == _parsed(command, args)


def test_the_value_of_a_short_option_is_kept_as_given() -> None:
    command = _command("run")
    assert pivot_cli._spelled_long(command, ["-j8", "-j", "-q", "train"]) == ["--jobs=8", "--jobs", "-q", "train"]
