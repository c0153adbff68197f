"""`pivot exp run --queue` and `--run-all`: experiments set aside to run later, as DVC's
`dvc exp run --queue` and `dvc queue start` keep them (the files: pivot.experiments.queuestate).
Its values were checked when it was queued; `--run-all`
checks them again against the pipeline as it is then, and runs every queued experiment in one
sweep (one per set of targets). An entry goes once its experiment has a record, ok or failed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from pivot.api import Project
from pivot.base import project
from pivot.experiments import queuestate, record, runner
from pivot.experiments.plan import Plan


def add(proj: project.Project, plan: Plan) -> list[queuestate.Queued]:
    """Queue every experiment of `plan` (checked already: `plan.make`)."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    queued = [queuestate.Queued(exp.name, dict(exp.overrides), plan.targets, now) for exp in plan.experiments]
    queuestate.write(proj, queued)
    return queued


def groups(queued: Iterable[queuestate.Queued]) -> list[tuple[tuple[str, ...], list[queuestate.Queued]]]:
    """The queued experiments by their targets: one sweep each, in the order first queued."""
    found: dict[tuple[str, ...], list[queuestate.Queued]] = {}
    for item in queued:
        found.setdefault(item.targets, []).append(item)
    return list(found.items())


def run_all(proj: Project, *, jobs: int | None = None, progress: runner.Progress | None = None, **options: Any) -> list[record.ExpRecord]:
    """Run every queued experiment, one sweep per set of targets (`options`: `run_sweep`'s
    retries and resources); each leaves the queue once its sweep has recorded it."""
    from pivot.experiments import plan

    done: list[record.ExpRecord] = []
    recorded = set(record.names(proj.paths))
    waiting = queuestate.entries(proj.paths)
    queuestate.drop(proj.paths, [item.name for item in waiting if item.name in recorded])  # ran before an interrupt
    for targets, group in groups(item for item in waiting if item.name not in recorded):
        names = [item.name for item in group]
        sweep = plan.build(proj, names, [item.overrides for item in group], targets)  # checked again: the pipeline may have changed
        done += runner.run_sweep(proj, sweep, jobs=jobs, progress=progress, **options)
        queuestate.drop(proj.paths, names)
    return done
