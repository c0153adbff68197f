#!/usr/bin/env python3
"""Sharing experiments through S3: what reading the records one at a time cost against reading 16
at once, with the project's interpreter:

    .venv/bin/python benchmarks/exp_share.py [--records 200] [--repeats 3]

A project holds `--records` experiment records, each naming one 1 KiB output in the cache. A moto
S3 server this script starts on 127.0.0.1 is the remote. Three operations run twice in the same
run, on a fresh bucket each repetition, with the records read one request after another ("1 at a
time", as a plain loop would) and `pivot.remote.exps.READ_JOBS` at a time ("16 at a time", what
ships): `exp push` of every record (it reads the remote's copy of each first), `exp pull` of
every record into a second, empty project, and the planning of `gc -r` (a dry run: it reads every
record on the remote to keep what they name). The two sides alternate.

Prints a markdown table of seconds (median of the repeats) and the ratio 1-at-a-time / 16-at-a-time.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from workloads.s3server import MotoServer, clean_aws_env

from pivot.api import Project, exp_share, sync
from pivot.base import project
from pivot.experiments import record
from pivot.remote import exps
from pivot.worktree import workspace

OPERATIONS = ("exp push", "exp pull (fresh project)", "gc -r planning")


class _Moto(MotoServer):
    """The moto server next to this interpreter (pivot's venv has moto[server] for its tests)."""

    @staticmethod
    def executable() -> str:
        found = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or shutil.which("moto_server")
        if found is None:
            sys.exit("moto_server not found: run with the project's .venv/bin/python")
        return found


def _project(root: pathlib.Path, endpoint: str, bucket: str) -> Project:
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "pivot.yaml").write_text("stages: {}\n")
    paths = project.Project(root)
    project.ensure_dot_dir(paths)
    (root / ".pivot" / "config.local.yaml").write_text(
        "remotes:\n  origin:\n"
        f"    url: s3://{bucket}/cache\n    endpoint_url: {endpoint}\n    region: eu-west-1\n"
        "    access_key_id: bench\n    secret_access_key: bench\ndefault_remote: origin\n"
    )
    return Project.open(root)


def _records(proj: Project, count: int) -> None:
    ws = workspace.open_workspace(proj.paths)
    try:
        for i in range(count):
            out = proj.root / f"out-{i}.bin"
            out.write_bytes(os.urandom(1024))
            info = ws.hasher.hash_path(out)
            ws.cache.add(out, info, copy=True)
            lock = {"outs": {out.name: {"hash": info.info.oid, "size": 1024, "cache": True, "kind": "out"}}, "deps": {}, "params": {}}
            rec = record.ExpRecord(f"exp-{i + 1}", None, "2026-12-06T00:00:00Z", "ok", None, {"train.lr": i}, {}, {}, {"train": lock})
            record.write(proj.paths, rec)
            out.unlink()
    finally:
        ws.close()


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _one(server: MotoServer, work: pathlib.Path, records: int, jobs: int) -> dict[str, float]:
    bucket = f"bench-{secrets.token_hex(4)}"
    server.make_bucket(bucket)
    exps.READ_JOBS = jobs
    here = _project(work / f"a-{bucket}", server.endpoint, bucket)
    _records(here, records)
    there = _project(work / f"b-{bucket}", server.endpoint, bucket)
    found: dict[str, object] = {}
    result = {
        OPERATIONS[0]: _timed(lambda: found.update(push=exp_share.push(here))),
        OPERATIONS[1]: _timed(lambda: found.update(pull=exp_share.pull(there))),
        OPERATIONS[2]: _timed(lambda: found.update(gc=sync.gc(there.paths, remote="origin", dry_run=True, grace="0"))),
    }
    pushed, pulled, gc = found["push"], found["pull"], found["gc"]
    # Timings of work that did not happen are no timings: every record must have moved, and gc
    # must keep every object they name.
    assert isinstance(pushed, exp_share.ExpPushResult) and len(pushed.pushed) == records, pushed
    assert isinstance(pulled, exp_share.ExpPullResult) and len(pulled.pulled) == records, pulled
    assert isinstance(gc, sync.GcResult) and gc.collected is not None and gc.collected.plan.victims == (), gc
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    env = clean_aws_env(dict(os.environ))  # no AWS profile or proxy of this machine reaches s3fs
    os.environ.clear()
    os.environ.update(env)
    server = _Moto()
    server.start()
    shipped = exps.READ_JOBS
    times: dict[int, dict[str, list[float]]] = {1: {}, shipped: {}}
    with tempfile.TemporaryDirectory(prefix="pivot-exp-share-") as tmp:
        try:
            for _ in range(args.repeats):
                for jobs in (1, shipped):
                    for name, secs in _one(server, pathlib.Path(tmp), args.records, jobs).items():
                        times[jobs].setdefault(name, []).append(secs)
        finally:
            server.proc.terminate()  # type: ignore[union-attr]
    print(f"{args.records} records, one 1 KiB output each; moto on 127.0.0.1; median of {args.repeats}\n")
    print(f"| operation | 1 at a time (s) | {shipped} at a time (s) | ratio |")
    print("|---|---:|---:|---:|")
    for name in OPERATIONS:
        serial, parallel = statistics.median(times[1][name]), statistics.median(times[shipped][name])
        print(f"| {name} | {serial:.2f} | {parallel:.2f} | {serial / parallel:.1f}x |")


if __name__ == "__main__":
    main()
