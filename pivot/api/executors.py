"""Where a run's stages execute: the one place that chooses the executor (a local process pool,
this process, or a Dask cluster) and, on Dask, opens the session and the remote-cache mode.
`Project.run` calls `execute`; the CLI only passes the user's flags through."""

from __future__ import annotations

import contextlib
import dataclasses
import signal
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pivot import errors
from pivot.api import results
from pivot.executor import reporting

# The pool, the executor and the session load only when a run has work (see pivot.api.noop).
if TYPE_CHECKING:
    import concurrent.futures

    from pivot.api import session
    from pivot.executor.run import RunOptions
    from pivot.scaleout.offload import RemoteOffload
    from pivot.worktree.workspace import Workspace

KINDS = ("loky", "forkserver", "inprocess", "dask")


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """What the caller asked of a run's execution."""

    jobs: int | None = None  # None: the CPU count (a local cluster), the stage count (a remote one)
    force: bool = False
    keep_going: bool = False
    executor: str | None = None  # one of KINDS; None: executor.kind in .pivot/config.yaml, else local
    run_cache: bool = True
    address: str | None = None  # a Dask scheduler; implies the Dask executor
    download: bool = True  # remote-cache mode: bring outputs into the workspace
    retries: int = 0  # a failed stage without its own `retries:` runs again this many times
    resources: Mapping[str, int] | None = None  # limits above executor.resources of the config


@dataclasses.dataclass(frozen=True, slots=True)
class DaskSetup:
    """Where a Dask run executes and how its data travels (the CLI says so before it starts)."""

    cluster: str  # e.g. "a local Dask cluster of 2 workers", "the Dask scheduler at tcp://..."
    root: str  # the project root the workers use in place (shared-filesystem mode)
    remote: str | None = None  # remote-cache mode: the remote's name
    remote_url: str = ""  # shown without credentials
    download: bool = True


class Reporter(reporting.Reporter):
    """A run reporter that also hears where a Dask run executes."""

    def dask_started(self, setup: DaskSetup) -> None:
        pass


def choose(request: Request, configured: str | None) -> str:
    """The executor kind: the caller's, else Dask when an address or .pivot/config.yaml says so,
    else a local pool (workers forked from a server when pivot is its own program)."""
    if request.executor is not None and request.executor not in KINDS:
        raise errors.ConfigError(f"unknown executor '{request.executor}'", hint=f"use one of {', '.join(KINDS)}")
    kind = request.executor or ("dask" if request.address or configured == "dask" else _local_default())
    if kind != "dask" and (request.address or not request.download):
        raise errors.ConfigError(
            f"{'--address' if request.address else '--no-download'} applies to the Dask executor only",
            hint="add --executor dask (or set executor.kind: dask in .pivot/config.yaml)",
        )
    return kind


def _local_default() -> str:
    """The fork server re-imports the program's main module in every worker: safe only when that
    is pivot's own guarded entry point (`pivot`, `python -m pivot`), never a user's script."""
    from pivot.base import importing

    return "forkserver" if importing.main_is_pivot() else "loky"


def preloading(request: Request, root: str) -> contextlib.AbstractContextManager[None]:
    """Around a run's loading: on the fork server, start the server when loading imports the
    first project module, so both import the user's code at once (see pivot.executor.warm)."""
    if request.executor not in (None, "forkserver") or request.address or _local_default() != "forkserver":
        return contextlib.nullcontext()
    from pivot.executor import warm

    return warm.preloading(root)


def prefork(request: Request, root: str) -> None:
    """As soon as a run is known to have work: start the fork server's zygote (see preloading)."""
    if request.executor not in (None, "forkserver") or request.address or _local_default() != "forkserver":
        return
    from pivot.executor import warm

    warm.prefork(root)


def finished() -> None:
    """After a run: wait until its pool has ended (what was left to end while results were recorded)."""
    from pivot.executor import pool

    pool.finish_ending()


