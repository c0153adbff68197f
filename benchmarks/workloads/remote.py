"""Workload `remote` (e): `push` and `pull` of a 10,000-file directory and of a 1 GiB file
through one moto S3 server, plus pushes with nothing missing (in the project and in a fresh
clone); every push checked against the bucket and every pull byte for byte."""

from __future__ import annotations

import dataclasses
import os
import resource
import secrets
import shutil
import statistics
import time
from pathlib import Path

import harness
from harness import LOG_DIR, WORK_DIR, Row, Settings, ToolFailed
from tools import Tool

from pivot.base import wording
from workloads.bigoutputs import BIGFILE, MANYFILES, BigSpec, build_big
from workloads.s3server import FLOOR_JOBS, MotoServer, clean_aws_env, server_floor


def run_logged(cmd: list[str], cwd: Path, log_name: str, env: dict[str, str]) -> tuple[float, str]:
    """run_cmd, also returning what the command printed."""
    log = LOG_DIR / f"{log_name}.log"
    start = log.stat().st_size if log.exists() else 0
    elapsed = harness.run_cmd(cmd, cwd, log_name, env)
    with open(log, "rb") as fh:
        fh.seek(start)
        text = fh.read().decode(errors="replace")
    body = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith(("$ (cd ", "[rc="))]
    return elapsed, "\n".join(body)


def said(text: str, width: int = 200) -> str:
    """A command's output on one line, for the notes column."""
    line = " / ".join(ln.strip() for ln in text.splitlines() if ln.strip()) or "(no output)"
    line = line.replace("|", "\\|").replace("`", "'")
    return line if len(line) <= width else line[: width - 3] + "..."


@dataclasses.dataclass
class RemoteRun:
    secs: float
    out: str
    requests: int  # S3 requests the server logged
    client_cpu: float  # user+sys seconds of the tool's process (and its waited-for children)
    server_cpu: float | None  # user+sys seconds moto spent meanwhile (None: no /proc)

    def cpu(self) -> str:
        server = "?" if self.server_cpu is None else f"{self.server_cpu:.1f}"
        return f"CPU s client {self.client_cpu:.1f} / server {server}"


