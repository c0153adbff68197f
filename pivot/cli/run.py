"""`pivot run` (alias `repro`): run the stale stages of the targets and everything upstream."""

from __future__ import annotations

import dataclasses
import signal

import click

from pivot import errors
from pivot.base import project
from pivot.decide import observe
from pivot.declare import graph
from pivot.worktree import gitignore
from pivot.cli import common, console, explain
from pivot.executor import pool
from pivot.executor.run import RunOptions, run_pipeline
from pivot.executor.reporting import RunSummary


@click.command()
@click.argument("stages", nargs=-1)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Stages at once (default: CPU count).")
@click.option("-f", "--force", is_flag=True, help="Run even the stages that are up to date.")
@click.option("-n", "--dry-run", is_flag=True, help="Say what would run, run nothing.")
@click.option("-k", "--keep-going", is_flag=True, help="After a failure, go on with independent stages.")
@click.option(
    "--executor",
    type=click.Choice(["loky", "forkserver", "inprocess", "dask"]),
    default=None,
    help="Where stages run: a process pool (workers forked from a server by default), this "
    "process (for debugging), or a Dask cluster (default: executor.kind in .pivot/config.yaml).",
)
@click.option("--no-run-cache", is_flag=True, help="Run stale stages even when a recorded run had the same inputs.")
@click.option("--address", default=None, help="The Dask scheduler, e.g. tcp://host:8786 (default: a local cluster of -j workers).")
@click.option("--no-download", is_flag=True, help="Remote-cache mode: leave outputs on the remote (pivot pull fetches them).")
def run(
    stages: tuple[str, ...],
    jobs: int | None,
    force: bool,
    dry_run: bool,
    keep_going: bool,
    executor: str | None,
    no_run_cache: bool,
    address: str | None,
    no_download: bool,
) -> None:
    """Run the stale STAGES (default: all) and the stages they depend on."""
    proj = common.find_project()
    loaded = common.load(proj)  # bad input is reported before anything is written
    names = common.select(loaded, stages)
    if not keep_going:  # with -k the rest runs, and the stages that need the file fail
        graph.check_sources(loaded.graph, names)
    project.ensure_dot_dir(proj)
    with common.project_lock(proj):
        with common.opened(proj) as ws:
            if dry_run:
                decisions = observe.predict(
                    ws, loaded.graph, loaded.pipeline.fingerprints, names, force=force, use_run_cache=not no_run_cache
                )
                explain.print_status(decisions)
                return
            kind = executor or ("dask" if address or ws.settings.executor.kind == "dask" else _default_executor())

            def execute(options: RunOptions) -> RunSummary:
                options = dataclasses.replace(options, run_cache=not no_run_cache)
                with _sigterm_as_interrupt():
                    return run_pipeline(ws, loaded.pipeline, loaded.graph, names, options, console.make_reporter())

            if kind == "dask":
                from pivot.cli import scale  # fsspec and the remote: not for every local run

                address = address or ws.settings.executor.address
                plan = scale.Plan(address, jobs, len(names), force, keep_going, download=not no_download)
                summary = scale.run_on_dask(ws, loaded.graph, plan, execute)
            elif address or no_download:
                raise errors.ConfigError(
                    f"{'--address' if address else '--no-download'} applies to the Dask executor only",
                    hint="add --executor dask (or set executor.kind: dask in .pivot/config.yaml)",
                )
            else:
                summary = execute(RunOptions(jobs or pool.default_jobs(), force, keep_going, executor=kind))
        # Failed stages too: whatever they left behind must not be committed either.
        kept = gitignore.keep(proj, *gitignore.split_outputs(loaded.graph.stages[n] for n in names))
        console.report_gitignore(kept, quiet=True)
    if not summary.ok:
        click.get_current_context().exit(1)


def _default_executor() -> str:
    import pivot.cli

    return "forkserver" if pivot.cli.ENTRY_POINT else "loky"


class _sigterm_as_interrupt:
    """SIGTERM stops a run like Ctrl-C does: no new stages, workers stopped, exit 130."""

    def __enter__(self) -> None:
        self._previous = signal.getsignal(signal.SIGTERM)
        try:
            signal.signal(signal.SIGTERM, self._raise)
        except ValueError:  # not the main thread (embedded use): leave signals alone
            self._previous = None

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    @staticmethod
    def _raise(signum: int, frame: object) -> None:
        raise KeyboardInterrupt
