"""The `pivot` command: click commands over the core, and the one place errors become exit codes."""

from __future__ import annotations

import dataclasses
import importlib
import time
from typing import TYPE_CHECKING

import click

from pivot import __version__, errors
from pivot.base import diskfull, importing
from pivot.cli import verbosity

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """Where a command lives, and its one-line help as click would derive it from the docstring
    (tests/cli/test_lazy_help.py keeps the two equal)."""

    module: str
    attr: str
    short_help: str


# Each command's module is imported only when that command runs (or its own --help, or completion
# inside it): start-up time is part of every command's time, a no-op `pivot run` should not pay for
# the GitHub client, and `pivot --help` and completing a command name should pay for none of them.
COMMANDS = {
    "init": Entry("pivot.cli.init", "init", "Make the current directory a pivot project."),
    "run": Entry("pivot.cli.run", "run", "Run the stale STAGES (default: all) and the stages they depend on."),
    "explain": Entry("pivot.cli.explain", "explain", "Explain why each of STAGES (default: all) will run or not."),
    "status": Entry(
        "pivot.cli.explain",
        "status",
        "One line per stage: up to date, or will run and why; then one line per tracked (.pvt) path: "
        "unchanged, modified or missing (with STAGES, only those the stages depend on).",
    ),
    "exp": Entry("pivot.cli.exp", "exp", "Run params sweeps beside the workspace, and show, compare, apply and share them."),
    "params": Entry("pivot.cli.params", "params", "Show and compare stage parameters."),
    "metrics": Entry("pivot.cli.metrics", "metrics", "Show and compare metrics."),
    "plots": Entry("pivot.cli.plots", "plots", "Draw the pipeline's plots, now or across revisions and experiments."),
    "ci": Entry("pivot.cli.ci", "ci", "Report to continuous integration (GitHub Actions)."),
    "track": Entry(
        "pivot.cli.track",
        "track",
        "Cache each of PATHS (a file or a directory) and write PATH.pvt to commit with git.",
    ),
    "untrack": Entry(
        "pivot.cli.track",
        "untrack",
        "Stop tracking each of PATHS (the data, or its .pvt file), as `dvc remove`: its .pvt file and "
        "its .gitignore line go, the data stays as plain files.",
    ),
    "move": Entry(
        "pivot.cli.track",
        "move",
        "Move tracked data SRC and its .pvt file to DST (into DST when it is a directory), as `dvc "
        "move`, keeping the .gitignore lines in step.",
    ),
    "gc": Entry(
        "pivot.cli.gc",
        "gc",
        "Delete cached objects that no lock file, tracked (.pvt) file or run-cache entry of this "
        "workspace references.",
    ),
    "remote": Entry(
        "pivot.cli.remote", "remote", "Configure where `pivot push` and `pivot pull` send and fetch the cache."
    ),
    "push": Entry(
        "pivot.cli.sync",
        "push",
        "Upload the cached outputs of STAGES (default: all) and tracked files that the remote lacks, "
        "and the run-cache entries of those stages whose outputs are all in the local cache.",
    ),
    "fetch": Entry(
        "pivot.cli.sync",
        "fetch",
        "Download into the local cache the objects of STAGES (default: all) that it lacks, the "
        "remote's run-cache entries, and the outputs of the recorded runs that `pivot run` would use.",
    ),
    "pull": Entry(
        "pivot.cli.sync",
        "pull",
        "fetch, then checkout: bring the outputs of STAGES (default: all) into the workspace.",
    ),
    "checkout": Entry(
        "pivot.cli.sync",
        "checkout",
        "Restore the outputs of STAGES (default: all) from the cache, as the lock files record them.",
    ),
    "stage": Entry("pivot.cli.stage", "stage", "Add stages to pivot.yaml from the command line, as `dvc stage add`."),
    "freeze": Entry(
        "pivot.cli.stage",
        "freeze",
        "Set `frozen: true` on STAGES in pivot.yaml, as `dvc freeze`: they never run again, not even with "
        "-f, and their outputs stay as locked.",
    ),
    "unfreeze": Entry("pivot.cli.stage", "unfreeze", "Remove `frozen: true` from STAGES in pivot.yaml, as `dvc unfreeze`."),
    "list": Entry(
        "pivot.cli.listing",
        "list_stages",
        "Each of STAGES (default: all) with its function, deps and outputs, in run order.",
    ),
    "dag": Entry("pivot.cli.listing", "show_dag", "The graph of STAGES (default: all) and the stages they depend on."),
    "import": Entry(
        "pivot.cli.imports",
        "import_repo",
        "Fetch PATH (an output, tracked data or a committed file, relative to the root) of another "
        "project's git repository REPO (a URL git takes, or a path), cache it and write OUT.pvt with the "
        "source, as `dvc import`.",
    ),
    "import-url": Entry(
        "pivot.cli.imports",
        "import_url",
        "Download URL (a file or a directory: s3://, gs://, https://, a local path) to PATH (default: "
        "its last name, here), cache it and write PATH.pvt with the source, as `dvc import-url`.",
    ),
    "get-url": Entry(
        "pivot.cli.imports",
        "get_url",
        "Download URL (a file or a directory: s3://, gs://, https://, a local path) to PATH (default: its "
        "last name, here), tracking nothing, as `dvc get-url`; from anywhere.",
    ),
    "ls-url": Entry(
        "pivot.cli.imports",
        "ls_url",
        "List what is at URL (s3://, gs://, https://, a local path), as `dvc ls-url`: each entry with its "
        "size, directories ending in /; to see what `pivot import-url URL` would fetch.",
    ),
    "update": Entry(
        "pivot.cli.imports",
        "update",
        "Fetch again each imported PATH (default: every one) whose source changed since it was "
        "fetched (a URL's files, or the commit of a repository's branch or tag), as `dvc update`; the "
        "others are left alone."
    ),
    "install": Entry(
        "pivot.cli.install",
        "install",
        "Install git hooks: after a branch checkout, `pivot checkout`; before a commit, `pivot status`; "
        "before a push, `pivot push` (with a default remote).",
    ),
    "diff": Entry(
        "pivot.cli.datadiff",
        "diff",
        "The cached outputs and tracked (.pvt) data that differ between git revision OLD (default: "
        "HEAD) and NEW (default: the workspace): added, deleted, modified and renamed, a changed "
        "directory followed by the files in it that changed.",
    ),
    "import-dvc": Entry(
        "pivot.cli.import_dvc",
        "import_dvc",
        "Convert dvc.yaml into pivot.yaml and .dvc files into .pvt tracking, reusing DVC's cache.",
    ),
    "history": Entry(
        "pivot.cli.history",
        "history",
        "The last runs, newest first: id, start, duration, and how many stages ran, were restored, "
        "skipped or failed.",
    ),
    "show": Entry(
        "pivot.cli.history",
        "show",
        "One recorded run (default: the last; an id or its unique start), its stages slowest first.",
    ),
    "verify": Entry(
        "pivot.cli.verify",
        "verify",
        "Exit 0 only when each of STAGES (default: all) is up to date and its outputs are in the "
        "workspace or the cache; else one line per problem and exit 1.",
    ),
    "commit": Entry(
        "pivot.cli.verify",
        "commit",
        "Record the workspace's outputs of STAGES (default: all) as their result, without running "
        "them: cache the outputs and write the locks.",
    ),
    "completion": Entry(
        "pivot.cli.completion",
        "completion",
        "Print the script that makes SHELL complete pivot's commands, options and stage names.",
    ),
    "schema": Entry("pivot.cli.schema", "schema", "Print the JSON Schema of pivot.yaml, for editor validation."),
    "doctor": Entry(
        "pivot.cli.doctor",
        "doctor",
        "Check Python, git, the project, pivot.yaml, the config, the cache and each remote.",
    ),
    "config": Entry(
        "pivot.cli.config", "config", "Get and set settings of .pivot/config.yaml by dotted key (cache.type, remotes.origin.url)."
    ),
    "ls": Entry(
        "pivot.cli.get",
        "ls",
        "List what a commit holds in PATH (default: the root), as `dvc list`: the files git keeps, and "
        "the stage outputs and tracked data it records, marked so, with their size; with --repo, of "
        "another project's repository (what `pivot get --repo` and `pivot import` can fetch).",
    ),
    "get": Entry(
        "pivot.cli.get",
        "get",
        "Write PATHS (outputs, tracked data or any file git has) as they were at git revision REV, "
        "into the current directory; with --repo, as another project's repository has them (a data "
        "registry), from anywhere."
    ),
}


