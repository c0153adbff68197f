"""`pivot exp run --queue` and `--run-all`: experiments set aside to run later, as DVC's
`dvc exp run --queue` and `dvc queue start` keep them. Each is a small JSON file in
`.pivot/exps/queue/` (git-ignored, with the records): its name (reserved from then on), its `-S`
values and targets, and when it was queued. Its values were checked when it was queued; `--run-all`
checks them again against the pipeline as it is then, and runs every queued experiment in one
sweep (one per set of targets). An entry goes once its experiment has a record, ok or failed.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import pathlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pivot import errors
from pivot.api import Project
from pivot.base import atomic, project, yamldoc
from pivot.experiments import record, runner
from pivot.experiments.plan import Plan

SCHEMA = 1


@dataclasses.dataclass(frozen=True, slots=True)
class Queued:
    """One experiment waiting to run."""

    name: str
    overrides: Mapping[str, Any]
    targets: tuple[str, ...]
    queued: str  # UTC, "2026-12-06T08:00:00Z"


def add(proj: project.Project, plan: Plan) -> list[Queued]:
    """Queue every experiment of `plan` (checked already: `plan.make`)."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    queued = [Queued(exp.name, dict(exp.overrides), plan.targets, now) for exp in plan.experiments]
    record.queue_dir(proj).mkdir(parents=True, exist_ok=True)
    record.keep_out_of_git(proj)
    for item in queued:
        data = {"schema": SCHEMA, "name": item.name, "overrides": dict(item.overrides), "targets": list(item.targets), "queued": item.queued}
        atomic.write_text(record.queue_dir(proj) / f"{item.name}.json", json.dumps(data, indent=2, sort_keys=True) + "\n")
    return queued


def entries(proj: project.Project) -> list[Queued]:
    """Every queued experiment, first queued first; a damaged entry is an `InputError` naming it."""
    folder = record.queue_dir(proj)
    found = [_read(path) for path in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return sorted(found, key=lambda item: (item.queued, item.name))


def _read(path: pathlib.Path) -> Queued:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Queued(data["name"], dict(data["overrides"]), tuple(data["targets"]), data["queued"])
    except (OSError, ValueError, KeyError, TypeError):
        raise errors.InputError(
            f".pivot/exps/queue/{path.name} cannot be read", hint=f"remove it from the queue: pivot exp queue --remove {path.stem}"
        ) from None


def groups(queued: Iterable[Queued]) -> list[tuple[tuple[str, ...], list[Queued]]]:
    """The queued experiments by their targets: one sweep each, in the order first queued."""
    found: dict[tuple[str, ...], list[Queued]] = {}
    for item in queued:
        found.setdefault(item.targets, []).append(item)
    return list(found.items())


def run_all(proj: Project, *, jobs: int | None = None, progress: runner.Progress | None = None, **options: Any) -> list[record.ExpRecord]:
    """Run every queued experiment, one sweep per set of targets (`options`: `run_sweep`'s
    retries and resources); each leaves the queue once its sweep has recorded it."""
    from pivot.experiments import plan

    done: list[record.ExpRecord] = []
    recorded = set(record.names(proj.paths))
    waiting = entries(proj.paths)
    _drop(proj.paths, [item.name for item in waiting if item.name in recorded])  # ran before an interrupt
    for targets, group in groups(item for item in waiting if item.name not in recorded):
        names = [item.name for item in group]
        sweep = plan.build(proj, names, [item.overrides for item in group], targets)  # checked again: the pipeline may have changed
        done += runner.run_sweep(proj, sweep, jobs=jobs, progress=progress, **options)
        _drop(proj.paths, names)
    return done


def _drop(proj: project.Project, names: Iterable[str]) -> None:
    """Take run experiments out of the queue (one removed by hand meanwhile is gone already)."""
    for name in names:
        (record.queue_dir(proj) / f"{name}.json").unlink(missing_ok=True)


def queued_names(proj: project.Project) -> list[str]:
    """The queued experiments' names, from the files alone (a damaged one included)."""
    folder = record.queue_dir(proj)
    return sorted(path.stem for path in folder.glob("*.json")) if folder.is_dir() else []


def remove(proj: project.Project, names: Sequence[str]) -> list[str]:
    """Take `names` out of the queue (damaged entries too); every name is checked before any is
    removed."""
    known = set(queued_names(proj))
    for name in names:
        if name not in known:
            raise errors.InputError(f"no queued experiment named '{name}'", hint=yamldoc.did_you_mean(name, sorted(known)) or "pivot exp queue lists them")
    for name in dict.fromkeys(names):
        (record.queue_dir(proj) / f"{name}.json").unlink(missing_ok=True)
    return list(dict.fromkeys(names))
