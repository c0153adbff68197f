"""`pivot exp queue`: the experiments `exp run --queue` set aside (as `dvc queue status` /
`dvc queue remove`), and the worker that runs them in the background (as `dvc queue start`,
`stop`, `logs`): pivot.experiments.queueworker."""

from __future__ import annotations

import time

import click

from pivot import errors
from pivot.base import project
from pivot.cli import common
from pivot.cli.exp import LineProgress
from pivot.experiments import queuestate, queueworker


@click.group(name="queue", invoke_without_command=True)
@click.option("--remove", "to_remove", multiple=True, metavar="NAME", help="Take NAME out of the queue. Repeatable.")
@click.option("--clear", is_flag=True, help="Empty the queue.")
@click.pass_context
def queue(ctx: click.Context, to_remove: tuple[str, ...], clear: bool) -> None:
    """The experiments `pivot exp run --queue` set aside, first queued first, with their -S values
    and targets; --remove and --clear take them out (as dvc queue remove). `start` runs them in
    the background."""
    if ctx.invoked_subcommand is not None:
        return
    proj = common.find_project()
    if clear or to_remove:
        gone = queuestate.remove(proj, queuestate.queued_names(proj) if clear else list(to_remove))
        click.echo(f"Removed from the queue: {', '.join(gone) or 'nothing'}")
        return
    _list(proj)


def _list(proj: project.Project) -> None:
    for item in queuestate.entries(proj):
        values = " ".join(f"{key}={value}" for key, value in item.overrides.items())
        click.echo(f"{item.name}  {item.queued}  {values}" + (f"  (stages: {' '.join(item.targets)})" if item.targets else ""))


@queue.command(name="start")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Stages at once, over every experiment (default: CPU count).")
def start(jobs: int | None) -> None:
    """Run the queue in the background, then what is queued meanwhile, as dvc queue start: the
    terminal is free (and may be closed); `status`, `logs` and `stop` follow the worker."""
    proj = common.find_project()
    worker = queueworker.start(proj, jobs)
    if worker is None:
        click.echo("The queue is empty (pivot exp run --queue -S ... adds to it).")
        return
    click.echo(f"Started the queue's worker (pid {worker.pid}); follow it with: pivot exp queue status, pivot exp queue logs -f")


@queue.command(name="status")
def status() -> None:
    """The worker (running, or how the last one ended), then the experiments still queued."""
    proj = common.find_project()
    click.echo(_describe(queuestate.current(proj), proj))
    _list(proj)


def _describe(worker: queuestate.Worker, proj: project.Project) -> str:
    log = queuestate.log_path(proj).relative_to(proj.root)
    if worker.state == "none":
        return "Worker: none has run (pivot exp queue start starts one)"
    if worker.alive:
        jobs = f", -j {worker.jobs}" if worker.jobs else ""
        doing = f"; running {', '.join(worker.running)}" if worker.running else ""
        return f"Worker: running (pid {worker.pid}, since {worker.started}{jobs}){doing}; log: {log}"
    if worker.state == "died":
        return f"Worker: died (pid {worker.pid}, started {worker.started}): it was killed; what it had not recorded is still queued; log: {log}"
    why = f": {worker.error}" if worker.error else ""
    return f"Worker: {worker.state} at {worker.ended}{why}; log: {log}"


@queue.command(name="stop")
@click.option("--kill", is_flag=True, help="Kill the running stages at once (SIGKILL) instead of stopping them as Ctrl-C does.")
def stop(kill: bool) -> None:
    """Stop the worker, as dvc queue stop --kill: its running stages stop; the experiments it had
    not recorded stay queued for the next start."""
    proj = common.find_project()
    worker = queueworker.stop(proj, kill=kill)
    left = len(queuestate.queued_names(proj))
    click.echo(f"Stopped the queue's worker (pid {worker.pid}); {left} experiment{'s' if left != 1 else ''} still queued")


@queue.command(name="logs")
@click.option("-f", "--follow", is_flag=True, help="Keep printing until the worker ends.")
def logs(follow: bool) -> None:
    """What the worker printed (its last run, or the one running), as dvc queue logs."""
    proj = common.find_project()
    path = queuestate.log_path(proj)
    if not path.exists():
        raise errors.InputError("the queue's worker has no log yet", hint="'pivot exp queue start' starts one")
    with open(path, "rb") as log:
        while True:
            ended = not follow or not queuestate.current(proj).alive  # asked before reading: no last line lost
            chunk = log.read()
            if chunk:
                click.echo(chunk.decode(errors="replace"), nl=False)
            elif ended:
                break
            else:
                time.sleep(0.2)


@queue.command(name="work", hidden=True)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None)
def work(jobs: int | None) -> None:
    """The worker `start` runs: the queue until it is empty, in the foreground."""
    queueworker.detach()
    proj = common.api()
    progress = LineProgress()
    worker = queueworker.work(proj, jobs, progress)
    click.echo(f"Worker {worker.state} at {worker.ended}")
