"""`pivot run --executor dask`: open the Dask session (and, in remote-cache mode, the remote),
say where stages run and how their data travels, and afterwards how many bytes it moved."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import click

from pivot import errors
from pivot.cli.track import size_text
from pivot.executor import cluster, pool
from pivot.executor.run import RunOptions
from pivot.declare.graph import Graph
from pivot.remote import fs, spec as remote_spec
from pivot.executor.reporting import RunSummary
from pivot.scaleout.offload import RemoteOffload
from pivot.worktree.workspace import Workspace


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    address: str | None  # None: a LocalCluster
    jobs: int | None  # -j
    stages: int  # selected stages: no more local workers than that
    force: bool
    keep_going: bool
    download: bool


def run_on_dask(ws: Workspace, graph: Graph, plan: Plan, run: Callable[[RunOptions], RunSummary]) -> RunSummary:
    offload = _offload(ws, graph, plan)
    if plan.address is None:
        jobs = plan.jobs or pool.default_jobs()
        workers = max(1, min(jobs, plan.stages))
    else:
        jobs = plan.jobs or max(1, plan.stages)  # the cluster queues what it cannot start yet
        workers = 0
    session = cluster.Session(plan.address, workers, root=None if offload else str(ws.project.root))
    try:
        click.echo(f"Running on {session.describe()}; {_data_text(ws, offload)}")
        options = RunOptions(
            jobs=jobs, force=plan.force, keep_going=plan.keep_going, executor="dask",
            pool_factory=session.executor, offload=offload,
        )
        summary = run(options)
    finally:
        session.close()
    if offload is not None and offload.traffic.stages:
        _report_traffic(offload)
    return summary


def _offload(ws: Workspace, graph: Graph, plan: Plan) -> RemoteOffload | None:
    settings = ws.settings.executor
    if settings.data != "remote":
        if not plan.download:
            raise errors.ConfigError(
                "--no-download applies to the remote-cache mode only",
                hint="set executor.data: remote in .pivot/config.yaml, or drop --no-download",
            )
        return None
    spec = remote_spec.resolve(ws.settings, settings.remote, ws.project.root)
    return RemoteOffload(ws, graph, fs.Remote(spec), download=plan.download)


def _data_text(ws: Workspace, offload: RemoteOffload | None) -> str:
    if offload is None:
        return f"data: shared filesystem (workers use {ws.project.root} in place)"
    where = "downloaded into the workspace" if offload.download else "left on the remote (pivot pull)"
    return f"data: remote cache '{offload.remote.name}' ({offload.remote.spec.shown_url}), outputs {where}"


def _report_traffic(offload: RemoteOffload) -> None:
    traffic = offload.traffic
    moved = traffic.workers_in + traffic.workers_out
    click.echo(
        f"Remote cache '{offload.remote.name}': workers fetched {size_text(traffic.workers_in)} and pushed "
        f"{size_text(traffic.workers_out)} ({size_text(moved // traffic.stages)} per stage); this machine "
        f"uploaded {size_text(traffic.client_up)} and downloaded {size_text(traffic.client_down)}"
    )
