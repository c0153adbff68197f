"""`pivot --help` and completing a command name answer from the command table in pivot/cli, without
importing any command module; the table's one-line help cannot drift from the commands' own."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import click
import pytest

from pivot import cli as pivot_cli

ROOT = pathlib.Path(__file__).resolve().parents[2]
# What a command module pulls in, and what `--help` has no use for.
HEAVY = ("pydantic", "fsspec", "s3fs", "yaml", "pivot.api")


def _context(width: int = 80) -> click.Context:
    return click.Context(pivot_cli.cli, info_name="pivot", terminal_width=width)


@pytest.mark.parametrize("name", sorted(pivot_cli.COMMANDS))
def test_table_short_help_is_the_commands_own(name: str) -> None:
    command = pivot_cli.cli.get_command(_context(), name)
    assert command is not None
    assert pivot_cli.COMMANDS[name].short_help == command.get_short_help_str(limit=10**6)


@pytest.mark.parametrize("width", [50, 80, 200])
def test_help_lists_commands_as_click_would_after_importing_them(width: int) -> None:
    """The same lines, cut at the same words, as click's own listing, which loads each command."""

    def listing(format_commands: object) -> str:
        formatter = click.HelpFormatter(width=width)
        format_commands(_context(width), formatter)  # type: ignore[operator]
        return formatter.getvalue()

    lazy = listing(pivot_cli.cli.format_commands)
    eager = listing(lambda ctx, formatter: click.Group.format_commands(pivot_cli.cli, ctx, formatter))
    assert lazy == eager
    assert "run " in lazy and "Commands:" in lazy


@pytest.mark.parametrize("incomplete", ["", "p", "ru", "--"])
def test_completion_offers_what_click_would(incomplete: str) -> None:
    def offered(items: list) -> list[tuple[str, str | None]]:
        return [(item.value, item.help) for item in items]

    lazy = offered(pivot_cli.cli.shell_complete(_context(), incomplete))
    eager = offered(click.Group.shell_complete(pivot_cli.cli, _context(), incomplete))
    assert lazy == eager
    assert lazy  # every case above completes to something


# `python -m pivot`, which also writes the names of every module it imported, at exit, to argv[1].
# (`-X importtime` would miss the command modules: it does not see importlib.import_module.)
RUN_PIVOT = """
import atexit, runpy, sys
log = sys.argv.pop(1)
atexit.register(lambda: open(log, "w").write("\\n".join(sys.modules)))
sys.argv[0] = "pivot"
runpy.run_module("pivot", run_name="__main__", alter_sys=True)
"""


def _pivot(tmp_path: pathlib.Path, *args: str, env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    """Run `python -m pivot ARGS`; its stdout and the modules it imported."""
    log = tmp_path / "modules.txt"
    done = subprocess.run(
        [sys.executable, "-c", RUN_PIVOT, str(log), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    imported = set(log.read_text().split())
    assert "pivot.cli" in imported  # the log works
    return done.stdout, imported


def _heavy(imported: set[str]) -> list[str]:
    commands = {f"pivot.cli.{entry.module.rsplit('.', 1)[1]}" for entry in pivot_cli.COMMANDS.values()}
    return sorted(name for name in imported if name in commands or name.split(".")[0] in HEAVY or name.startswith(HEAVY))


def test_help_imports_no_command_module(tmp_path: pathlib.Path) -> None:
    out, imported = _pivot(tmp_path, "--help")
    assert "  status      One line per stage" in out  # names padded to the longest, import-dvc
    assert _heavy(imported) == []


def test_completing_a_command_name_imports_no_command_module(tmp_path: pathlib.Path) -> None:
    out, imported = _pivot(tmp_path, env={"_PIVOT_COMPLETE": "bash_complete", "COMP_WORDS": "pivot ru", "COMP_CWORD": "1"})
    assert out.split() == ["plain,run"]
    assert _heavy(imported) == []


def test_a_commands_own_help_imports_that_command_only(tmp_path: pathlib.Path) -> None:
    out, imported = _pivot(tmp_path, "run", "--help")
    assert "--jobs" in out
    assert "pivot.cli.run" in imported
    assert "pivot.cli.sync" not in imported and "pivot.cli.ci" not in imported


def test_the_interpreter_finds_pivot_without_an_import_hook() -> None:
    """Installed from a checkout (`pip install -e`), pivot is a plain path entry: setuptools' import
    hook for editable installs would import pathlib, urllib.parse and ipaddress before every
    command (pyproject.toml's package-dir says why it is not used)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", "import sys, pivot; print(pivot.__file__); print(*sorted(sys.modules))"],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    where, imported = done.stdout.split("\n", 1)
    assert pathlib.Path(where).resolve().parent == ROOT / "pivot"
    assert not {"ipaddress", "urllib.parse", "pathlib"} & set(imported.split())
    assert not any(name.startswith("__editable__") for name in imported.split())


def test_a_short_option_costs_no_suggestions(tmp_path: pathlib.Path) -> None:
    """click builds a 'no such option' error, with difflib's near names, for every short option
    it first tries as a long one; spelled long beforehand, none is built."""
    out, imported = _pivot(tmp_path, "run", "-j2", "--help")
    assert "--jobs" in out
    assert "difflib" not in imported
