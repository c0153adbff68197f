"""Stages on a Dask cluster, behind the same `concurrent.futures.Executor` interface as the local
pool: a `distributed.Client` to a running scheduler, or a `LocalCluster` that pivot starts and
stops. The only module that imports dask/distributed (an optional extra: only a Dask run imports
this module, and without the extra `require_distributed` says how to install it).

A `Shared` task argument (the project's code) goes to each worker once per run, as a worker plugin
named after its digest; each task carries only that name."""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import logging
import pickle
import re
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from typing import Any

from pivot import errors
from pivot.base import wording
from pivot.executor.task import Shared

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # the extra is missing: `require_distributed` reports it, with the install hint
    WorkerPlugin = object  # type: ignore[misc,assignment]

# A stage whose worker dies (a lost node, the OOM killer) is run once more on another worker, then
# reported as failed: one retry rescues a preempted machine, more only repeat a deterministic crash.
ALLOWED_FAILURES = 1
CONNECT_TIMEOUT = "10s"
PROBE_SECONDS = 5  # a plain TCP connect first: a refused port fails at once, not after retries
INSTALL_HINT = "pip install 'pivot[dask]'"
# The scheduler's event topic under which each worker says it received a shared value (shown on
# the dashboard; `Client.get_events(EVENT_TOPIC)`): how often the project's code crossed the wire.
EVENT_TOPIC = "pivot"

# A Dask worker may run several tasks at once on threads, but a stage owns the process: its cwd,
# sys.path and file descriptors 1 and 2. One stage per worker process at a time.
_ONE_STAGE = threading.Lock()


class WorkerLost(Exception):
    """Every worker that ran the stage died while running it."""


def require_distributed() -> None:
    """Fail with an install hint (exit 2) when the optional `distributed` package is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise errors.ConfigError(
            f"the Dask executor needs the 'distributed' package, which cannot be imported ({exc})",
            hint=f"{INSTALL_HINT}, or run with --executor loky",
        ) from None


class Session:
    """One run's use of Dask. With an address it connects at once (so a wrong address is reported
    before anything runs); without, it starts a LocalCluster on the first submit, so a run with
    nothing to do starts no processes. `close` ends what it opened."""

    def __init__(self, address: str | None, workers: int, *, root: str | None = None) -> None:
        require_distributed()
        self.address = address
        self.workers = workers
        self.root = root  # where the workers find the project's modules (shared filesystem)
        self._client: Any = None
        self._cluster: Any = None
        self._lock = threading.Lock()
        self._shared: dict[str, str] = {}  # digest -> the worker plugin that carries it this run
        if address is not None:
            self.client()

    def describe(self) -> str:
        if self.address is not None:
            return f"the Dask scheduler at {self.address}"
        return f"a local Dask cluster of {wording.count(self.workers, 'worker process', 'worker processes')}"

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Any:
        import dask
        import distributed
        import distributed.comm

        if self.address is None:
            # The scheduler of a LocalCluster lives in this process: the retry policy is ours.
            with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES}):
                self._cluster = distributed.LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    # Its HTTP server starts anyway; on 8787 it would collide with any other
                    # cluster on this machine (and warn): a free port instead.
                    dashboard_address=":0",
                    # Dask logs a worker's death as an error; pivot reports it on the stage.
                    silence_logs=logging.CRITICAL,
                )
            return distributed.Client(self._cluster, set_as_default=False)
        try:
            # Checked before a Client exists: a Client that failed half-way hangs in __del__.
            host, port = distributed.comm.get_address_host_port(self.address)  # type: ignore[attr-defined]
            if distributed.comm.parse_address(self.address)[0] == "tcp":  # type: ignore[attr-defined]
                socket.create_connection((host, port), timeout=PROBE_SECONDS).close()
            return distributed.Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, ValueError, TypeError) as exc:  # malformed, refused, timed out
            raise errors.ConfigError(
                f"cannot connect to the Dask scheduler at '{self.address}': {_one_line(exc)}",
                hint="check --address (or executor.address in .pivot/config.yaml), e.g. "
                "tcp://host:8786, and that `dask scheduler` runs there",
            ) from None

    def executor(self) -> DaskExecutor:
        return DaskExecutor(self)

    def share(self, shared: Shared[Any]) -> SharedRef:
        """Send `shared` to every worker once: a worker plugin, which distributed installs on each
        worker now and on any that joins (or is restarted) later, before it runs a task. Named
        per run as well as by digest: two runs of one project on a shared cluster never remove
        each other's copy."""
        client = self.client()
        with self._lock:
            name = self._shared.get(shared.digest)
            if name is None:
                name = f"pivot-shared-{shared.digest[:16]}-{uuid.uuid4().hex[:8]}"
                payload = pickle.dumps(shared.value, protocol=pickle.HIGHEST_PROTOCOL)
                client.register_plugin(SharedCopy(shared.digest, payload, shared.label), name=name)
                self._shared[shared.digest] = name
        return SharedRef(name, shared.digest)

    def close(self) -> None:
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        shared, self._shared = list(self._shared.values()), {}
        if client is not None:
            if cluster is None:  # a cluster of pivot's own goes, and its plugins with it
                for name in shared:
                    _forget(client, name)
            client.close()
        if cluster is not None:
            cluster.close()


