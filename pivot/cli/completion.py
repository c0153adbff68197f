"""`pivot completion SHELL`: the script that makes a shell complete pivot's commands, options and
stage names; and the stage-name completer every STAGES argument gets (see `attach`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

SHELLS = ("bash", "zsh", "fish")
# The variable click's completion protocol reads: `_<PROG>_COMPLETE`.
COMPLETE_VAR = "_PIVOT_COMPLETE"
_SETUP = {
    "bash": 'eval "$(pivot completion bash)"   # in ~/.bashrc',
    "zsh": 'eval "$(pivot completion zsh)"    # in ~/.zshrc',
    "fish": "pivot completion fish > ~/.config/fish/completions/pivot.fish",
}


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the script that makes SHELL complete pivot's commands, options and stage names.

    \b
    bash:  eval "$(pivot completion bash)"   # in ~/.bashrc
    zsh:   eval "$(pivot completion zsh)"    # in ~/.zshrc
    fish:  pivot completion fish > ~/.config/fish/completions/pivot.fish

    Stage names come from pivot.yaml (matrix variants included) without importing any of the
    pipeline's code; a project with only pipeline.py completes commands and options only."""
    from click.shell_completion import get_completion_class

    from pivot.cli import cli

    kind = get_completion_class(shell)
    if kind is None:  # click knows every shell in SHELLS; this guards a click that drops one
        raise click.UsageError(f"this click cannot complete {shell}; use one of {', '.join(SHELLS)}")
    click.echo(kind(cli, {}, "pivot", COMPLETE_VAR).source())


def stage_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The stages of the project around the current directory that start with `incomplete`,
    minus those already on the command line."""
    from click.shell_completion import CompletionItem

    from pivot import errors
    from pivot.base import project
    from pivot.declare import names

    try:
        proj = project.Project(project.find_root())
    except errors.PivotError:
        return []
    given = set(ctx.params.get(param.name or "") or ())
    return [CompletionItem(name) for name in names.declared(proj) if name.startswith(incomplete) and name not in given]


def attach(command: click.Command) -> None:
    """Give every STAGES argument of `command` (and of its subcommands) stage-name completion,
    here once rather than in each command's module, so a new command gets it too."""
    for param in command.params:
        # click keeps the completer in this attribute; setting it is what `shell_complete=` does.
        if isinstance(param, click.Argument) and param.name == "stages" and param._custom_shell_complete is None:
            param._custom_shell_complete = stage_names
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            attach(sub)