def timed_remote(tool: Tool, verb: str, proj: Path, log: str, env: dict[str, str], moto: MotoServer) -> RemoteRun:
    """`dvc|pivot push|pull` in proj, default -j for both tools."""
    harness.settle()
    mark, server0 = moto.log_mark(), moto.cpu_seconds()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    secs, out = run_logged([tool.exe, verb], proj, log, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server1 = moto.cpu_seconds()
    time.sleep(0.1)  # let the server's last log lines land
    return RemoteRun(
        secs, out, moto.requests_since(mark),
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        None if server0 is None or server1 is None else server1 - server0,
    )


def add_remote(tool: Tool, proj: Path, url: str, endpoint: str, log: str, env: dict[str, str]) -> None:
    harness.run_cmd([tool.exe, "remote", "add", "-d", "origin", url], proj, log, env)
    key = "endpointurl" if tool.name == "dvc" else "endpoint_url"
    harness.run_cmd([tool.exe, "remote", "modify", "origin", key, endpoint], proj, log, env)


def first_difference(a: Path, b: Path) -> str | None:
    """None if `b` is byte-identical to `a` (a file or a directory tree), else what differs."""
    if a.is_file():
        if not b.is_file():
            return f"{b} missing"
        if a.stat().st_size != b.stat().st_size:
            return f"{b}: size {b.stat().st_size}, expected {a.stat().st_size}"
        with open(a, "rb") as fa, open(b, "rb") as fb:
            offset = 0
            while chunk := fa.read(1 << 23):
                if fb.read(len(chunk)) != chunk:
                    return f"{b}: content differs near byte {offset}"
                offset += len(chunk)
        return None
    if not b.is_dir():
        return f"{b} missing"

    def listing(root: Path) -> set[str]:
        return {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}

    want, got = listing(a), listing(b)
    if want != got:
        return f"{b}: {len(want - got)} files missing, {len(got - want)} unexpected"
    for rel in sorted(want):
        if (a / rel).read_bytes() != (b / rel).read_bytes():
            return f"{b / rel}: content differs"
    return None


def remote_rows(cfg: Settings) -> dict[str, Row]:
    n, kib, mib = cfg.remote_files, cfg.remote_file_bytes // 1024, cfg.remote_big_mib
    size = f"{mib / 1024:g} GiB" if mib >= 1024 else f"{mib} MiB"
    return {
        "push_tree": Row(f"remote: push a {n:,}-file directory ({kib} KiB each)", "≥ 3x faster than DVC", harness.ratio_at_least(3.0)),
        "pull_tree": Row("remote: pull that directory into a fresh clone", "≥ 3x faster than DVC", harness.ratio_at_least(3.0)),
        "push_big": Row(f"remote: push a {size} file", "not slower than DVC", harness.ratio_at_least(1.0)),
        "pull_big": Row(f"remote: pull the {size} file into a fresh clone", "not slower than DVC", harness.ratio_at_least(1.0)),
        "noop": Row(f"remote: push with nothing missing (right after the {n:,}-file push)", "pivot < 1 s", harness.under(1.0)),
        "noop_clone": Row("remote: push with nothing to send, fresh clone (empty cache)", "pivot < 1 s", harness.under(1.0)),
    }


def bench_remote(tools: list[Tool], cfg: Settings) -> list[Row]:
    """push/pull through one moto S3 server; a fresh bucket per tool and workload."""
    rows = remote_rows(cfg)
    moto = MotoServer()
    try:
        moto.start()
    except ToolFailed as exc:
        harness.problem(f"remote: cannot start the S3 server: {exc}")
        return list(rows.values())
    harness.say(f"[remote] moto_server on {moto.endpoint} (log: {moto.log})")
    try:
        floors = measure_floors(moto, cfg)
        # The 1 GiB rows are one object each, bound by the server's CPU, and a single 15-20 s
        # timing swings by 2x on a shared machine: three rounds, the tools' order alternating.
        rounds = [(MANYFILES, tools)] + [(BIGFILE, tools if i % 2 == 0 else tools[::-1]) for i in range(1 if cfg.quick else 3)]
        for spec, ordered in rounds:
            for tool in ordered:
                one_round(tool, cfg, spec, moto, rows)
        for key in ("push_big", "pull_big"):
            for name, values in rows[key].samples.items():
                if len(values) > 1:
                    rows[key].notes.append(f"{name} runs (order alternating): " + harness.fmt_times(values))
        floor_notes(rows, cfg.remote_files, floors)
    finally:
        moto.stop()
    return list(rows.values())


def measure_floors(moto: MotoServer, cfg: Settings) -> tuple[float, float] | None:
    """(PUT, GET) seconds of the server floor for the directory's files, or None if it failed."""
    n = cfg.remote_files
    try:
        put_floor, get_floor = server_floor(moto, n, cfg.remote_file_bytes)
        moto.reset()
        harness.say(f"[remote] server floor for {n:,} objects: PUT {put_floor:.2f} s, GET {get_floor:.2f} s")
        return put_floor, get_floor
    except OSError as exc:
        harness.problem(f"remote: measuring the server floor failed: {exc}")
        return None


def floor_notes(rows: dict[str, Row], n: int, floors: tuple[float, float] | None) -> None:
    """The floor first in the directory rows' notes, with each tool's time above it."""
    if floors is None:
        return
    for key, floor, verb in (("push_tree", floors[0], "PUT"), ("pull_tree", floors[1], "GET")):
        r = rows[key]
        note = f"server floor ({n:,} plain-HTTP {verb}s, {FLOOR_JOBS} at a time): {floor:.2f} s"
        if r.dvc is not None and r.pivot is not None:
            above = (r.dvc - floor, r.pivot - floor)
            note += (f"; above the floor: dvc {above[0]:.2f} s, pivot {above[1]:.2f} s"
                     + (f" ({harness.fmt_ratio(*above)})" if min(above) > 0 else ""))
        r.notes.insert(0, note)


def one_round(tool: Tool, cfg: Settings, spec: BigSpec, moto: MotoServer, rows: dict[str, Row]) -> None:
    """remote_one, its failure a problem; then its projects deleted and the server reset."""
    try:
        remote_one(tool, cfg, spec, moto, rows)
    except ToolFailed as exc:
        harness.problem(f"remote/{spec.key}/{tool.name} failed: {exc}")
    finally:
        for d in WORK_DIR.glob(f"remote-{spec.key}-{tool.name}*"):
            shutil.rmtree(d, ignore_errors=True)
        try:
            moto.reset()
        except OSError as exc:
            harness.problem(f"remote: moto reset failed: {exc}")


@dataclasses.dataclass(frozen=True)
class Case:
    """One tool and one output (the tree or the big file) on its own bucket."""

    tool: Tool
    cfg: Settings
    spec: BigSpec
    moto: MotoServer
    env: dict[str, str]
    proj: Path
    bucket: str

    @property
    def tree(self) -> bool:
        return self.spec is MANYFILES

    @property
    def log(self) -> str:
        return f"remote-{self.spec.key}-{self.tool.name}"

    @property
    def tag(self) -> str:
        return f"[remote/{'tree' if self.tree else 'big'}] {self.tool.name}"

    @property
    def prefix(self) -> str:
        return f"{self.tool.name}/"

    def timed(self, verb: str, cwd: Path) -> RemoteRun:
        return timed_remote(self.tool, verb, cwd, self.log, self.env, self.moto)


def remote_one(tool: Tool, cfg: Settings, spec: BigSpec, moto: MotoServer, rows: dict[str, Row]) -> None:
    """One tool, one output (the tree or the big file): build, run (untimed), commit, push, then
    nothing-missing pushes (tree only), then pull into a fresh clone and compare the bytes."""
    keys = ("push_tree", "pull_tree", "noop", "noop_clone") if spec is MANYFILES else ("push_big", "pull_big")
    for key in keys:
        rows[key].attempted.add(tool.name)
    case = set_up(tool, cfg, spec, moto)
    remote_state = first_push(case, rows["push_tree" if case.tree else "push_big"])
    if case.tree:
        nothing_missing(case, remote_state, rows["noop"], case.proj, "in the project")
        nothing_missing(case, remote_state, rows["noop_clone"], None, "in a fresh clone")
    pull_into_clone(case, rows["pull_tree" if case.tree else "pull_big"])


def set_up(tool: Tool, cfg: Settings, spec: BigSpec, moto: MotoServer) -> Case:
    """A fresh project, its stage run (untimed), a fresh bucket as its default remote, committed."""
    log = f"remote-{spec.key}-{tool.name}"
    env = clean_aws_env(tool.env())
    proj = harness.fresh_dir(log)
    build_big(proj, tool, cfg, spec, (cfg.remote_big_mib, cfg.remote_files, cfg.remote_file_bytes))
    tool.init(proj, log)
    if tool.name == "pivot":
        harness.write(proj / ".gitignore", f"/{spec.out}\n")  # dvc writes its own for its outs
    harness.say(f"[remote/{'tree' if spec is MANYFILES else 'big'}] {tool.name}: running the stage (untimed)...")
    tool.run(proj, log)
    bucket = f"bench-{tool.name}-{spec.key}-{secrets.token_hex(3)}"
    moto.make_bucket(bucket)
    add_remote(tool, proj, f"s3://{bucket}/{tool.name}", moto.endpoint, log, env)
    harness.run_cmd(["git", "add", "-A"], proj, log, env)
    harness.run_cmd(["git", "commit", "-q", "-m", "bench"], proj, log, env)
    return Case(tool, cfg, spec, moto, env, proj, bucket)


def first_push(case: Case, row: Row) -> tuple[int, int]:
    """The push to the empty remote, checked; returns the remote's (objects, bytes) after it."""
    tool, cfg = case.tool, case.cfg
    harness.say(f"{case.tag}: push...")
    run = case.timed("push", case.proj)
    objects, nbytes = case.moto.objects(case.bucket, case.prefix)
    harness.say(f"           {run.secs:.2f} s ({objects} objects, {wording.size(nbytes)} on the remote; "
                f"{run.requests} requests; {run.cpu()})")
    # + the directory's manifest. pivot packs small files: a pack or two, a pointer and the
    # manifest; all the bytes must still be there, and the pull below compares every one.
    expect_objects = cfg.remote_files + 1 if case.tree and tool.name == "dvc" else 1
    expect_bytes = cfg.remote_files * cfg.remote_file_bytes if case.tree else cfg.remote_big_mib << 20
    if objects < expect_objects or nbytes < expect_bytes:
        harness.problem(f"remote/{case.spec.key}/{tool.name}: after push the remote holds {objects} objects, {nbytes} bytes; "
                        f"expected at least {expect_objects} objects, {expect_bytes} bytes\n{run.out[-2000:]}")
    first = tool.name not in row.samples
    row.sample(tool.name, run.secs)
    if first:
        row.notes.append(f"{tool.name}: {run.requests:,} requests, {run.cpu()}, {objects:,} objects on the remote")
    return objects, nbytes


def nothing_missing(case: Case, remote_state: tuple[int, int], row: Row, cwd: Path | None, where: str) -> None:
    """Pushes with nothing to send (cwd None: from a fresh clone); the remote must not change."""
    tool, key = case.tool, case.spec.key
    if cwd is None:
        cwd = WORK_DIR / f"remote-{key}-{tool.name}-clone-noop"
        harness.run_cmd(["git", "clone", "-q", str(case.proj), str(cwd)], WORK_DIR, case.log, case.env)
    runs, reqs, out = [], [], ""
    try:
        for _ in range(case.cfg.remote_noop_repeats):
            run = case.timed("push", cwd)
            out = run.out
            runs.append(run.secs)
            reqs.append(run.requests)
            if case.moto.objects(case.bucket, case.prefix) != remote_state:
                harness.problem(f"remote/{key}/{tool.name}: a nothing-missing push {where} changed the remote\n{out[-2000:]}")
    except ToolFailed as exc:  # not fatal for the pull
        harness.problem(f"remote/{key}/{tool.name}: nothing-missing push {where} failed: {exc}")
        row.notes.append(f"{tool.name}: exited non-zero")
    if runs:
        harness.say(f"{case.tag}: nothing-missing push {where}: " + harness.fmt_times(runs)
                    + f" ({', '.join(map(str, reqs))} requests)")
        setattr(row, tool.name, statistics.median(runs))
        row.notes.append(f"{tool.name}: runs " + harness.fmt_times(runs)
                         + f", {statistics.median(reqs):g} requests; says `{said(out)}`")


def pull_into_clone(case: Case, row: Row) -> None:
    """`git clone` of the project, then pull there; the output must equal the original's bytes."""
    tool, spec = case.tool, case.spec
    clone = WORK_DIR / f"remote-{spec.key}-{tool.name}-clone-pull"
    harness.run_cmd(["git", "clone", "-q", str(case.proj), str(clone)], WORK_DIR, case.log, case.env)
    if (clone / spec.out).exists():
        harness.problem(f"remote/{spec.key}/{tool.name}: {spec.out} is in the git clone before the pull (committed?)")
    harness.say(f"{case.tag}: pull into a fresh clone...")
    run = case.timed("pull", clone)
    harness.say(f"           {run.secs:.2f} s ({run.requests} requests; {run.cpu()})")
    first = tool.name not in row.samples
    row.sample(tool.name, run.secs)
    diff = first_difference(case.proj / spec.out, clone / spec.out)
    if diff:
        harness.problem(f"remote/{spec.key}/{tool.name}: pulled output differs from the original: {diff}\n{run.out[-2000:]}")
        row.notes.append(f"{tool.name}: pulled output WRONG")
    elif first:
        row.notes.append(f"{tool.name}: {run.requests:,} requests, {run.cpu()}, output byte-identical")
