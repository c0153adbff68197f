"""What is queued and what the queue's background worker is doing, read from their files: for
`exp queue`, and for the queued and running rows of `exp show`, below the modules that run
experiments (pivot.experiments.queue, pivot.experiments.queueworker).

An experiment waiting to run is a small JSON file in `.pivot/exps/queue/` (git-ignored, with the
records): its name (reserved from then on), its `-S` values and targets, and when it was queued.
The worker keeps `.pivot/exps/worker/`: an OS lock it holds while it lives (freed by the kernel
however it ends, so a killed worker is never taken for a live one under a reused pid),
`worker.json` (what it is doing, or how it ended) and `worker.log`.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import pathlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pivot import errors
from pivot.base import atomic, project, yamldoc
from pivot.experiments import record

SCHEMA = 1
STATE = "worker.json"
LOCK = "worker.lock"
LOG = "worker.log"


@dataclasses.dataclass(frozen=True, slots=True)
class Queued:
    """One experiment waiting to run."""

    name: str
    overrides: Mapping[str, Any]
    targets: tuple[str, ...]
    queued: str  # UTC, "2026-12-06T08:00:00Z"


def write(proj: project.Project, queued: Iterable[Queued]) -> None:
    record.queue_dir(proj).mkdir(parents=True, exist_ok=True)
    record.keep_out_of_git(proj)
    for item in queued:
        data = {"schema": SCHEMA, "name": item.name, "overrides": dict(item.overrides), "targets": list(item.targets), "queued": item.queued}
        atomic.write_text(record.queue_dir(proj) / f"{item.name}.json", json.dumps(data, indent=2, sort_keys=True) + "\n")


def entries(proj: project.Project, *, strict: bool = True) -> list[Queued]:
    """Every queued experiment, first queued first; a damaged entry is an `InputError` naming it
    (`strict=False`: left out, for a listing)."""
    folder = record.queue_dir(proj)
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            found.append(_read(path))
        except errors.InputError:
            if strict:
                raise
    return sorted(found, key=lambda item: (item.queued, item.name))


def _read(path: pathlib.Path) -> Queued:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Queued(data["name"], dict(data["overrides"]), tuple(data["targets"]), data["queued"])
    except (OSError, ValueError, KeyError, TypeError):
        raise errors.InputError(
            f".pivot/exps/queue/{path.name} cannot be read", hint=f"remove it from the queue: pivot exp queue --remove {path.stem}"
        ) from None


def queued_names(proj: project.Project) -> list[str]:
    """The queued experiments' names, from the files alone (a damaged one included)."""
    folder = record.queue_dir(proj)
    return sorted(path.stem for path in folder.glob("*.json")) if folder.is_dir() else []


def remove(proj: project.Project, names: Sequence[str]) -> list[str]:
    """Take `names` out of the queue (damaged entries too); every name is checked before any is
    removed, and one the worker is running is refused."""
    known = set(queued_names(proj))
    running = current(proj).running
    for name in names:
        if name not in known:
            raise errors.InputError(f"no queued experiment named '{name}'", hint=yamldoc.did_you_mean(name, sorted(known)) or "pivot exp queue lists them")
        if name in running:
            raise errors.InputError(
                f"'{name}' is running in the queue's worker", hint="'pivot exp queue stop' stops it, and it stays queued: remove it then"
            )
    drop(proj, names)
    return list(dict.fromkeys(names))


def drop(proj: project.Project, names: Iterable[str]) -> None:
    """Take experiments out of the queue, unchecked (one removed by hand meanwhile is gone already)."""
    for name in dict.fromkeys(names):
        (record.queue_dir(proj) / f"{name}.json").unlink(missing_ok=True)


@dataclasses.dataclass(frozen=True, slots=True)
class Worker:
    """The worker now, or how the last one ended."""

    state: str  # "running", "finished", "stopped", "failed", "died" (killed, no word left) or "none"
    pid: int | None = None
    started: str | None = None
    ended: str | None = None
    jobs: int | None = None
    running: tuple[str, ...] = ()  # the experiments of the sweep it is in
    error: str | None = None

    @property
    def alive(self) -> bool:
        return self.state == "running"


def worker_dir(proj: project.Project) -> pathlib.Path:
    """Beside the queue, not in it: the queue is every JSON file there."""
    return record.exps_dir(proj) / "worker"


def log_path(proj: project.Project) -> pathlib.Path:
    return worker_dir(proj) / LOG


def current(proj: project.Project) -> Worker:
    """The worker's state: what `worker.json` says, corrected by the lock (a worker whose lock is
    free while its file says running was killed)."""
    try:
        data = json.loads((worker_dir(proj) / STATE).read_text(encoding="utf-8"))
        found = Worker(**{**data, "running": tuple(data.get("running", ()))})
    except (OSError, ValueError, TypeError):
        return Worker("none")
    if found.alive and not locked(proj):
        return dataclasses.replace(found, state="died", running=())
    return found


def write_worker(proj: project.Project, worker: Worker) -> None:
    data = {**dataclasses.asdict(worker), "running": list(worker.running)}
    atomic.write_text(worker_dir(proj) / STATE, json.dumps(data, indent=2, sort_keys=True) + "\n")


def locked(proj: project.Project) -> bool:
    """Whether a worker holds the lock now."""
    try:
        fd = os.open(worker_dir(proj) / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
