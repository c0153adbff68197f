"""The remote-cache task, run on a Dask worker with no view of the workspace: materialize the
code and deps in a private scratch directory, run the stage there, push its outputs, and return
their hashes (and the log) to the client, which commits them. The code arrives as a `Shared`
argument: once per worker per run, not with every task."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import pickle
import shutil
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence

from pivot import errors
from pivot.declare.stage import Stage
from pivot.executor import worker
from pivot.executor.task import Produced, Shared, StageOutcome, StageTask
from pivot.remote import fs, transfer
from pivot.remote.spec import RemoteSpec
from pivot.storage import cache as cache_mod
from pivot.storage.state import Hasher

TRANSFER_JOBS = 8


@dataclasses.dataclass(frozen=True, slots=True)
class CodeBundle:
    """The project's Python sources, so a worker imports the code of this run."""

    files: tuple[tuple[str, bytes], ...]  # (project-relative path, zlib-compressed content)
    digest: str  # of the paths and the uncompressed contents: names this version of the code

    @property
    def size(self) -> int:
        return sum(len(data) for _, data in self.files)


@dataclasses.dataclass(frozen=True, slots=True)
class RemoteTask:
    # Pickled: a stage's loaders may be classes of the project, importable only once its code is
    # in the scratch directory.
    sealed_stage: bytes
    name: str
    remote: RemoteSpec
    deps: tuple[tuple[str, str], ...]  # (project-relative path, oid), all on the remote
    code: str  # the digest of the bundle this stage was submitted with


def execute(task: RemoteTask, code: Shared[CodeBundle]) -> StageOutcome:
    start = time.perf_counter()
    if code.value.digest != task.code:  # never run a stage with another version of the code
        return _failed(task.name, start, f"the worker holds code bundle {code.value.digest[:12]}, not {task.code[:12]}")
    scratch = pathlib.Path(tempfile.mkdtemp(prefix=f"pivot-{task.name}-"))
    cwd = os.getcwd()
    try:
        return _execute_in(task, code.value, scratch, start)
    except errors.PivotError as exc:  # the remote failed as a whole (unreachable, no bucket)
        return _failed(task.name, start, exc.message)
    finally:
        os.chdir(cwd)  # the stage ran in the scratch directory, which goes now
        shutil.rmtree(scratch, ignore_errors=True)


def _execute_in(task: RemoteTask, code: CodeBundle, scratch: pathlib.Path, start: float) -> StageOutcome:
    name = task.name
    cache = cache_mod.Cache(scratch / ".pivot" / "cache")
    hasher = Hasher(None)
    remote = fs.Remote(task.remote)
    for rel, data in code.files:
        target = scratch / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(zlib.decompress(data))
    fetched = transfer.fetch(cache, remote, sorted({oid for _, oid in task.deps}), jobs=TRANSFER_JOBS)
    if fetched.failed:
        return _failed(name, start, f"cannot fetch its deps from remote '{remote.name}': {_first(fetched.failed)}")
    for rel, oid in task.deps:
        cache.checkout(oid, scratch / rel, hasher)
    log_path = scratch / ".pivot" / "logs" / f"{name}.log"
    sys.path.insert(0, str(scratch))  # the stage's own worker code takes it out again
    stage = pickle.loads(task.sealed_stage)
    outcome = worker.execute(StageTask(stage, str(scratch), str(log_path), on_cluster=True))
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    outcome = dataclasses.replace(outcome, log=log, bytes_in=fetched.bytes)
    if not outcome.ok:
        return outcome
    try:
        produced = _hash_outputs(stage, scratch, cache, hasher)
    except errors.StageFailedError as exc:
        return dataclasses.replace(outcome, ok=False, error=exc.message)
    pushed = transfer.push(cache, remote, [p.oid for p in produced if p.content is None], jobs=TRANSFER_JOBS)
    if pushed.failed:
        message = f"cannot push its outputs to remote '{remote.name}': {_first(pushed.failed)}"
        return dataclasses.replace(outcome, ok=False, error=message)
    return dataclasses.replace(outcome, produced=produced, bytes_out=pushed.bytes)


def _hash_outputs(stage: Stage, scratch: pathlib.Path, cache: cache_mod.Cache, hasher: Hasher) -> tuple[Produced, ...]:
    produced = []
    for out in stage.outs:
        path = scratch / out.path
        try:
            hashed = hasher.hash_path(path)
        except FileNotFoundError:
            raise errors.StageFailedError(f"stage '{stage.name}' finished without creating its output '{out.path}'") from None
        info = hashed.info
        if out.cache:
            cache.add(path, hashed)
            produced.append(Produced(out.path, info.oid, info.size, info.nfiles))
        else:  # a metric: small, git-tracked, never in a cache; its bytes travel back
            produced.append(Produced(out.path, info.oid, info.size, info.nfiles, path.read_bytes()))
    return tuple(produced)


def _failed(name: str, start: float, message: str) -> StageOutcome:
    return StageOutcome(name, False, time.perf_counter() - start, error=message, log="")


def _first(failed: Sequence[tuple[str, str]]) -> str:
    oid, message = failed[0]
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    return f"{oid}: {message}{more}"