def execute(
    ws: Workspace,
    loaded: session.Loaded,
    names: Sequence[str],
    request: Request,
    reporter: reporting.Reporter,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[reporting.RunSummary, results.Traffic | None]:
    """Run `names`; `meanwhile` is called once the first stages have started."""
    from pivot.executor import warm

    try:
        _prespawn(ws, loaded, names, request)
        return _execute(ws, loaded, names, request, reporter, meanwhile)
    finally:
        warm.release()  # a fork server made ready during loading that no stage needed


def _prespawn(ws: Workspace, loaded: session.Loaded, names: Sequence[str], request: Request) -> None:
    """Have the zygote fork the run's workers now, while this process imports the executor and
    decides the first stages, when those stages will surely run (see pool.first_stages_run)."""
    if choose(request, ws.settings.executor.kind) != "forkserver" or not names:
        return
    from pivot.executor import pool, warm

    jobs = request.jobs or pool.default_jobs()
    if pool.first_stages_run(ws.project.lock_file, loaded.graph.upstream, names, jobs, force=request.force):
        warm.prespawn(max(1, min(jobs, len(names))))


def _execute(
    ws: Workspace,
    loaded: session.Loaded,
    names: Sequence[str],
    request: Request,
    reporter: reporting.Reporter,
    meanwhile: Callable[[], None] | None,
) -> tuple[reporting.RunSummary, results.Traffic | None]:
    from pivot.executor.run import RunOptions, run_pipeline

    kind = choose(request, ws.settings.executor.kind)

    def run(options: RunOptions) -> reporting.RunSummary:
        limits = {**ws.settings.executor.resources, **(request.resources or {})}  # the command line wins
        options = dataclasses.replace(options, run_cache=request.run_cache, retries=request.retries, resources=limits, meanwhile=meanwhile)
        with sigterm_as_interrupt():
            return run_pipeline(ws, loaded.pipeline, loaded.graph, names, options, reporter)

    if kind == "dask":
        return _on_dask(ws, loaded, names, request, reporter, run)
    if kind == "forkserver":
        from pivot.executor import warm

        warm.expect(str(ws.project.root), (stage.func.partition(":")[0] for name in names if (stage := loaded.graph.stages[name]).func))
    from pivot.executor import pool

    jobs = request.jobs or pool.default_jobs()
    return run(RunOptions(jobs, request.force, request.keep_going, executor=kind)), None


def _on_dask(
    ws: Workspace,
    loaded: session.Loaded,
    names: Sequence[str],
    request: Request,
    reporter: reporting.Reporter,
    run: Callable[[RunOptions], reporting.RunSummary],
) -> tuple[reporting.RunSummary, results.Traffic | None]:
    from pivot.executor import cluster, pool  # distributed: not for every local run
    from pivot.executor.run import RunOptions

    address = request.address or ws.settings.executor.address
    offload = _offload(ws, loaded, request)
    if address is None:
        jobs = request.jobs or pool.default_jobs()
        workers = max(1, min(jobs, len(names)))
    else:
        jobs = request.jobs or max(1, len(names))  # the cluster queues what it cannot start yet
        workers = 0
    dask = cluster.Session(address, workers, root=None if offload else str(ws.project.root))
    try:
        if isinstance(reporter, Reporter):
            reporter.dask_started(_setup(ws, dask.describe(), offload))
        factory: Callable[[], concurrent.futures.Executor] = dask.executor
        options = RunOptions(
            jobs=jobs, force=request.force, keep_going=request.keep_going, executor="dask", pool_factory=factory, offload=offload
        )
        summary = run(options)
    finally:
        dask.close()
    return summary, _traffic(offload)


def _offload(ws: Workspace, loaded: session.Loaded, request: Request) -> RemoteOffload | None:
    settings = ws.settings.executor
    if settings.data != "remote":
        if not request.download:
            raise errors.ConfigError(
                "--no-download applies to the remote-cache mode only",
                hint="set executor.data: remote in .pivot/config.yaml, or drop --no-download",
            )
        return None
    from pivot.remote import fs
    from pivot.remote import spec as remote_spec
    from pivot.scaleout.offload import RemoteOffload

    spec = remote_spec.resolve(ws.settings, settings.remote, ws.project.root)
    return RemoteOffload(ws, loaded.graph, fs.Remote(spec), download=request.download)


def _setup(ws: Workspace, cluster: str, offload: RemoteOffload | None) -> DaskSetup:
    if offload is None:
        return DaskSetup(cluster, str(ws.project.root))
    return DaskSetup(cluster, str(ws.project.root), offload.remote.name, offload.remote.spec.shown_url, offload.download)


def _traffic(offload: RemoteOffload | None) -> results.Traffic | None:
    if offload is None or not offload.traffic.stages:
        return None
    t = offload.traffic
    return results.Traffic(offload.remote.name, t.workers_in, t.workers_out, t.client_up, t.client_down, t.stages, t.code)


class sigterm_as_interrupt:
    """SIGTERM stops a run like Ctrl-C does: no new stages, workers stopped (the CLI exits 130)."""

    def __enter__(self) -> None:
        self._previous: Any = signal.getsignal(signal.SIGTERM)
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
