"""Run history: one JSON file per `Project.run` under `.pivot/runs/`, read by `pivot history`
and `pivot show`.

Each run, whether it ran anything or not, writes `.pivot/runs/<id>.json` atomically once it
ends; a run whose pipeline did not load never gets this far and records nothing. Ids are the
UTC start time to the millisecond and a random suffix (`20261206T021500.123-ab12`), so sorting names sorts runs. Only
the newest `runs: keep:` (default 100) files stay: older ones are deleted after each write. A record that cannot be
written or read never fails the run or the listing; it is history, not state.

`.pivot/tmp/last_run.json` (pivot.api.lastrun) stays beside it: `pivot dag --html` needs, per
stage, the outcome of the last run that reached it, which no single record here holds.

Format (schema 1): `{"schema": 1, "id": str, "started": "<UTC ISO time>", "duration": seconds,
"targets": [str], "stages": [{"stage", "status", "reason", "duration", "worker", "error", "cpu",
"peak_rss"}]}`; `status` is one of pivot.executor.reporting.StageStatus's values, `worker` the pid
of the process that ran the stage, or null when it did not run; `cpu` (seconds) and `peak_rss`
(bytes) what it used, null when it did not run or could not be measured (records written before
they existed lack both).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import pathlib
from collections.abc import Sequence
from typing import Any

from pivot import errors
from pivot.api import results
from pivot.base import atomic, project
from pivot.executor.reporting import StageStatus

SCHEMA = 1
KEEP = 100  # runs kept by default (`runs: keep:` in .pivot/config.yaml); older records are deleted
DIR_NAME = "runs"

_RAN = (StageStatus.RAN,)
_RESTORED = (StageStatus.RESTORED, StageStatus.RUN_CACHE)
_SKIPPED = (StageStatus.SKIPPED, StageStatus.FROZEN)
_FAILED = (StageStatus.FAILED, StageStatus.BLOCKED, StageStatus.NOT_STARTED)


@dataclasses.dataclass(frozen=True, slots=True)
class StageEntry:
    """One stage of a recorded run: what became of it, why, and what it used."""

    stage: str
    status: StageStatus
    reason: str  # why it ran or was restored; "" when it was up to date
    duration: float
    worker: int | None = None  # pid, when the executor reports it
    error: str = ""
    cpu: float | None = None  # CPU seconds it used
    peak_rss: int | None = None  # peak resident memory, bytes


@dataclasses.dataclass(frozen=True, slots=True)
class RunRecord:
    """One run as `pivot history` lists it: when, how long, its targets and its stages."""

    id: str
    started: str  # UTC ISO time
    duration: float
    targets: tuple[str, ...]
    stages: tuple[StageEntry, ...]  # in run order

    def count(self, statuses: Sequence[StageStatus]) -> int:
        return sum(1 for entry in self.stages if entry.status in statuses)

    @property
    def counts(self) -> dict[str, int]:
        """How many stages ran, were restored (cache or run cache), were skipped (up to date or
        frozen) and failed (or were blocked or never started because of a failure)."""
        return {
            "ran": self.count(_RAN),
            "restored": self.count(_RESTORED),
            "skipped": self.count(_SKIPPED),
            "failed": self.count(_FAILED),
        }

    @property
    def slowest_first(self) -> tuple[StageEntry, ...]:
        return tuple(sorted(self.stages, key=lambda entry: -entry.duration))

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "id": self.id,
            "started": self.started,
            "duration": round(self.duration, 6),
            "targets": list(self.targets),
            "stages": [_entry_json(entry) for entry in self.stages],
        }


def runs_dir(proj: project.Project) -> pathlib.Path:
    return proj.dot_dir / DIR_NAME


def new_id(started: datetime.datetime) -> str:
    """`20261206T021500.123-ab12`: milliseconds, so that runs in one second still sort in order;
    the suffix keeps two runs in one millisecond (two clones sharing nothing but a clock) apart."""
    return f"{started.strftime('%Y%m%dT%H%M%S')}.{started.microsecond // 1000:03d}-{os.urandom(2).hex()}"


def record(proj: project.Project, targets: Sequence[str], report: results.RunReport) -> RunRecord | None:
    """Write the record of a finished run and prune old ones; None when it could not be written."""
    ended = datetime.datetime.now(datetime.UTC)
    started = ended - datetime.timedelta(seconds=report.duration)
    entries = tuple(StageEntry(run.stage, run.outcome, run.reason, run.duration, run.worker, run.error, run.cpu, run.peak_rss) for run in report.stages)
    run = RunRecord(new_id(started), started.isoformat(timespec="milliseconds"), report.duration, tuple(targets), entries)
    folder = runs_dir(proj)
    try:
        prepare(proj)
        # One line, through json's C encoder (indenting takes its pure-Python one: 0.4 ms at the
        # end of every run); `pivot history` is what reads it.
        atomic.write_bytes(folder / f"{run.id}.json", json.dumps(run.as_json(), separators=(",", ":")).encode(), durable=False)
    except OSError:
        return None
    _prune(folder, _keep(proj))
    return run


def prepare(proj: project.Project) -> None:
    """The records' folder, with its .gitignore: made by `record`, or while a run's stages run so
    that its end does not wait for a first run's mkdir and file (OSError: not made)."""
    folder = runs_dir(proj)
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():  # records are this machine's, even where .pivot/.gitignore predates them
        atomic.write_bytes(ignore, b"*\n", durable=False)  # (lost in a power cut: written again)