class DaskExecutor(concurrent.futures.Executor):
    """Submits to the session's client; each Dask future is mirrored by a stdlib one, which is
    what the scheduler waits on. A worker lost on every attempt becomes `WorkerLost`."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._submitted: dict[concurrent.futures.Future[Any], Any] = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        client = self._session.client()
        mirror: concurrent.futures.Future[Any] = concurrent.futures.Future()
        mirror.set_running_or_notify_cancel()
        key = f"pivot-{getattr(fn, '__name__', 'task')}-{uuid.uuid4().hex[:12]}"
        # Pickled here and opened on the worker once the project is importable: the scheduler
        # (and a worker before that) cannot import the classes of the user's own loaders.
        try:
            args = tuple(self._session.share(arg) if isinstance(arg, Shared) else arg for arg in args)
        except Exception as exc:  # e.g. a worker with another pivot version cannot unpickle it
            mirror.set_exception(_unshared(args, exc))
            return mirror
        sealed = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        remote = client.submit(one_stage_at_a_time, sealed, self._session.root, key=key, pure=False)
        self._submitted[mirror] = remote
        remote.add_done_callback(lambda done: _settle(done, mirror))
        return mirror

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False, kill_workers: bool = False) -> None:
        pending = [remote for mirror, remote in self._submitted.items() if not mirror.done()]
        self._submitted.clear()
        if pending and (kill_workers or cancel_futures or not wait):
            # Ctrl-C or an error: the scheduler forgets them; a LocalCluster's workers end with
            # the session, a shared cluster's finish the task in hand and drop the result.
            self._session.client().cancel(pending, force=True)


def one_stage_at_a_time(sealed: bytes, root: str | None) -> Any:
    with _ONE_STAGE:
        if root is not None and root not in sys.path:
            sys.path.insert(0, root)  # the stage's own worker code takes it out again
        fn, args, kwargs = pickle.loads(sealed)
        args = tuple(_worker_copy(arg) if isinstance(arg, SharedRef) else arg for arg in args)
        return fn(*args, **kwargs)


@dataclasses.dataclass(frozen=True, slots=True)
class SharedRef:
    """What a task carries in place of a `Shared` value: the worker plugin that holds it."""

    name: str
    digest: str


class SharedCopy(WorkerPlugin):
    """One run's shared value on one worker: unpickled once, when distributed installs the plugin,
    then handed to every task of the run that names it; gone when the run ends."""

    def __init__(self, digest: str, payload: bytes, label: str) -> None:
        self.digest = digest
        self.payload = payload
        self.label = label
        self.value: Any = None

    def setup(self, worker: Any) -> None:
        self.value = pickle.loads(self.payload)
        size, self.payload = len(self.payload), b""
        worker.log_event(EVENT_TOPIC, {"received": self.digest, "bytes": size, "worker": worker.address})


def _worker_copy(ref: SharedRef) -> Shared[Any]:
    import distributed

    plugin = distributed.get_worker().plugins.get(ref.name)
    if not isinstance(plugin, SharedCopy) or plugin.digest != ref.digest:
        # Only if the run that registered it already ended: never run with another run's value.
        raise RuntimeError(f"this Dask worker does not hold the run's shared value {ref.name}")
    return Shared(ref.digest, plugin.value, plugin.label)


def _unshared(args: tuple[Any, ...], exc: Exception) -> Exception:
    """Why the task cannot start: the value every task needs did not reach the workers."""
    label = next((arg.label for arg in args if isinstance(arg, Shared)), "a shared value")
    return RuntimeError(f"cannot send {label} to the Dask workers: {_one_line(exc)}")


def _forget(client: Any, name: str) -> None:
    """Remove a run's shared value from the scheduler and the workers. Whatever fails here, the
    run's result stands: a scheduler that went away took the plugin with it."""
    with contextlib.suppress(Exception):
        client.unregister_worker_plugin(name)


def _settle(done: Any, mirror: concurrent.futures.Future[Any]) -> None:
    """Runs on distributed's callback thread once the Dask future is finished, failed or cancelled."""
    if done.status == "finished":
        mirror.set_result(done.result())
    elif done.status == "cancelled":
        mirror.set_exception(concurrent.futures.CancelledError("cancelled on the Dask cluster"))
    else:
        error = done.exception()
        if type(error).__name__ == "KilledWorker":
            tries = re.search(r"on (\d+) different workers", str(error))
            error = WorkerLost(
                f"the Dask worker running it died ({tries.group(1) if tries else 'every'} attempts; "
                "killed, out of memory, or a crash in native code): see the worker's log"
            )
        mirror.set_exception(error)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
