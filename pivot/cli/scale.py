"""`pivot run --executor dask`: say where stages run and how their data travels, and afterwards
how many bytes it moved (pivot.api.executors opens the session and decides)."""

from __future__ import annotations

from collections.abc import Sequence

import click

from pivot.api import executors, results
from pivot.base import wording
from pivot.decide.status import Decision
from pivot.executor import reporting


class _DaskLines(executors.Reporter):
    """The console reporter, plus the line that says where a Dask run executes."""

    def __init__(self, inner: reporting.Reporter) -> None:
        self._inner = inner

    def dask_started(self, setup: executors.DaskSetup) -> None:
        click.echo(f"Running on {setup.cluster}; {data_text(setup)}")

    def run_started(self, total: int, jobs: int) -> None:
        self._inner.run_started(total, jobs)

    def stage_started(self, name: str, decision: Decision) -> None:
        self._inner.stage_started(name, decision)

    def stage_output(self, name: str, line: str) -> None:
        self._inner.stage_output(name, line)

    def stage_retrying(self, name: str, attempt: int, attempts: int, error: str) -> None:
        self._inner.stage_retrying(name, attempt, attempts, error)

    def stage_finished(self, result: reporting.StageResult) -> None:
        self._inner.stage_finished(result)

    def stages_finished(self, results: Sequence[reporting.StageResult]) -> None:
        self._inner.stages_finished(results)

    def run_finished(self, summary: reporting.RunSummary) -> None:
        self._inner.run_finished(summary)


def with_dask_lines(reporter: reporting.Reporter) -> executors.Reporter:
    return _DaskLines(reporter)


def data_text(setup: executors.DaskSetup) -> str:
    if setup.remote is None:
        return f"data: shared filesystem (workers use {setup.root} in place)"
    where = "downloaded into the workspace" if setup.download else "left on the remote (pivot pull)"
    return f"data: remote cache '{setup.remote}' ({setup.remote_url}), outputs {where}"


def report_traffic(traffic: results.Traffic) -> None:
    size = wording.size
    moved = traffic.workers_in + traffic.workers_out
    click.echo(
        f"Remote cache '{traffic.remote}': workers fetched {size(traffic.workers_in)} and pushed "
        f"{size(traffic.workers_out)} ({size(moved // traffic.stages)} per stage); this machine "
        f"uploaded {size(traffic.client_up)} and downloaded {size(traffic.client_down)}"
    )
    click.echo(f"The project's code ({size(traffic.code)} compressed) went to each worker once, not with every stage")
