"""The client side of remote-cache mode: before a stage is submitted its deps go to the remote
(only what it lacks); after it ran, its outputs come from the remote into the local cache and the
workspace (or stay there, with --no-download), and the executor commits the lock."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import pickle
import zlib
from collections.abc import Iterator, Mapping

from pivot import errors
from pivot.base import atomic
from pivot.decide import status
from pivot.declare.graph import Graph
from pivot.declare.stage import Stage
from pivot.executor.scheduler import Submission
from pivot.executor.task import Shared, StageOutcome, StageTask
from pivot.remote import fs, transfer
from pivot.scaleout import remote_task
from pivot.scaleout.remote_task import CodeBundle, RemoteTask
from pivot.storage import cache as cache_mod
from pivot.storage import hashing, links
from pivot.storage.hashing import HashInfo
from pivot.storage.lock import StageLock
from pivot.worktree.workspace import Workspace

TRANSFER_JOBS = 16
# Not the project's code: tools, environments and pivot's own state.
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})


@dataclasses.dataclass(slots=True)
class Traffic:
    """Bytes moved through the remote during one run (main thread only)."""

    client_up: int = 0  # deps this machine uploaded
    client_down: int = 0  # outputs this machine downloaded
    workers_in: int = 0  # deps the workers fetched
    workers_out: int = 0  # outputs the workers pushed
    stages: int = 0  # stages that ran remotely and succeeded
    code: int = 0  # the project's code bundle (compressed), sent once to each worker


class RemoteOffload:
    """Implements `pivot.executor.run.Offload` over one remote."""

    def __init__(self, ws: Workspace, graph: Graph, remote: fs.Remote, *, download: bool) -> None:
        self._ws = ws
        self._graph = graph
        self.remote = remote
        self.download = download
        self.traffic = Traffic()
        self._code: Shared[CodeBundle] | None = None  # bundled at the first submission of the run
        # A plain copy into the cache, whatever cache.type says: caching a source dep to upload
        # it must never turn the user's file into a read-only link.
        self._copying_cache = cache_mod.Cache(ws.cache.root, (links.LinkType.REFLINK, links.LinkType.COPY))

    def adjust(self, stage: Stage, facts: status.Facts) -> status.Facts:
        """The remote is where outputs live. With --no-download an output absent here counts as
        what its lock records, and so does a dep that an upstream stage's lock records; else an
        absent output the remote holds is fetched, so it is restored instead of run again."""
        own = self._ws.read_lock(stage.name)
        if self.download:
            return self._fetch_absent(facts, own)
        outs = {path: info or _locked_out(own, path) for path, info in facts.outs.items()}
        deps = {path: info or self._produced_upstream(stage.name, path) for path, info in facts.deps.items()}
        return dataclasses.replace(facts, outs=outs, deps=deps)

    def _fetch_absent(self, facts: status.Facts, lock: StageLock | None) -> status.Facts:
        wanted = {path: info.oid for path, info in (lock.cached.items() if lock else ()) if facts.outs.get(path) is None}
        wanted = {path: oid for path, oid in wanted.items() if path not in facts.restorable}
        if not wanted:
            return facts
        summary = transfer.fetch(self._ws.cache, self.remote, sorted(set(wanted.values())), jobs=TRANSFER_JOBS)
        self.traffic.client_down += summary.bytes  # what failed is simply not restorable: the stage runs
        found = {path for path, oid in wanted.items() if self._ws.cache.is_complete(oid)}
        return dataclasses.replace(facts, restorable=facts.restorable | found)

    def _produced_upstream(self, name: str, path: str) -> HashInfo | None:
        for up in self._graph.upstream[name]:
            if path in self._graph.stages[up].out_paths:
                return _locked_out(self._ws.read_lock(up), path)
        return None

    def submission(self, task: StageTask, facts: status.Facts) -> Submission:
        deps = {path: info.oid for path, info in facts.deps.items() if info is not None}
        for out in task.stage.outs:  # its previous version, copied into place before the run
            previous = self._ws.project.abspath(out.path)
            if out.incremental and os.path.lexists(previous):
                deps[out.path] = self._ws.hasher.hash_path(previous).info.oid
        self._upload(deps)
        if self._code is None:
            bundle = bundle_code(self._ws.project.root)
            self._code = Shared(bundle.digest, bundle, "the project's code")
            self.traffic.code = bundle.size
        sealed = pickle.dumps(task.stage, protocol=pickle.HIGHEST_PROTOCOL)
        job = RemoteTask(sealed, task.stage.name, self.remote.spec, tuple(sorted(deps.items())), self._code.digest)
        # The bundle travels beside the task, as a value the executor sends each worker once.
        return Submission(remote_task.execute, (job, self._code))

    def _upload(self, deps: Mapping[str, str]) -> None:
        """Push the deps the remote lacks; a source file never cached is cached first (a copy)."""
        local = []
        for path, oid in deps.items():
            if not self._ws.cache.is_complete(oid):
                target = self._ws.project.abspath(path)
                if not os.path.lexists(target):
                    continue  # --no-download: made by an upstream stage, pushed by its worker
                hashed = self._ws.hasher.hash_path(target)
                if hashed.info.oid != oid:
                    raise errors.StageFailedError(f"dependency '{path}' changed while the run was preparing it")
                self._copying_cache.add(target, hashed)
            local.append(oid)
        failing = f"cannot upload dependencies to remote '{self.remote.name}'"
        try:
            summary = transfer.push(self._ws.cache, self.remote, local, jobs=TRANSFER_JOBS)
        except errors.TransferError as exc:  # the remote cannot even be compared
            raise errors.TransferError(f"{failing}: {exc.message}", hint=exc.hint) from None
        if summary.failed:
            oid, message = summary.failed[0]
            raise errors.TransferError(f"{failing}: {oid}: {message}")
        self.traffic.client_up += summary.bytes

    def settle(self, stage: Stage, outcome: StageOutcome) -> None:
        produced = outcome.produced or ()
        self.traffic.workers_in += outcome.bytes_in
        self.traffic.workers_out += outcome.bytes_out
        for item in produced:
            if item.content is not None:  # a metric: its bytes came back with the outcome
                if hashing.hash_bytes(item.content) != item.oid:
                    raise errors.StageFailedError(f"the worker sent '{item.path}' damaged (its hash does not match)")
                atomic.write_bytes(self._ws.project.abspath(item.path), item.content)
        cached = [item for item in produced if item.content is None]
        if self.download and cached:
            summary = transfer.fetch(self._ws.cache, self.remote, [item.oid for item in cached], jobs=TRANSFER_JOBS)
            if summary.failed:
                oid, message = summary.failed[0]
                raise errors.TransferError(f"cannot download its outputs from remote '{self.remote.name}': {oid}: {message}")
            self.traffic.client_down += summary.bytes
            for item in cached:
                self._ws.cache.checkout(item.oid, self._ws.project.abspath(item.path), self._ws.hasher)
        self.traffic.stages += 1


def _locked_out(lock: StageLock | None, path: str) -> HashInfo | None:
    if lock is None:
        return None
    return lock.output(path)


def bundle_code(root: pathlib.Path) -> CodeBundle:
    """Every .py file of the project, outside dot directories (.git, .pivot, .venv) and virtual
    environments: what the stages may import."""
    digest = hashlib.sha256()
    files = []
    for rel, path in sorted(_python_files(root)):
        data = path.read_bytes()
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
        files.append((rel, zlib.compress(data)))
    return CodeBundle(tuple(files), digest.hexdigest())


def _python_files(root: pathlib.Path) -> Iterator[tuple[str, pathlib.Path]]:
    for current, dirs, names in os.walk(root):
        here = pathlib.Path(current)
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS and not (here / d / "pyvenv.cfg").exists()]
        for name in names:
            if name.endswith(".py"):
                path = here / name
                yield path.relative_to(root).as_posix(), path
