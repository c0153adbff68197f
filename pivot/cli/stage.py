"""`pivot stage add`: a shell stage written into pivot.yaml from the command line, with DVC's
`dvc stage add` options; `pivot freeze` and `unfreeze` (pivot.api.stageadd). This module parses
and prints."""

from __future__ import annotations

import click

from pivot.cli import common


@click.group()
def stage() -> None:
    """Add stages to pivot.yaml from the command line, as `dvc stage add`."""


@stage.command()
@click.option("-n", "--name", required=True, help="The stage's name.")
@click.option("-d", "--deps", multiple=True, metavar="PATH", help="A file or directory the command reads. Repeatable.")
@click.option("-o", "--outs", multiple=True, metavar="PATH", help="A file or directory it writes, kept in the cache. Repeatable.")
@click.option("-O", "--outs-no-cache", multiple=True, metavar="PATH", help="An output git keeps instead of the cache. Repeatable.")
@click.option("-m", "--metrics", multiple=True, metavar="PATH", help="A metrics file it writes. Repeatable.")
@click.option("-M", "--metrics-no-cache", multiple=True, metavar="PATH", help="A metrics file git keeps instead of the cache. Repeatable.")
@click.option("--plots", multiple=True, metavar="PATH", help="A plot file it writes. Repeatable.")
@click.option("--plots-no-cache", multiple=True, metavar="PATH", help="A plot file git keeps instead of the cache. Repeatable.")
@click.option("-p", "--params", multiple=True, metavar="[FILE:]KEYS", help="Params it reads: 'train.lr,train.epochs' of params.yaml, or 'other.yaml:a,b'. Repeatable.")
@click.option("-w", "--wdir", help="The directory the command runs in; its paths are relative to it.")
@click.option("--always-changed", is_flag=True, help="Run the stage on every pivot run.")
@click.option("-f", "--force", is_flag=True, help="Replace a stage of that name.")
@click.option("--run", "run_it", is_flag=True, help="Run the stage (and what it needs) once it is added.")
@click.argument("command", nargs=-1, required=True)
def add(
    name: str,
    deps: tuple[str, ...],
    outs: tuple[str, ...],
    outs_no_cache: tuple[str, ...],
    metrics: tuple[str, ...],
    metrics_no_cache: tuple[str, ...],
    plots: tuple[str, ...],
    plots_no_cache: tuple[str, ...],
    params: tuple[str, ...],
    wdir: str | None,
    always_changed: bool,
    force: bool,
    run_it: bool,
    command: tuple[str, ...],
) -> None:
    """Write a shell stage NAME that runs COMMAND into pivot.yaml (made if missing), as `dvc stage
    add`; the rest of the file keeps its comments. Put `--` before a COMMAND that has options of
    its own: pivot stage add -n prepare -d data.xml -o prepared -- python prepare.py --split 0.2
    """
    from pivot.api import stageadd

    spec = stageadd.StageSpec(
        name, " ".join(command), deps, outs, outs_no_cache, metrics, metrics_no_cache, plots, plots_no_cache, params, wdir, always_changed
    )
    proj = common.api()
    done = stageadd.add(proj, spec, force=force)
    click.echo(f"Stage '{name}' {done} in pivot.yaml. To commit: git add pivot.yaml")
    if run_it:
        from pivot.cli import console

        report = proj.run([name], reporter=console.make_reporter())
        if not report.ok:
            click.get_current_context().exit(1)


@click.command()
@click.argument("stages", nargs=-1, required=True)
def freeze(stages: tuple[str, ...]) -> None:
    """Set `frozen: true` on STAGES in pivot.yaml, as `dvc freeze`: they never run again, not
    even with -f, and their outputs stay as locked."""
    _frozen(stages, True)


@click.command()
@click.argument("stages", nargs=-1, required=True)
def unfreeze(stages: tuple[str, ...]) -> None:
    """Remove `frozen: true` from STAGES in pivot.yaml, as `dvc unfreeze`."""
    _frozen(stages, False)


def _frozen(stages: tuple[str, ...], frozen: bool) -> None:
    from pivot.api import stageadd

    changed = stageadd.set_frozen(common.api(), stages, frozen)
    for name in stages:
        state = "frozen" if frozen else "not frozen"
        click.echo(f"{name}: {state}" + ("" if name in changed else " already"))
    if changed:
        click.echo("To commit: git add pivot.yaml")


@stage.command(name="remove")
@click.argument("stages", nargs=-1, required=True)
@click.option("--outs", is_flag=True, help="Delete the stages' outputs from the workspace too.")
def remove(stages: tuple[str, ...], outs: bool) -> None:
    """Take STAGES out of pivot.yaml, as `dvc remove`: their entries, their lock files and the
    .gitignore lines of their outputs. The outputs stay as plain files unless --outs; the cache
    keeps them until pivot gc."""
    from pivot.api import stageremove

    done = stageremove.remove(common.api(), stages, outs=outs)
    click.echo(f"Removed {', '.join(done.stages)} from pivot.yaml")
    if done.outputs:
        what = "deleted" if done.deleted else "kept as plain files, no longer ignored by git"
        click.echo(f"Outputs {what}: {', '.join(done.outputs)}")
    click.echo("To commit: git add -A " + " ".join(["pivot.yaml", ".pivot/stages", *done.gitignore.written]))
