"""The `pivot` command: click commands over the core, and the one place errors become exit codes."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from pivot import __version__, errors
from pivot.base import diskfull

# Each command's module is imported only when that command runs: start-up time is part of every
# command's time, and a no-op `pivot run` should not pay for the GitHub client.
COMMANDS = {
    "init": "pivot.cli.init:init",
    "run": "pivot.cli.run:run",
    "explain": "pivot.cli.explain:explain",
    "status": "pivot.cli.explain:status",
    "params": "pivot.cli.params:params",
    "metrics": "pivot.cli.metrics:metrics",
    "ci": "pivot.cli.ci:ci",
    "track": "pivot.cli.track:track",
    "gc": "pivot.cli.gc:gc",
    "remote": "pivot.cli.remote:remote",
    "push": "pivot.cli.sync:push",
    "fetch": "pivot.cli.sync:fetch",
    "pull": "pivot.cli.sync:pull",
    "checkout": "pivot.cli.sync:checkout",
    "list": "pivot.cli.listing:list_stages",
    "dag": "pivot.cli.listing:show_dag",
}


# A `PivotError` a command met but that must not cut its output short (see common.defer).
DEFERRED_ERROR = "pivot.deferred_error"


class _Group(click.Group):
    """Loads commands lazily and turns every `PivotError` into its message and exit code,
    never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        ref = COMMANDS.get(name)
        if ref is None:
            return None
        module, _, attr = ref.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def invoke(self, ctx: click.Context) -> object:
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

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        # `repro` is DVC's name for `run`; keep it working for people who type it by habit.
        if args and args[0] == "repro":
            args = ["run", *args[1:]]
        return super().resolve_command(ctx, args)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pivot")
def cli() -> None:
    """Typed Python pipelines: run what is stale, in parallel, and explain why."""


def main() -> None:
    _main_is_pivot_module()
    cli.main(prog_name="pivot")


def _main_is_pivot_module() -> None:
    """multiprocessing re-runs a main *script* in every worker forked from a fork server (for the
    `pivot` console script: importing the whole CLI again, per worker), but never a package's
    `__main__` module. Naming the console script as `pivot.__main__`, which it is in all but name,
    spares each worker that import."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None:
        main.__spec__ = importlib.util.find_spec("pivot.__main__")


if __name__ == "__main__":
    main()
