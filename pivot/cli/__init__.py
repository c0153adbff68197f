"""The `pivot` command: click commands over the core, and the one place errors become exit codes."""

from __future__ import annotations

import sys

import click

from pivot import __version__, errors


class _Group(click.Group):
    """Turns every `PivotError` into its message and exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except errors.PivotError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(errors.Interrupted.exit_code)

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        # `repro` is DVC's name for `run`; keep it working for people who type it by habit.
        if args and args[0] == "repro":
            args = ["run", *args[1:]]
        return super().resolve_command(ctx, args)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pivot")
def cli() -> None:
    """Typed Python pipelines: run what is stale, in parallel, and explain why."""


def _register() -> None:
    from pivot.cli import explain, init, metrics, params, run

    cli.add_command(init.init)
    cli.add_command(run.run)
    cli.add_command(explain.explain)
    cli.add_command(explain.status)
    cli.add_command(params.params)
    cli.add_command(metrics.metrics)


_register()


def main() -> None:
    cli.main(prog_name="pivot")


if __name__ == "__main__":
    sys.exit(main())
