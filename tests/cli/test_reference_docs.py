"""docs/reference/cli.md is generated from the commands (`python -m pivot.cli.reference`): these
tests fail when a command, option or help text changes and the page was not regenerated, and
when the "coming from DVC" page names a pivot command that does not exist."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import click
import pytest

from pivot import cli as pivot_cli
from pivot.cli import reference

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI_PAGE = ROOT / "docs" / "reference" / "cli.md"
REGENERATE = "python -m pivot.cli.reference > docs/reference/cli.md"


def test_the_cli_reference_matches_the_commands() -> None:
    assert CLI_PAGE.read_text() == reference.render(pivot_cli.cli), f"regenerate it: {REGENERATE}"


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_the_module_prints_the_page(tmp_path: pathlib.Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pivot.cli.reference"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == reference.render(pivot_cli.cli)


def _every_command(group: click.Group, ctx: click.Context, path: str) -> list[tuple[str, click.Command]]:
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if command.hidden:  # internal (the queue's worker), as --help leaves it out
            continue
        found.append((f"{path} {name}", command))
        if isinstance(command, click.Group):
            found.extend(_every_command(command, click.Context(command, info_name=name, parent=ctx), f"{path} {name}"))
    return found


def test_every_command_and_option_is_on_the_page() -> None:
    page = reference.render(pivot_cli.cli)
    commands = _every_command(pivot_cli.cli, click.Context(pivot_cli.cli, info_name="pivot"), "pivot")
    assert len(commands) > 20
    sections = {chunk.split("`", 1)[0]: chunk for chunk in page.split("\n## `")[1:]}
    for path, command in commands:
        assert path in sections, path
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                for opt in param.opts:
                    assert f"{opt}" in sections[path], (path, opt)


def test_a_changed_help_text_changes_the_page() -> None:
    """The comparison above can fail: an edited help line shows up in the rendered page."""
    command = pivot_cli.cli.get_command(click.Context(pivot_cli.cli), "doctor")
    assert command is not None
    before = reference.render(pivot_cli.cli)
    option = next(param for param in command.params if param.name == "timeout")
    assert isinstance(option, click.Option)
    saved = option.help
    option.help = "Something else entirely."
    try:
        assert reference.render(pivot_cli.cli) != before
        assert "Something else entirely." in reference.render(pivot_cli.cli)
    finally:
        option.help = saved


def test_the_dvc_page_names_only_commands_that_exist_or_says_they_do_not() -> None:
    """Each row of the mapping table: a pivot command that exists, or one marked as not yet
    available (so the page cannot promise a command that is not there)."""
    page = (ROOT / "docs" / "coming-from-dvc.md").read_text()
    rows = [line for line in page.splitlines() if line.startswith("| `dvc ")]
    assert len(rows) > 25
    known = set(pivot_cli.COMMANDS) | {"repro"}
    for row in rows:
        pivot_cell = row.split("|")[2]
        named = re.findall(r"`pivot ([a-z][a-z-]*)", pivot_cell)
        missing = [name for name in named if name not in known]
        assert not missing or "not yet" in pivot_cell, f"{row}: no command {missing}"


def test_the_pivot_yaml_page_names_every_key_pivot_accepts() -> None:
    """A key added to the schema and not to docs/reference/pivot-yaml.md fails here."""
    from pivot.declare import config_schema

    page = (ROOT / "docs" / "reference" / "pivot-yaml.md").read_text()
    models = (config_schema.PipelineConfig, config_schema.StageConfig, config_schema.ShellStageConfig)
    keys = {key for model in models for key in model.model_fields}
    assert {"stages", "vars", "python", "cmd", "wdir", "matrix", "frozen"} <= keys
    assert not [key for key in sorted(keys) if f"`{key}`" not in page]