def _shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` columns the way click cuts a command's help (whole words, then "...")."""
    if len(text) <= limit:
        return text
    if limit < len("..."):
        return "..."
    import textwrap  # only when a line is too long, as click does

    return textwrap.shorten(text, limit, placeholder="...", break_on_hyphens=False)


# A `PivotError` a command met but that must not cut its output short (see common.defer).
DEFERRED_ERROR = "pivot.deferred_error"


class _Group(click.Group):
    """Loads commands lazily and turns every `PivotError` into its message and exit code,
    never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entry = COMMANDS.get(name)
        if entry is None:
            return None
        command: click.Command = getattr(importlib.import_module(entry.module), entry.attr)
        verbosity.accept_everywhere(command)
        if ctx.resilient_parsing:  # completing: STAGES arguments complete stage names
            from pivot.cli import completion

            completion.attach(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own version loads every command to ask for its help; the table has it.
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, _shorten(COMMANDS[name].short_help, limit)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        # Command names from the table (click's Group would import each match for its help), then
        # the group's own options, as click completes them.
        from click.shell_completion import CompletionItem

        names = [
            CompletionItem(name, help=_shorten(COMMANDS[name].short_help, 45))
            for name in self.list_commands(ctx)
            if name.startswith(incomplete)
        ]
        return names + click.Command.shell_complete(self, ctx, incomplete)

    def invoke(self, ctx: click.Context) -> object:
        started = time.perf_counter()
        try:
            result = super().invoke(ctx)
            deferred = ctx.meta.get(DEFERRED_ERROR)
            if deferred is not None:  # the command's output is complete; now the error it met
                raise deferred
            return result
        except errors.PivotError as exc:
            from pivot.base import redaction  # only on the way out: a clean run never pays for it

            click.echo(f"error: {redaction.redact_text(str(exc))}", err=True)  # never a credential
            ctx.exit(exc.exit_code)
        except OSError as exc:
            # The net under the writes that name their path (pivot.base.diskfull): a full disk is
            # never a traceback, wherever it is met.
            if not diskfull.is_full(exc):
                raise
            full = diskfull.from_os_error(exc)
            click.echo(f"error: {full}", err=True)
            ctx.exit(full.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(errors.Interrupted.exit_code)
        finally:
            if verbosity.verbose():
                name = ctx.invoked_subcommand or "pivot"
                click.echo(f"pivot {name}: {time.perf_counter() - started:.2f}s", err=True)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        # `repro` is DVC's name for `run`; keep it working for people who type it by habit.
        if args and args[0] == "repro":
            args = ["run", *args[1:]]
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, click.Group):
            rest = _spelled_long(command, rest)
        return name, command, rest


def _spelled_long(command: click.Command, args: list[str]) -> list[str]:
    """`args` with each of `command`'s short options spelled long (`-j8` -> `--jobs=8`, `-q` ->
    `--quiet`), which click parses the same way. click tries every option as a long one first, and
    its error for a miss imports difflib and ranks the near names before the option is tried as a
    short one: a millisecond of every command line with `-j`. Clusters (`-qv`), an option whose
    value is missing (click names it as typed), options that may go without their value and
    anything after `--` are left as typed."""
    spelled: dict[str, tuple[str, int]] = {}  # short -> (long, values it takes)
    takes: dict[str, int] = {}  # every option -> the values that follow it
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        if getattr(param, "_flag_needs_value", False):  # its value is optional: only click knows
            return args
        count = 0 if param.is_flag or param.count else param.nargs
        takes.update(dict.fromkeys((*param.opts, *param.secondary_opts), count))
        long = next((opt for opt in param.opts if opt.startswith("--")), None)
        if long is not None:
            spelled.update((opt, (long, count)) for opt in param.opts if len(opt) == 2 and opt[0] == "-" and opt[1] != "-")
    out: list[str] = []
    skip = 0
    for index, arg in enumerate(args):
        if skip:  # an option's value, whatever it looks like
            skip -= 1
        elif arg == "--" or (not arg.startswith("-") and not command.allow_interspersed_args):
            return out + args[index:]
        elif arg[:2] in spelled and (spelled[arg[:2]][1] if len(arg) > 2 else index + spelled[arg][1] < len(args)):
            long, count = spelled[arg[:2]]
            out.append(long if len(arg) == 2 else f"{long}={arg[2:]}")
            skip = count if len(arg) == 2 else count - 1  # `-j8` carries its one value
            continue
        elif arg in takes:
            skip = takes[arg]
        out.append(arg)
    return out


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pivot")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and results (no progress).")
@click.option("-v", "--verbose", is_flag=True, help="Print more detail, such as how long the command took.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Typed Python pipelines: run what is stale, in parallel, and explain why.

    -q and -v work after a command's name too (pivot run -q). Colour is used only on a
    terminal, and never when NO_COLOR is set."""
    verbosity.configure(ctx, quiet=quiet, verbose=verbose)


def main() -> None:
    from pivot.cli import ending

    importing.name_main_module()
    ending.end(lambda: cli.main(prog_name="pivot"))


if __name__ == "__main__":
    main()
