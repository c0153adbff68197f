"""The S3 server of the `remote` workload: one `moto_server` on 127.0.0.1 that both tools talk
to, driven with plain HTTP (moto checks no signatures, so no boto is needed); the environment
both tools get for it; and the server floor, the time the server alone needs for the requests.
"""

from __future__ import annotations

import concurrent.futures
import functools
import http.client
import os
import secrets
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import harness
from harness import DVC_VENV, LOG_DIR, MOTO_SPEC, REPO_DIR, WORK_DIR, ToolFailed
from tools import ensure_in_dvc_venv


class MotoServer:
    """`moto_server` on 127.0.0.1 (a free port), output to logs/moto.log. Buckets are created and
    listed with plain HTTP: moto checks no signatures, so the harness needs no boto."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = LOG_DIR / "moto.log"
        # Never through a proxy: loopback traffic only.
        self._http = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def executable() -> str:
        for cand in (REPO_DIR / ".venv" / "bin" / "moto_server", DVC_VENV / "bin" / "moto_server"):
            if cand.exists():
                return str(cand)
        ensure_in_dvc_venv(MOTO_SPEC, "moto.server")
        return str(DVC_VENV / "bin" / "moto_server")

    def start(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        env = clean_aws_env(harness.base_env())
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen([self.executable(), "-H", "127.0.0.1", "-p", str(self.port)],
                                         stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=WORK_DIR)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise ToolFailed(f"moto_server exited {self.proc.returncode} (log: {self.log})\n" + self._tail())
            try:
                self.request("GET", "/")
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise ToolFailed(f"moto_server not ready after 30 s (log: {self.log})\n" + self._tail()) from None
                time.sleep(0.1)

    def cpu_seconds(self) -> float | None:
        """user+sys CPU seconds the server has used so far (Linux /proc), or None."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as fh:  # type: ignore[union-attr]
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError, AttributeError):
            return None

    def log_mark(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def requests_since(self, mark: int) -> int:
        """S3 requests the server logged since `mark` (a log_mark()): what a command asked."""
        with open(self.log, "rb") as fh:
            fh.seek(mark)
            text = fh.read().decode(errors="replace")
        return sum(1 for line in text.splitlines() if " HTTP/1.1" in line and "/moto-api" not in line)

    def _tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])

    def stop(self) -> None:
        if self.proc is not None:
            harness.stop_process(self.proc, 5)

    def request(self, method: str, path: str, data: bytes | None = None) -> bytes:
        req = urllib.request.Request(self.endpoint + path, method=method, data=data)
        with self._http.open(req, timeout=60) as resp:
            body: bytes = resp.read()
        return body

    def make_bucket(self, name: str) -> None:
        self.request("PUT", f"/{name}", b"")

    def reset(self) -> None:
        """Forget every bucket (frees the server's memory and temp files between workloads)."""
        self.request("POST", "/moto-api/reset", b"")

    def objects(self, bucket: str, prefix: str) -> tuple[int, int]:
        """(number, total bytes) of the objects under `prefix`."""
        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        count = size = 0
        token = None
        while True:
            query = {"list-type": "2", "prefix": prefix, "max-keys": "1000"}
            if token:
                query["continuation-token"] = token
            root = ET.fromstring(self.request("GET", f"/{bucket}?{urllib.parse.urlencode(query)}"))
            for item in root.iter(f"{ns}Contents"):
                count += 1
                size += int(item.findtext(f"{ns}Size") or 0)
            token = root.findtext(f"{ns}NextContinuationToken")
            if root.findtext(f"{ns}IsTruncated") != "true" or not token:
                return count, size


# moto checks no signatures, but answers an unsigned GET with 403: any AWS4 header will do.
_DUMMY_AUTH = {"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/s3/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
FLOOR_SAMPLE = 2_000  # objects the server floor is measured on (then scaled to the workload)
FLOOR_JOBS = 8  # connections at once: pivot's default -j on 2 CPUs


def server_floor(moto: MotoServer, n: int, size: int) -> tuple[float, float]:
    """Seconds the server alone needs for n PUTs and n GETs of `size`-byte objects over plain
    HTTP/1.1 keep-alive, FLOOR_JOBS at a time: no tool, no hashing, no cache. moto spends a few
    ms of CPU per request, so this bounds how fast any client can push or pull many small files.
    Measured on min(n, FLOOR_SAMPLE) objects and scaled linearly (the cost per request is flat)."""
    sample = min(n, FLOOR_SAMPLE)
    bucket = f"bench-floor-{secrets.token_hex(3)}"
    moto.make_bucket(bucket)
    local = threading.local()
    payload = [i.to_bytes(8, "little") + os.urandom(size - 8) for i in range(sample)]

    def call(method: str, i: int) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", moto.port, timeout=60)
        body = payload[i] if method == "PUT" else None
        conn.request(method, f"/{bucket}/floor/{i:05d}", body=body, headers=_DUMMY_AUTH)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200 or (method == "GET" and data != payload[i]):
            raise OSError(f"{method} object {i}: HTTP {resp.status}")

    times = []
    for method in ("PUT", "GET"):
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(FLOOR_JOBS) as pool:
            list(pool.map(functools.partial(call, method), range(sample)))
        times.append((time.perf_counter() - t0) * n / sample)
    return times[0], times[1]


def clean_aws_env(env: dict[str, str]) -> dict[str, str]:
    """Without the caller's AWS_* settings and proxies (TESTING.md: a stray AWS_PROFILE or
    HTTP_PROXY breaks loopback S3), plus moto's dummy credentials, the same for both tools."""
    env = {k: v for k, v in env.items()
           if not k.startswith("AWS_") and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
    empty = WORK_DIR / "aws-empty-config"
    if not empty.exists():
        empty.parent.mkdir(parents=True, exist_ok=True)
        empty.write_text("")
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="eu-west-1",
        # An empty file, not /dev/null: dvc-s3 (aiobotocore) fails with "The specified config
        # file (/dev/null) could not be found".
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env
