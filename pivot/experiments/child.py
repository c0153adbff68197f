"""One experiment, run in its scratch tree by `python -m pivot.experiments.child SPEC.json`.

A process of its own per experiment: the user's modules are imported from the scratch tree
without disturbing the parent or the other experiments, and stopping it stops only it. It
appends JSON lines to the events file the spec names: one per finished stage, then the result
(params, metrics and locks for the record), which the parent turns into a record.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import time
import traceback
from typing import Any

from pivot import errors
from pivot.api import Project
from pivot.base import yamlio
from pivot.executor.reporting import Reporter, StageResult
from pivot.report import snapshot
from pivot.storage import lock as lock_mod
from pivot.worktree import session


class _Events(Reporter):
    def __init__(self, path: pathlib.Path) -> None:
        self._path = path

    def stage_finished(self, result: StageResult) -> None:
        emit(self._path, {"stage": result.name, "status": result.status.value})


def emit(path: pathlib.Path, event: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as handle:  # one short line per write: read whole
        handle.write(json.dumps(event, sort_keys=True) + "\n")


def run(spec: dict[str, Any]) -> dict[str, Any]:
    proj = Project.open(spec["root"])
    events = pathlib.Path(spec["events"])
    if spec.get("gate"):
        # Import and load now, while the shared stages run elsewhere; run once they are done.
        proj.load_pipeline(check_sources=False, overrides=spec["overrides"])
        gate, parent = pathlib.Path(spec["gate"]), os.getppid()
        while not gate.exists():
            if os.getppid() != parent:  # the sweep was killed outright: nobody will open it
                raise errors.Interrupted("the sweep ended before this experiment could start")
            time.sleep(0.02)
    report = proj.run(
        spec["targets"],
        jobs=spec["jobs"],
        keep_going=True,
        overrides=spec["overrides"],
        executor=spec["executor"],
        reporter=_Events(events),
    )
    failed = [stage for stage in report.stages if stage.error]
    error = f"stage '{failed[0].stage}' failed: {failed[0].error}" if failed else None
    if not report.ok and error is None:
        error = "some stages did not run"
    pipeline = proj.load_pipeline(overrides=spec["overrides"], code=False).pipeline
    return {
        "status": "ok" if report.ok else "failed",
        "error": error,
        "params": {name: dict(stage.params) for name, stage in pipeline.stages.items() if stage.params},
        "metrics": {path: dict(values) for path, values in snapshot.workspace(pipeline).metrics.items()},
        "locks": _locks(proj, list(pipeline.stages)),
    }


def _locks(proj: Project, names: list[str]) -> dict[str, Any]:
    """Each stage's lock data; outputs git would track (metrics, `cache: false`) are put in the
    cache too, so that applying the experiment later can restore them from their hashes."""
    locks: dict[str, Any] = {}
    with session.opened(proj.paths) as ws:
        for name in names:
            path = proj.paths.lock_file(name)
            parsed = lock_mod.read(path)
            if parsed is None:
                continue
            locks[name] = yamlio.load(path.read_text(encoding="utf-8"))
            for out, info in parsed.uncached.items():
                target = proj.root / out
                if target.exists() and not ws.cache.exists(info.oid):
                    ws.cache.add(target, ws.hasher.hash_path(target), copy=True)
    return locks


def main(argv: list[str]) -> int:
    spec = json.loads(pathlib.Path(argv[0]).read_text(encoding="utf-8"))
    events = pathlib.Path(spec["events"])
    try:
        result = run(spec)
    except errors.PivotError as exc:
        result = {"status": "failed", "error": exc.message}
    except Exception as exc:
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    emit(events, {"result": result})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
