"""`pivot doctor`: one OK/FAIL line per check of the environment and project, a fix under each
FAIL; exit 1 when any check fails."""

from __future__ import annotations

import click

from pivot.cli import verbosity


@click.command()
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds to wait for each remote to answer.",
)
def doctor(timeout: float) -> None:
    """Check Python, git, the project, pivot.yaml, the config, the cache and each remote."""
    from pivot.api import doctor as doctor_mod

    checks = doctor_mod.run(remote_timeout=timeout)
    width = max(len(check.name) for check in checks)
    for check in checks:
        if check.ok and verbosity.quiet():
            continue
        mark = verbosity.paint("OK  ", "green") if check.ok else verbosity.paint("FAIL", "red")
        click.echo(f"{mark} {check.name.ljust(width)}  {check.detail}")
        if not check.ok:
            click.echo(f"{' ' * (5 + width)}  fix: {check.fix}")
    if doctor_mod.failed(checks):
        click.get_current_context().exit(1)
