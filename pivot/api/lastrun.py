"""Which stages failed when they last ran: `.pivot/tmp/last_run.json`, written by `Project.run`
at the end of every run and read by `pivot dag --html`.

A stage's log (`.pivot/logs/<stage>.log`) ends with its failure, but a log cannot say whether a
later run of the stage succeeded, and a lock only changes on success. So each run updates this
small record: a stage that failed is entered with its one-line error; a stage the run ran,
restored, skipped or kept frozen is removed; a stage it never reached (blocked behind a failure,
or not started) keeps whatever the record said. Losing the file costs only the "failed" colour.

Format: `{"schema": 1, "failed": {"<stage>": {"error": "<one line>", "at": "<UTC ISO time>"}}}`."""

from __future__ import annotations

import contextlib
import datetime
import json
import pathlib
from collections.abc import Iterable, Mapping

from pivot.base import atomic, project
from pivot.executor.reporting import StageResult, StageStatus

SCHEMA = 1
FILE_NAME = "last_run.json"
_UNTOUCHED = (StageStatus.BLOCKED, StageStatus.NOT_STARTED)


def path_of(proj: project.Project) -> pathlib.Path:
    return proj.tmp_dir / FILE_NAME


def failures(proj: project.Project) -> dict[str, str]:
    """Each stage whose last run failed -> its one-line error; {} when nothing is recorded or
    the record cannot be read (it is a hint for the reader, never a reason to stop)."""
    return {name: str(entry.get("error", "")) for name, entry in _read_entries(proj).items()}


def record(proj: project.Project, results: Iterable[StageResult]) -> None:
    """Update the record with what one run did (see the module docstring)."""
    before = _read_entries(proj)
    after = dict(before)
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    for result in results:
        if result.status is StageStatus.FAILED:
            after[result.name] = {"error": result.error or "failed", "at": now}
        elif result.status not in _UNTOUCHED:
            after.pop(result.name, None)
    if after == before:
        return  # most runs fail nothing and cleared nothing: no write
    # A record we cannot write must not fail the run it describes.
    with contextlib.suppress(OSError), atomic.open_atomic(path_of(proj), "w", durable=False) as handle:
        json.dump({"schema": SCHEMA, "failed": dict(sorted(after.items()))}, handle, indent=1, sort_keys=True)


def _read_entries(proj: project.Project) -> dict[str, Mapping[str, str]]:
    try:
        data = json.loads(path_of(proj).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    failed = data.get("failed") if isinstance(data, dict) and data.get("schema") == SCHEMA else None
    return {name: entry for name, entry in failed.items() if isinstance(entry, dict)} if isinstance(failed, dict) else {}