def _keep(proj: project.Project) -> int:
    if not _may_set_keep(proj):  # reading the settings costs a no-op run a third of its time
        return KEEP
    from pivot.declare import config

    try:
        return config.load_project_config(proj).runs_keep
    except errors.PivotError:  # a broken config is reported by the commands that use it
        return KEEP


def _may_set_keep(proj: project.Project) -> bool:
    """Whether a config file could set `runs.keep`: it names the key, or holds an escape that
    could spell it in a quoted key, or cannot be read (then the settings say why)."""
    for path in (proj.config_file, proj.local_config_file):
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            continue
        except OSError:
            return True
        if b"runs" in text or b"\\" in text:
            return True
    return False


def _prune(folder: pathlib.Path, keep: int) -> None:
    for old in _names(folder)[:-keep]:  # keep is at least 1 (the schema says so)
        with contextlib.suppress(OSError):
            (folder / f"{old}.json").unlink()


def _names(folder: pathlib.Path) -> list[str]:
    """Run ids, oldest first."""
    try:  # (not Path.glob, which compiles a pattern at the end of every run)
        return sorted(name[:-5] for name in os.listdir(folder) if name.endswith(".json"))
    except OSError:
        return []


def history(proj: project.Project, count: int | None = None) -> list[RunRecord]:
    """The last `count` runs (None: all kept), newest first; unreadable records are left out."""
    found: list[RunRecord] = []
    for name in reversed(_names(runs_dir(proj))):
        if count is not None and len(found) >= count:
            break
        run = _read(runs_dir(proj) / f"{name}.json")
        if run is not None:
            found.append(run)
    return found


def show(proj: project.Project, run_id: str | None = None) -> RunRecord:
    """One run: `run_id` or a unique start of one; None: the last run."""
    names = _names(runs_dir(proj))
    if not names:
        raise errors.InputError("no run is recorded yet", hint="'pivot run' records each run in .pivot/runs/")
    if run_id is None:
        chosen = names[-1]
    else:
        matches = [name for name in names if name.startswith(run_id)]
        if len(matches) != 1:
            what = "matches several runs" if matches else "is not a recorded run"
            raise errors.InputError(f"'{run_id}' {what}", hint=f"'pivot history' lists them; the last is {names[-1]}")
        chosen = matches[0]
    run = _read(runs_dir(proj) / f"{chosen}.json")
    if run is None:
        raise errors.InputError(f"the record of run {chosen} cannot be read", hint=f"delete .pivot/runs/{chosen}.json")
    return run


def _entry_json(entry: StageEntry) -> dict[str, Any]:
    return {
        "stage": entry.stage,
        "status": entry.status.value,
        "reason": entry.reason,
        "duration": round(entry.duration, 6),
        "worker": entry.worker,
        "error": entry.error,
        "cpu": None if entry.cpu is None else round(entry.cpu, 3),
        "peak_rss": entry.peak_rss,
    }


def _read(path: pathlib.Path) -> RunRecord | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema") != SCHEMA:
            return None
        stages = tuple(
            StageEntry(
                str(s["stage"]), StageStatus(s["status"]), str(s["reason"]), float(s["duration"]), s.get("worker"), str(s.get("error", "")),
                _number(s.get("cpu"), float), _number(s.get("peak_rss"), int),
            )
            for s in data["stages"]
        )
        return RunRecord(str(data["id"]), str(data["started"]), float(data["duration"]), tuple(map(str, data["targets"])), stages)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _number(value: Any, kind: type[float] | type[int]) -> Any:
    return kind(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
