"""What an experiment's record says once its stages have ended: ok or failed (and why), the
params every stage saw, the metrics it measured and the lock of every stage it left."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from pivot.base import yamlio
from pivot.declare.discovery import LoadedPipeline
from pivot.executor.reporting import StageResult, StageStatus
from pivot.report import snapshot
from pivot.storage import lock as lock_mod
from pivot.worktree.workspace import Workspace

_NOT_RUN = (StageStatus.BLOCKED, StageStatus.NOT_STARTED)


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # "ok" or "failed"
    error: str | None
    params: Mapping[str, Mapping[str, Any]]
    metrics: Mapping[str, Mapping[str, Any]]
    locks: Mapping[str, Mapping[str, Any]]


def collect(ws: Workspace, pipeline: LoadedPipeline, results: Sequence[StageResult], leaders: Mapping[str, str]) -> Outcome:
    """The outcome of an experiment run in `ws` (its scratch tree) on `pipeline` (its params)."""
    error = _error(results, leaders)
    here = dataclasses.replace(pipeline, project=ws.project)  # its metrics files, not the workspace's
    return Outcome(
        status="failed" if error else "ok",
        error=error,
        params={name: dict(stage.params) for name, stage in pipeline.stages.items() if stage.params},
        metrics={path: dict(values) for path, values in snapshot.workspace(here).metrics.items()},
        locks=locks_of(ws, list(pipeline.stages)),
    )


def _error(results: Sequence[StageResult], leaders: Mapping[str, str]) -> str | None:
    """The first stage that failed or did not run, in run order, and why."""
    for result in results:
        if result.status is StageStatus.FAILED:
            return f"stage '{result.name}' failed: {result.error}"
        if result.status in _NOT_RUN:
            if result.name in leaders:
                return f"stage '{result.name}' failed in experiment '{leaders[result.name]}', which ran it for this one too"
            return f"stage '{result.name}' did not run ({result.status.value})"
    return None


def locks_of(ws: Workspace, names: list[str]) -> dict[str, Any]:
    """Each stage's lock data; outputs git would track (metrics, `cache: false`) are put in the
    cache too, so that applying the experiment later can restore them from their hashes."""
    locks: dict[str, Any] = {}
    for name in names:
        path = ws.project.lock_file(name)
        parsed = lock_mod.read(path)
        if parsed is None:
            continue
        locks[name] = yamlio.load(path.read_text(encoding="utf-8"))
        for out, info in parsed.uncached.items():
            target = ws.project.root / out
            if target.exists() and not ws.cache.exists(info.oid):
                ws.cache.add(target, ws.hasher.hash_path(target), copy=True)
    return locks
