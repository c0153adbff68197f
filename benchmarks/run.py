#!/usr/bin/env python3
"""Benchmark pivot against DVC on the workloads in benchmarks/README.md.

Stdlib only, so it runs with any python3:

    python3 benchmarks/run.py [--quick] [--only NAME[,NAME]] [--tools dvc,pivot] [--pivot PATH]

DVC lives in its own venv (benchmarks/.venv-dvc, created on first use); it is never a pivot
dependency. Every workload is built from scratch under benchmarks/.work/ for each tool. The table
is printed and written to benchmarks/results.md. The remote workload starts its own moto S3
server on 127.0.0.1 and needs dvc[s3] in the DVC venv (installed on first use).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import datetime
import os
import pickle
import platform
import resource
import secrets
import shutil
import socket
import http.client
import statistics
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / ".work"
LOG_DIR = WORK_DIR / "logs"
DVC_VENV = BENCH_DIR / ".venv-dvc"
DVC_SPEC = "dvc==3.*"
DEFAULT_PIVOT = REPO_DIR / ".venv" / "bin" / "pivot"
RESULTS_MD = BENCH_DIR / "results.md"

WORKLOADS = ("chains", "sleep", "bigfile", "manyfiles", "remote", "dask", "code")
ALIASES = {"a": "chains", "b": "sleep", "c": "bigfile", "d": "manyfiles", "e": "remote", "f": "dask", "g": "code"}
DVC_S3_SPEC = "dvc[s3]==3.*"  # only for the remote workload
MOTO_SPEC = "moto[server]==5.*"  # installed into the DVC venv only if no moto_server is found


# --------------------------------------------------------------------------- settings


@dataclasses.dataclass(frozen=True)
class Settings:
    quick: bool
    chains: int  # workload a: number of independent chains
    chain_len: int  # workload a: stages per chain
    noop_repeats: int  # warm runs are cheap: median of this many
    edit_repeats: int  # "one root edited": a different chain's root each repeat
    pivot_cold_repeats: int  # cold runs of pivot are cheap enough to repeat in fresh dirs
    dvc_cold_repeats: int
    big_repeats: int  # paired (baseline, tool) runs for workloads c and d
    big_mib: int  # workload c
    n_files: int  # workload d
    n_sleepers: int  # workload b
    sleep_s: float
    pivot_jobs_chains: int
    pivot_jobs_sleep: int
    remote_files: int  # workload e: files in the pushed/pulled directory
    remote_file_bytes: int
    remote_big_mib: int  # workload e: the pushed/pulled big file
    remote_noop_repeats: int  # nothing-missing pushes: median of this many


def make_settings(quick: bool) -> Settings:
    return Settings(
        quick=quick,
        chains=5 if quick else 20,
        chain_len=10,
        noop_repeats=1 if quick else 3,
        edit_repeats=1 if quick else 3,
        pivot_cold_repeats=1 if quick else 3,
        dvc_cold_repeats=1,
        big_repeats=1 if quick else 3,
        big_mib=1024,
        n_files=10_000,
        n_sleepers=8,
        sleep_s=2.0,
        pivot_jobs_chains=2,
        pivot_jobs_sleep=8,
        remote_files=2_000 if quick else 10_000,
        remote_file_bytes=4096,
        remote_big_mib=200 if quick else 1024,
        remote_noop_repeats=1 if quick else 3,
    )


# --------------------------------------------------------------------------- code fingerprinting


def bench_code(quick: bool) -> str:
    """benchmarks/code.py in the pivot venv: what code fingerprinting costs, as a table of its own."""
    cmd = [sys.executable, str(BENCH_DIR / "code.py"), *(["--quick"] if quick else [])]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        problem(f"code workload failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return "\n## Code fingerprinting (pivot only: DVC does not fingerprint code)\n\n" + done.stdout


# --------------------------------------------------------------------------- results


@dataclasses.dataclass
class Row:
    workload: str
    target: str  # human text, e.g. "< 2 s"
    check: Callable[[float | None, float | None], bool | None]
    dvc: float | None = None
    pivot: float | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    attempted: set[str] = dataclasses.field(default_factory=set)
    samples: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    def sample(self, tool: str, secs: float) -> None:
        """One more timing of `tool`; the row shows the median of all of them."""
        self.samples.setdefault(tool, []).append(secs)
        setattr(self, tool, statistics.median(self.samples[tool]))

    def cell(self, tool: str) -> str:
        value = getattr(self, tool)
        if value is None:
            return "FAIL" if tool in self.attempted else "not run"
        return f"{value:.2f}"

    def met(self) -> str:
        verdict = self.check(self.dvc, self.pivot)
        return {True: "yes", False: "**no**", None: "?"}[verdict]


def under(limit: float) -> Callable[[float | None, float | None], bool | None]:
    return lambda _dvc, piv: None if piv is None else piv < limit


def ratio_at_least(k: float) -> Callable[[float | None, float | None], bool | None]:
    def check(dvc: float | None, piv: float | None) -> bool | None:
        if dvc is None or piv is None:
            return None
        return piv <= 0 or dvc / piv >= k

    return check


def fmt_ratio(dvc: float | None, piv: float | None) -> str:
    if dvc is None or piv is None:
        return "-"
    if piv <= 0.005:
        return "n/a (pivot ≈ 0)"
    return f"{dvc / piv:.1f}x"


PROBLEMS: list[str] = []  # failures and sanity-check warnings, reported at the end


def problem(msg: str) -> None:
    PROBLEMS.append(msg)
    print(f"  !! {msg.splitlines()[0]}", file=sys.stderr)


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes


class ToolFailed(Exception):
    pass


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(
        DVC_NO_ANALYTICS="1",
        DVC_SITE_CACHE_DIR=str(WORK_DIR / "dvc-site-cache"),
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_cmd(cmd: list[str], cwd: Path, log_name: str, env: dict[str, str] | None = None) -> float:
    """Run cmd in cwd, output to a log file; return wall seconds. Raise ToolFailed on rc != 0."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"{log_name}.log"
    with open(log, "ab") as fh:
        fh.write(f"\n$ (cd {cwd} && {' '.join(cmd)})\n".encode())
        fh.flush()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env or base_env(), stdout=fh, stderr=subprocess.STDOUT)
        elapsed = time.perf_counter() - t0
        fh.write(f"[rc={proc.returncode} in {elapsed:.3f}s]\n".encode())
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-40:]
        raise ToolFailed(f"`{' '.join(cmd)}` exited {proc.returncode} in {cwd} (log: {log})\n" + "\n".join(tail))
    return elapsed


def stop_process(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def fresh_dir(name: str) -> Path:
    d = WORK_DIR / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def settle() -> None:
    """Flush dirty pages from the previous step so they don't land in the next timing."""
    os.sync()
    time.sleep(0.2)


# --------------------------------------------------------------------------- tools


class Tool:
    name: str

    def env(self) -> dict[str, str]:
        return base_env()

    def init(self, proj: Path, log: str) -> None:
        raise NotImplementedError

    def run(self, proj: Path, log: str, jobs: int | None = None) -> float:
        raise NotImplementedError


class Dvc(Tool):
    name = "dvc"

    @property
    def exe(self) -> str:
        return str(DVC_VENV / "bin" / "dvc")

    def env(self) -> dict[str, str]:
        env = base_env()
        # `python` in dvc.yaml commands resolves to the DVC venv's interpreter.
        env["PATH"] = f"{DVC_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env

    def init(self, proj: Path, log: str) -> None:
        env = self.env()
        run_cmd(["git", "init", "-q"], proj, log, env)
        run_cmd([self.exe, "init", "-q"], proj, log, env)
        for key, val in (("core.autostage", "false"), ("core.analytics", "false"), ("core.check_update", "false")):
            run_cmd([self.exe, "config", key, val], proj, log, env)

    def run(self, proj: Path, log: str, jobs: int | None = None) -> float:
        return run_cmd([self.exe, "repro"], proj, log, self.env())

    def version(self) -> str:
        try:
            out = subprocess.run([self.exe, "--version"], capture_output=True, text=True, env=self.env(), timeout=120)
            return out.stdout.strip() or "?"
        except Exception:  # noqa: BLE001 - only used for the report header
            return "?"


class Pivot(Tool):
    name = "pivot"

    def __init__(self, exe: Path) -> None:
        self.exe = str(exe)

    def compile_bytecode(self) -> None:
        """pip compiles a package's bytecode when it installs it, so DVC's venv starts from .pyc
        files. An editable pivot has none, and with PYTHONDONTWRITEBYTECODE set (as on the
        development machine) every pivot command would compile its modules again (~0.05 s): give
        pivot the bytecode a regular install would have. Python still checks each .pyc against
        its source, so an edit is never run stale."""
        python = Path(self.exe).with_name("python")
        if not python.exists():
            return  # not a venv's entry point: an installed pivot, bytecode included
        find = "import os, pivot; print(os.path.dirname(pivot.__file__))"
        package = subprocess.run([str(python), "-c", find], capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run([str(python), "-m", "compileall", "-q", package], check=True, capture_output=True)

    def init(self, proj: Path, log: str) -> None:
        run_cmd(["git", "init", "-q"], proj, log)
        run_cmd([self.exe, "init"], proj, log)

    def run(self, proj: Path, log: str, jobs: int | None = None) -> float:
        cmd = [self.exe, "run"] + ([f"-j{jobs}"] if jobs else [])
        return run_cmd(cmd, proj, log)


def baseline_python() -> str:
    """The interpreter that writes the baseline bytes: the one the DVC command uses, if present."""
    for cand in (DVC_VENV / "bin" / "python", REPO_DIR / ".venv" / "bin" / "python"):
        if cand.exists():
            return str(cand)
    return sys.executable


def ensure_dvc() -> None:
    if (DVC_VENV / "bin" / "dvc").exists():
        return
    say(f"creating {DVC_VENV} and installing {DVC_SPEC} (one-time, a few minutes)...")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "dvc-install.log"
    with open(log, "wb") as fh:
        for cmd in (
            [sys.executable, "-m", "venv", str(DVC_VENV)],
            [str(DVC_VENV / "bin" / "python"), "-m", "pip", "install", "-q", DVC_SPEC],
        ):
            if subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT).returncode != 0:
                sys.exit(f"failed: {' '.join(cmd)}; see {log}")


def ensure_in_dvc_venv(spec: str, module: str) -> None:
    """pip install `spec` into the DVC venv unless `module` already imports there."""
    py = str(DVC_VENV / "bin" / "python")
    if subprocess.run([py, "-c", f"import {module}"], capture_output=True).returncode == 0:
        return
    say(f"installing {spec} into {DVC_VENV} (one-time)...")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "dvc-install.log"
    with open(log, "ab") as fh:
        if subprocess.run([py, "-m", "pip", "install", "-q", spec], stdout=fh, stderr=subprocess.STDOUT).returncode != 0:
            sys.exit(f"failed: pip install {spec} into {DVC_VENV}; see {log}")


# --------------------------------------------------------------------------- workload a: chains

CHAINS_STAGES_PY = '''\
from typing import Annotated, TypedDict

from pivot import loaders, outputs


class StepOut(TypedDict):
    dst: Annotated[str, outputs.Out("out.txt", loaders.Text())]


def step(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> StepOut:
    return {"dst": src + "step\\n"}
'''

CHAINS_STEP_PY = '''\
import sys

src, dst = sys.argv[1], sys.argv[2]
with open(src) as f:
    text = f.read()
with open(dst, "w") as f:
    f.write(text + "step\\n")
'''


def chain_path(c: int, s: int) -> str:
    return f"data/c{c}_s{s}.txt"


def root_text(c: int) -> str:
    return f"root of chain {c}\n"


def build_chains(proj: Path, tool: Tool, cfg: Settings) -> None:
    for c in range(cfg.chains):
        write(proj / chain_path(c, 0), root_text(c))
    lines = ["stages:"]
    if tool.name == "dvc":
        write(proj / "step.py", CHAINS_STEP_PY)
        for c in range(cfg.chains):
            for s in range(1, cfg.chain_len + 1):
                src, dst = chain_path(c, s - 1), chain_path(c, s)
                lines += [
                    f"  c{c}_s{s}:",
                    f"    cmd: python step.py {src} {dst}",
                    f"    deps: [step.py, {src}]",
                    f"    outs: [{dst}]",
                ]
        write(proj / "dvc.yaml", "\n".join(lines) + "\n")
    else:
        write(proj / "stages.py", CHAINS_STAGES_PY)
        for c in range(cfg.chains):
            for s in range(1, cfg.chain_len + 1):
                lines += [
                    f"  c{c}_s{s}:",
                    "    python: stages.step",
                    "    deps:",
                    f"      src: {chain_path(c, s - 1)}",
                    "    outs:",
                    f"      dst: {chain_path(c, s)}",
                ]
        write(proj / "pivot.yaml", "\n".join(lines) + "\n")


def check_chains(proj: Path, cfg: Settings, roots: dict[int, str], label: str) -> None:
    bad = []
    for c in range(cfg.chains):
        for s in range(1, cfg.chain_len + 1):
            p = proj / chain_path(c, s)
            want = roots[c] + "step\n" * s
            if not p.exists():
                bad.append(f"{p.name} missing")
            elif p.read_text() != want:
                bad.append(f"{p.name} has wrong content")
    if bad:
        problem(f"{label}: outputs wrong after run ({len(bad)} bad, e.g. {bad[:3]})")


def out_mtimes(proj: Path, cfg: Settings) -> dict[str, int]:
    res = {}
    for c in range(cfg.chains):
        for s in range(1, cfg.chain_len + 1):
            p = proj / chain_path(c, s)
            res[p.name] = p.stat().st_mtime_ns if p.exists() else -1
    return res


def bench_chains(tools: list[Tool], cfg: Settings) -> list[Row]:
    n = cfg.chains * cfg.chain_len
    shape = f"{n} stages ({cfg.chains} chains of {cfg.chain_len})"
    rows = {
        "cold": Row(f"{shape}: cold run", "pivot < 2 s", under(2.0)),
        "noop": Row(f"{shape}: no-op run", "≥ 10x faster than DVC", ratio_at_least(10.0)),
        "edit": Row(f"{shape}: one root edited ({cfg.chain_len} rerun)", "pivot < 0.5 s", under(0.5)),
    }
    for tool in tools:
        jobs = cfg.pivot_jobs_chains if tool.name == "pivot" else None
        for r in rows.values():
            r.attempted.add(tool.name)
        label = f"chains/{tool.name}"
        log = f"chains-{tool.name}"
        try:
            cold_repeats = cfg.pivot_cold_repeats if tool.name == "pivot" else cfg.dvc_cold_repeats
            cold = []
            for i in range(cold_repeats):
                proj = fresh_dir(f"chains-{tool.name}")
                build_chains(proj, tool, cfg)
                tool.init(proj, log)
                settle()
                say(f"[chains] {tool.name}: cold run {i + 1}/{cold_repeats} ({n} stages)...")
                cold.append(tool.run(proj, log, jobs))
                say(f"           {cold[-1]:.2f} s")
            roots = {c: root_text(c) for c in range(cfg.chains)}
            check_chains(proj, cfg, roots, f"{label} cold")
            rows["cold"].__setattr__(tool.name, statistics.median(cold))
            if len(cold) > 1:
                rows["cold"].notes.append(f"{tool.name} runs: " + ", ".join(f"{x:.2f}" for x in cold))

            noop = []
            for i in range(cfg.noop_repeats):
                before = out_mtimes(proj, cfg)
                settle()  # the previous run's writes (this tool's, or the other tool's) land now, not in this timing
                noop.append(tool.run(proj, log, jobs))
                if out_mtimes(proj, cfg) != before:
                    problem(f"{label} no-op run {i + 1} rewrote outputs (mtimes changed)")
            say(f"[chains] {tool.name}: no-op runs: " + ", ".join(f"{x:.2f}" for x in noop))
            check_chains(proj, cfg, roots, f"{label} no-op")
            rows["noop"].__setattr__(tool.name, statistics.median(noop))
            if len(noop) > 1:
                rows["noop"].notes.append(f"{tool.name} runs: " + ", ".join(f"{x:.2f}" for x in noop))

            edit = []
            for i in range(cfg.edit_repeats):
                c = i % cfg.chains
                roots[c] += f"edit {i}\n"
                (proj / chain_path(c, 0)).write_text(roots[c])
                before = out_mtimes(proj, cfg)
                settle()
                edit.append(tool.run(proj, log, jobs))
                after = out_mtimes(proj, cfg)
                touched = {k for k in after if after[k] != before[k]}
                expected = {Path(chain_path(c, s)).name for s in range(1, cfg.chain_len + 1)}
                if touched - expected:
                    problem(f"{label} edit run {i + 1} rewrote unrelated outputs: {sorted(touched - expected)[:5]}")
            say(f"[chains] {tool.name}: one-root-edited runs: " + ", ".join(f"{x:.2f}" for x in edit))
            check_chains(proj, cfg, roots, f"{label} edit")
            rows["edit"].__setattr__(tool.name, statistics.median(edit))
            if len(edit) > 1:
                rows["edit"].notes.append(f"{tool.name} runs: " + ", ".join(f"{x:.2f}" for x in edit))
        except ToolFailed as exc:
            problem(f"{label} failed: {exc}")
    return list(rows.values())


# --------------------------------------------------------------------------- workload b: sleepers

SLEEP_STAGES_PY = '''\
import time
from typing import Annotated, TypedDict

from pivot import loaders, outputs


class NapOut(TypedDict):
    out: Annotated[str, outputs.Out("o.txt", loaders.Text())]


def nap(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> NapOut:
    time.sleep(SLEEP_S)
    return {"out": src}
'''

SLEEP_NAP_PY = '''\
import shutil
import sys
import time

time.sleep(SLEEP_S)
shutil.copyfile(sys.argv[1], sys.argv[2])
'''


def build_sleep(proj: Path, tool: Tool, cfg: Settings) -> None:
    lines = ["stages:"]
    for i in range(cfg.n_sleepers):
        write(proj / f"data/in_{i}.txt", f"input {i}\n")
        if tool.name == "dvc":
            lines += [
                f"  nap_{i}:",
                f"    cmd: python nap.py data/in_{i}.txt data/out_{i}.txt",
                f"    deps: [nap.py, data/in_{i}.txt]",
                f"    outs: [data/out_{i}.txt]",
            ]
        else:
            lines += [
                f"  nap_{i}:",
                "    python: stages.nap",
                "    deps:",
                f"      src: data/in_{i}.txt",
                "    outs:",
                f"      out: data/out_{i}.txt",
            ]
    if tool.name == "dvc":
        write(proj / "nap.py", SLEEP_NAP_PY.replace("SLEEP_S", repr(cfg.sleep_s)))
        write(proj / "dvc.yaml", "\n".join(lines) + "\n")
    else:
        write(proj / "stages.py", SLEEP_STAGES_PY.replace("SLEEP_S", repr(cfg.sleep_s)))
        write(proj / "pivot.yaml", "\n".join(lines) + "\n")


def bench_sleep(tools: list[Tool], cfg: Settings) -> list[Row]:
    row = Row(
        f"{cfg.n_sleepers} independent stages sleeping {cfg.sleep_s:g} s (pivot -j{cfg.pivot_jobs_sleep})",
        "pivot < 2.5 s",
        under(2.5),
    )
    for tool in tools:
        log = f"sleep-{tool.name}"
        jobs = cfg.pivot_jobs_sleep if tool.name == "pivot" else None
        row.attempted.add(tool.name)
        repeats = cfg.pivot_cold_repeats if tool.name == "pivot" else cfg.dvc_cold_repeats
        try:
            times = []
            for i in range(repeats):
                proj = fresh_dir(f"sleep-{tool.name}")
                build_sleep(proj, tool, cfg)
                tool.init(proj, log)
                settle()
                say(f"[sleep] {tool.name}: run {i + 1}/{repeats}...")
                times.append(tool.run(proj, log, jobs))
                say(f"          {times[-1]:.2f} s")
                missing = [i for i in range(cfg.n_sleepers) if not (proj / f"data/out_{i}.txt").exists()]
                if missing:
                    problem(f"sleep/{tool.name}: outputs missing for stages {missing}")
            setattr(row, tool.name, statistics.median(times))
            if len(times) > 1:
                row.notes.append(f"{tool.name} runs: " + ", ".join(f"{x:.2f}" for x in times))
        except ToolFailed as exc:
            problem(f"sleep/{tool.name} failed: {exc}")
    return [row]


# --------------------------------------------------------------------------- workloads c, d: big outputs

GEN_PY = '''\
"""Writes the benchmark's big outputs; used by the baseline, the DVC command and the pivot stage."""
import os
import random
import sys

MIB = 1 << 20
BIG_MIB = BIG_MIB_VALUE
N_FILES = N_FILES_VALUE
FILE_BYTES = FILE_BYTES_VALUE


def write_big(path):
    # 1 MiB of seeded random bytes, each copy stamped with its index so no two MiB are equal.
    block = random.Random(0).randbytes(MIB)
    tail = memoryview(block)[8:]
    with open(path, "wb") as f:
        for i in range(BIG_MIB):
            f.write(i.to_bytes(8, "little"))
            f.write(tail)


def write_tree(path):
    os.makedirs(path, exist_ok=True)
    block = random.Random(1).randbytes(FILE_BYTES)
    for i in range(N_FILES):
        with open(os.path.join(path, f"f{i:05d}.bin"), "wb") as f:
            f.write(i.to_bytes(8, "little") + block[8:])


if __name__ == "__main__":
    what, dest = sys.argv[1], sys.argv[2]
    write_big(dest) if what == "big" else write_tree(dest)
'''

BIG_STAGES_PY = '''\
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs

import gen


class BigOut(TypedDict):
    big: Annotated[pathlib.Path, outputs.Out("data/big.bin", loaders.PathOnly())]


def make_big(seed: Annotated[pathlib.Path, outputs.Dep("data/seed.txt", loaders.PathOnly())]) -> BigOut:
    gen.write_big("data/big.bin")
    return {"big": pathlib.Path("data/big.bin")}


class TreeOut(TypedDict):
    tree: Annotated[pathlib.Path, outputs.Out("outdir", loaders.PathOnly())]


def make_tree(seed: Annotated[pathlib.Path, outputs.Dep("data/seed.txt", loaders.PathOnly())]) -> TreeOut:
    gen.write_tree("outdir")
    return {"tree": pathlib.Path("outdir")}
'''


@dataclasses.dataclass(frozen=True)
class BigSpec:
    key: str  # "bigfile" / "manyfiles"
    gen_arg: str  # "big" / "tree"
    out: str  # output path
    func: str  # pivot function
    out_name: str  # pivot out name


BIGFILE = BigSpec("bigfile", "big", "data/big.bin", "make_big", "big")
MANYFILES = BigSpec("manyfiles", "tree", "outdir", "make_tree", "tree")


def gen_py(big_mib: int, n_files: int, file_bytes: int) -> str:
    return (GEN_PY.replace("BIG_MIB_VALUE", str(big_mib)).replace("N_FILES_VALUE", str(n_files))
            .replace("FILE_BYTES_VALUE", str(file_bytes)))


def build_big(proj: Path, tool: Tool | None, cfg: Settings, spec: BigSpec, sizes: tuple[int, int, int] | None = None) -> None:
    """sizes: (MiB of the big file, files in the tree, bytes per file); default workloads c, d."""
    write(proj / "gen.py", gen_py(*(sizes or (cfg.big_mib, cfg.n_files, 1024))))
    write(proj / "data/seed.txt", "seed\n")
    if tool is None:
        return
    if tool.name == "dvc":
        write(
            proj / "dvc.yaml",
            textwrap.dedent(
                f"""\
                stages:
                  {spec.key}:
                    cmd: python gen.py {spec.gen_arg} {spec.out}
                    deps: [gen.py, data/seed.txt]
                    outs: [{spec.out}]
                """
            ),
        )
    else:
        write(proj / "stages.py", BIG_STAGES_PY)
        write(
            proj / "pivot.yaml",
            textwrap.dedent(
                f"""\
                stages:
                  {spec.key}:
                    python: stages.{spec.func}
                    deps:
                      seed: data/seed.txt
                    outs:
                      {spec.out_name}: {spec.out}
                """
            ),
        )


def warm_up(py: str, cfg: Settings, spec: BigSpec) -> None:
    """Write the output a few times side by side, untimed, then delete it all.

    On a VM the first time the guest touches a GiB of page cache is several times slower than
    any later time (2 s vs 0.2 s for 1 GiB here), so without this whichever run comes first
    pays for it and the overhead figures are noise.
    """
    proj = fresh_dir(f"{spec.key}-warmup")
    build_big(proj, None, cfg, spec)
    copies = 3 if spec.gen_arg == "big" else 2
    for i in range(copies):
        run_cmd([py, "gen.py", spec.gen_arg, f"{spec.out}.{i}"], proj, f"{spec.key}-warmup")
    shutil.rmtree(proj)


def check_big(proj: Path, cfg: Settings, spec: BigSpec, label: str) -> None:
    p = proj / spec.out
    if spec.gen_arg == "big":
        ok = p.is_file() and p.stat().st_size == cfg.big_mib << 20
    else:
        ok = p.is_dir() and sum(1 for _ in p.iterdir()) == cfg.n_files
    if not ok:
        problem(f"{label}: output {spec.out} missing or incomplete after the run")


def bench_big(tools: list[Tool], cfg: Settings, spec: BigSpec) -> list[Row]:
    """Overhead = tool run - plain-Python baseline, measured in pairs (baseline right before each
    tool run) so that a burst of load from other processes on this shared machine tends to hit
    both halves of a pair rather than only one side."""
    if spec.gen_arg == "big":
        row = Row(f"caching a {cfg.big_mib / 1024:g} GiB output: overhead", "pivot < 1.5 s", under(1.5))
    else:
        row = Row(f"{cfg.n_files:,}-file output directory (1 KiB each): overhead", "pivot < 3 s", under(3.0))
    py = baseline_python()
    try:
        warm_up(py, cfg, spec)
    except ToolFailed as exc:
        problem(f"{spec.key}/warm-up failed: {exc}")
        return [row]
    for tool in tools:
        log = f"{spec.key}-{tool.name}"
        row.attempted.add(tool.name)
        totals, bases = [], []
        try:
            for i in range(cfg.big_repeats):
                proj = fresh_dir(f"{spec.key}-baseline")
                build_big(proj, None, cfg, spec)
                settle()
                base = run_cmd([py, "gen.py", spec.gen_arg, spec.out], proj, f"{spec.key}-baseline")
                check_big(proj, cfg, spec, f"{spec.key}/baseline")
                shutil.rmtree(proj)

                proj = fresh_dir(f"{spec.key}-{tool.name}")
                build_big(proj, tool, cfg, spec)
                tool.init(proj, log)
                settle()
                total = tool.run(proj, log)
                check_big(proj, cfg, spec, f"{spec.key}/{tool.name}")
                shutil.rmtree(proj)  # free the disk (and page cache) before the next run
                totals.append(total)
                bases.append(base)
                say(f"[{spec.key}] {tool.name} {i + 1}/{cfg.big_repeats}: {total:.2f} s, "
                    f"baseline {base:.2f} s, overhead {total - base:.2f} s")
        except ToolFailed as exc:
            problem(f"{spec.key}/{tool.name} failed: {exc}")
            continue
        setattr(row, tool.name, statistics.median(t - b for t, b in zip(totals, bases)))
        row.notes.append(f"{tool.name}: total {statistics.median(totals):.2f} s, "
                         f"baseline {statistics.median(bases):.2f} s")
    return [row]


# --------------------------------------------------------------------------- workload e: remote


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
        env = clean_aws_env(base_env())
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
            stop_process(self.proc, 5)

    def request(self, method: str, path: str, data: bytes | None = None) -> bytes:
        req = urllib.request.Request(self.endpoint + path, method=method, data=data)
        with self._http.open(req, timeout=60) as resp:
            return resp.read()

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
            list(pool.map(lambda i: call(method, i), range(sample)))
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


def run_logged(cmd: list[str], cwd: Path, log_name: str, env: dict[str, str]) -> tuple[float, str]:
    """run_cmd, also returning what the command printed."""
    log = LOG_DIR / f"{log_name}.log"
    start = log.stat().st_size if log.exists() else 0
    elapsed = run_cmd(cmd, cwd, log_name, env)
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
    settle()
    mark, server0 = moto.log_mark(), moto.cpu_seconds()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    secs, out = run_logged([tool.exe, verb], proj, log, env)  # type: ignore[attr-defined]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server1 = moto.cpu_seconds()
    time.sleep(0.1)  # let the server's last log lines land
    return RemoteRun(
        secs, out, moto.requests_since(mark),
        (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        None if server0 is None or server1 is None else server1 - server0,
    )


def add_remote(tool: Tool, proj: Path, url: str, endpoint: str, log: str, env: dict[str, str]) -> None:
    exe = tool.exe  # type: ignore[attr-defined]
    run_cmd([exe, "remote", "add", "-d", "origin", url], proj, log, env)
    key = "endpointurl" if tool.name == "dvc" else "endpoint_url"
    run_cmd([exe, "remote", "modify", "origin", key, endpoint], proj, log, env)


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


def bench_remote(tools: list[Tool], cfg: Settings) -> list[Row]:
    """push/pull through one moto S3 server; a fresh bucket per tool and workload."""
    n, kib, mib = cfg.remote_files, cfg.remote_file_bytes // 1024, cfg.remote_big_mib
    size = f"{mib / 1024:g} GiB" if mib >= 1024 else f"{mib} MiB"
    rows = {
        "push_tree": Row(f"remote: push a {n:,}-file directory ({kib} KiB each)", "≥ 3x faster than DVC", ratio_at_least(3.0)),
        "pull_tree": Row("remote: pull that directory into a fresh clone", "≥ 3x faster than DVC", ratio_at_least(3.0)),
        "push_big": Row(f"remote: push a {size} file", "not slower than DVC", ratio_at_least(1.0)),
        "pull_big": Row(f"remote: pull the {size} file into a fresh clone", "not slower than DVC", ratio_at_least(1.0)),
        "noop": Row(f"remote: push with nothing missing (right after the {n:,}-file push)", "pivot < 1 s", under(1.0)),
        "noop_clone": Row("remote: push with nothing to send, fresh clone (empty cache)", "pivot < 1 s", under(1.0)),
    }
    moto = MotoServer()
    try:
        moto.start()
    except ToolFailed as exc:
        problem(f"remote: cannot start the S3 server: {exc}")
        return list(rows.values())
    say(f"[remote] moto_server on {moto.endpoint} (log: {moto.log})")
    try:
        try:
            put_floor, get_floor = server_floor(moto, n, cfg.remote_file_bytes)
            moto.reset()
            say(f"[remote] server floor for {n:,} objects: PUT {put_floor:.2f} s, GET {get_floor:.2f} s")
        except OSError as exc:
            problem(f"remote: measuring the server floor failed: {exc}")
            put_floor = get_floor = None
        # The 1 GiB rows are one object each, bound by the server's CPU, and a single 15-20 s
        # timing swings by 2x on a shared machine: three rounds, the tools' order alternating.
        rounds = [(MANYFILES, tools)] + [(BIGFILE, tools if i % 2 == 0 else tools[::-1]) for i in range(1 if cfg.quick else 3)]
        for spec, ordered in rounds:
            for tool in ordered:
                try:
                    remote_one(tool, cfg, spec, moto, rows)
                except ToolFailed as exc:
                    problem(f"remote/{spec.key}/{tool.name} failed: {exc}")
                finally:
                    for d in WORK_DIR.glob(f"remote-{spec.key}-{tool.name}*"):
                        shutil.rmtree(d, ignore_errors=True)
                    try:
                        moto.reset()
                    except OSError as exc:
                        problem(f"remote: moto reset failed: {exc}")
        for key in ("push_big", "pull_big"):
            for name, values in rows[key].samples.items():
                if len(values) > 1:
                    rows[key].notes.append(f"{name} runs (order alternating): " + ", ".join(f"{x:.2f}" for x in values))
        for key, floor, verb in (("push_tree", put_floor, "PUT"), ("pull_tree", get_floor, "GET")):
            if floor is None:
                continue
            r = rows[key]
            note = f"server floor ({n:,} plain-HTTP {verb}s, {FLOOR_JOBS} at a time): {floor:.2f} s"
            if r.dvc is not None and r.pivot is not None:
                above = (r.dvc - floor, r.pivot - floor)
                note += (f"; above the floor: dvc {above[0]:.2f} s, pivot {above[1]:.2f} s"
                         + (f" ({fmt_ratio(*above)})" if min(above) > 0 else ""))
            r.notes.insert(0, note)
    finally:
        moto.stop()
    return list(rows.values())


def remote_one(tool: Tool, cfg: Settings, spec: BigSpec, moto: MotoServer, rows: dict[str, Row]) -> None:
    """One tool, one output (the tree or the big file): build, run (untimed), commit, push, then
    nothing-missing pushes (tree only), then pull into a fresh clone and compare the bytes."""
    tree = spec is MANYFILES
    log = f"remote-{spec.key}-{tool.name}"
    tag = f"[remote/{'tree' if tree else 'big'}] {tool.name}"
    keys = ("push_tree", "pull_tree", "noop", "noop_clone") if tree else ("push_big", "pull_big")
    for key in keys:
        rows[key].attempted.add(tool.name)
    env = clean_aws_env(tool.env())

    proj = fresh_dir(f"remote-{spec.key}-{tool.name}")
    build_big(proj, tool, cfg, spec, (cfg.remote_big_mib, cfg.remote_files, cfg.remote_file_bytes))
    tool.init(proj, log)
    if tool.name == "pivot":
        write(proj / ".gitignore", f"/{spec.out}\n")  # dvc writes its own for its outs
    say(f"{tag}: running the stage (untimed)...")
    tool.run(proj, log)
    bucket = f"bench-{tool.name}-{spec.key}-{secrets.token_hex(3)}"
    moto.make_bucket(bucket)
    add_remote(tool, proj, f"s3://{bucket}/{tool.name}", moto.endpoint, log, env)
    run_cmd(["git", "add", "-A"], proj, log, env)
    run_cmd(["git", "commit", "-q", "-m", "bench"], proj, log, env)
    prefix = f"{tool.name}/"

    say(f"{tag}: push...")
    run = timed_remote(tool, "push", proj, log, env, moto)
    secs, out = run.secs, run.out
    objects, nbytes = moto.objects(bucket, prefix)
    say(f"           {secs:.2f} s ({objects} objects, {nbytes / 1e6:.1f} MB on the remote; "
        f"{run.requests} requests; {run.cpu()})")
    # + the directory's manifest. pivot packs small files: a pack or two, a pointer and the
    # manifest; all the bytes must still be there, and the pull below compares every one.
    expect_objects = cfg.remote_files + 1 if tree and tool.name == "dvc" else 1
    expect_bytes = cfg.remote_files * cfg.remote_file_bytes if tree else cfg.remote_big_mib << 20
    if objects < expect_objects or nbytes < expect_bytes:
        problem(f"remote/{spec.key}/{tool.name}: after push the remote holds {objects} objects, {nbytes} bytes; "
                f"expected at least {expect_objects} objects, {expect_bytes} bytes\n{out[-2000:]}")
    key = "push_tree" if tree else "push_big"
    first = tool.name not in rows[key].samples
    rows[key].sample(tool.name, secs)
    if first:
        rows[key].notes.append(f"{tool.name}: {run.requests:,} requests, {run.cpu()}, {objects:,} objects on the remote")

    if tree:
        for where, row, cwd in (("in the project", rows["noop"], proj), ("in a fresh clone", rows["noop_clone"], None)):
            if cwd is None:
                cwd = WORK_DIR / f"remote-{spec.key}-{tool.name}-clone-noop"
                run_cmd(["git", "clone", "-q", str(proj), str(cwd)], WORK_DIR, log, env)
            runs, reqs = [], []
            try:
                for _ in range(cfg.remote_noop_repeats):
                    run = timed_remote(tool, "push", cwd, log, env, moto)
                    out = run.out
                    runs.append(run.secs)
                    reqs.append(run.requests)
                    if moto.objects(bucket, prefix) != (objects, nbytes):
                        problem(f"remote/{spec.key}/{tool.name}: a nothing-missing push {where} changed the remote\n{out[-2000:]}")
            except ToolFailed as exc:  # not fatal for the pull below
                problem(f"remote/{spec.key}/{tool.name}: nothing-missing push {where} failed: {exc}")
                row.notes.append(f"{tool.name}: exited non-zero")
            if runs:
                say(f"{tag}: nothing-missing push {where}: " + ", ".join(f"{x:.2f}" for x in runs)
                    + f" ({', '.join(map(str, reqs))} requests)")
                setattr(row, tool.name, statistics.median(runs))
                row.notes.append(f"{tool.name}: runs " + ", ".join(f"{x:.2f}" for x in runs)
                                 + f", {statistics.median(reqs):g} requests; says `{said(out)}`")

    clone = WORK_DIR / f"remote-{spec.key}-{tool.name}-clone-pull"
    run_cmd(["git", "clone", "-q", str(proj), str(clone)], WORK_DIR, log, env)
    if (clone / spec.out).exists():
        problem(f"remote/{spec.key}/{tool.name}: {spec.out} is in the git clone before the pull (committed?)")
    say(f"{tag}: pull into a fresh clone...")
    run = timed_remote(tool, "pull", clone, log, env, moto)
    secs, out = run.secs, run.out
    say(f"           {secs:.2f} s ({run.requests} requests; {run.cpu()})")
    key = "pull_tree" if tree else "pull_big"
    first = tool.name not in rows[key].samples
    rows[key].sample(tool.name, secs)
    diff = first_difference(proj / spec.out, clone / spec.out)
    if diff:
        problem(f"remote/{spec.key}/{tool.name}: pulled output differs from the original: {diff}\n{out[-2000:]}")
        rows[key].notes.append(f"{tool.name}: pulled output WRONG")
    elif first:
        rows[key].notes.append(f"{tool.name}: {run.requests:,} requests, {run.cpu()}, output byte-identical")


# --------------------------------------------------------------------------- dask: scaling out

BURN_STAGES_PY = """\
import os
import time
from typing import Annotated

from pivot import loaders, outputs


def burn(src: Annotated[bytes, outputs.Dep("in.bin", loaders.Pickle())]) -> Annotated[bytes, outputs.Out("out.bin", loaders.Pickle())]:
    start = time.time()
    end = time.process_time() + CPU_S  # CPU time, not wall time: the work a worker must do
    spins = 0
    while time.process_time() < end:
        spins += 1
    print("span", os.getpid(), start, time.time())  # when and where the stage's own code ran
    return src[::-1]
"""

CLUSTER_PY = """\
import logging, sys, time
import distributed

if __name__ == "__main__":
    cluster = distributed.LocalCluster(n_workers=int(sys.argv[1]), threads_per_worker=1, dashboard_address=":0",
                                       silence_logs=logging.CRITICAL)
    print(cluster.scheduler_address, flush=True)
    try:
        while True:
            time.sleep(1)
    finally:
        cluster.close()
"""

DASK_STAGES, DASK_CPU_S, DASK_IO_BYTES = 16, 1.0, 1 << 20


def build_burn(proj: Path, remote: Path | None = None) -> None:
    lines = ["stages:"]
    write(proj / "stages.py", BURN_STAGES_PY.replace("CPU_S", repr(DASK_CPU_S)))
    for i in range(DASK_STAGES):
        lines += [f"  burn_{i}:", "    python: stages.burn", "    deps:", f"      src: data/in_{i}.bin",
                  "    outs:", f"      return: data/out_{i}.bin"]
        (proj / "data").mkdir(parents=True, exist_ok=True)
        # a pickled bytes value: each stage reads ~1 MiB and writes ~1 MiB
        (proj / f"data/in_{i}.bin").write_bytes(pickle.dumps(i.to_bytes(2, "big") * (DASK_IO_BYTES // 2)))
    write(proj / "pivot.yaml", "\n".join(lines) + "\n")
    if remote is not None:
        write(proj / ".pivot/config.yaml",
              f"remotes:\n  origin:\n    url: {remote}\ndefault_remote: origin\nexecutor:\n  kind: dask\n  data: remote\n")


class RunningCluster:
    """A LocalCluster in its own process, as a team's cluster would be already running."""

    def __init__(self, python: str, workers: int) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        script = WORK_DIR / "cluster.py"
        write(script, CLUSTER_PY)
        self.proc = subprocess.Popen([python, str(script), str(workers)], stdout=subprocess.PIPE,
                                     stderr=open(LOG_DIR / "dask-cluster.log", "ab"), text=True, cwd=WORK_DIR)
        self.address = (self.proc.stdout.readline() if self.proc.stdout else "").strip()
        if not self.address:
            raise ToolFailed(f"the Dask cluster did not start (log: {LOG_DIR / 'dask-cluster.log'})")

    def stop(self) -> None:
        stop_process(self.proc, 10)


def spans_of_last_run(log: Path) -> list[tuple[int, float, float]]:
    """The (worker pid, start, end) each stage printed in the last run logged to `log`."""
    text = log.read_text(errors="replace")
    last = text[text.rfind("\n$ (cd "):]
    spans = []
    for line in last.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[1] == "span":
            spans.append((int(parts[2]), float(parts[3]), float(parts[4])))
    return spans


def overheads(wall: float, workers: int, cores: int, spans: list[tuple[int, float, float]]) -> tuple[float, float, float]:
    """Per stage: (wall - ideal) / stages, with ideal = the CPU seconds over min(workers, CPUs);
    and the mean gap between two stages on the same worker process: what pivot costs around a
    stage (result back, commit, next decision, dispatch, and in remote-cache mode the worker's
    fetch and push), untouched by start-up and by other load slowing the stages themselves.
    Also the fixed cost: wall - (last stage end - first stage start): interpreter, imports,
    cluster start and shutdown."""
    by_worker: dict[int, list[tuple[float, float]]] = {}
    for pid, start, end in spans:
        by_worker.setdefault(pid, []).append((start, end))
    gaps = [nxt[0] - cur[1] for runs in by_worker.values() for cur, nxt in zip(sorted(runs), sorted(runs)[1:])]
    makespan = max(end for _, _, end in spans) - min(start for _, start, _ in spans)
    ideal = DASK_STAGES * DASK_CPU_S / min(workers, cores)
    return (wall - ideal) / DASK_STAGES, statistics.mean(gaps) if gaps else float("nan"), wall - makespan


def bench_dask(tool: Pivot, cfg: Settings) -> list[Row]:
    """16 stages of 1 s CPU each, on the local pool and on Dask; see `overheads`."""
    cores = os.cpu_count() or 1
    repeats = 1 if cfg.quick else 3
    python = str(Path(tool.exe).parent / "python")
    cases = [
        ("local pool (loky) -j2", ["-j2"], 2, None, None),
        ("Dask LocalCluster of 2 workers, started by pivot", ["--executor", "dask", "-j2"], 2, None, None),
        ("Dask LocalCluster of 4 workers, started by pivot", ["--executor", "dask", "-j4"], 4, None, None),
        ("a running Dask cluster of 2 workers (--address)", ["--executor", "dask"], 2, 2, "shared"),
        ("remote-cache mode, running cluster of 2 workers, directory remote", [], 2, 2, "remote"),
    ]
    rows = []
    for label, args, workers, running, mode in cases:
        ideal = DASK_STAGES * DASK_CPU_S / min(workers, cores)
        row = Row(f"dask: {DASK_STAGES} stages x {DASK_CPU_S:g} s CPU, {label}: pivot's time between stages on a worker",
                  "< 0.05 s" if mode == "shared" else "(reference)", under(0.05) if mode == "shared" else (lambda _d, _p: None))
        row.attempted.add("pivot")
        cluster = None
        try:
            if running:
                cluster = RunningCluster(python, running)
                args = args + ["--address", cluster.address] if mode == "shared" else ["--address", cluster.address]
            walls, moved, measured = [], "", []
            for i in range(repeats):
                proj = fresh_dir("dask-burn")
                build_burn(proj, WORK_DIR / "dask-remote" if mode == "remote" else None)
                shutil.rmtree(WORK_DIR / "dask-remote", ignore_errors=True)
                settle()
                say(f"[dask] {label}: run {i + 1}/{repeats}...")
                walls.append(run_cmd([tool.exe, "run", *args], proj, "dask"))
                say(f"          {walls[-1]:.2f} s")
                missing = [j for j in range(DASK_STAGES) if not (proj / f"data/out_{j}.bin").exists()]
                if missing:
                    problem(f"dask/{label}: outputs missing for stages {missing}")
                log = (LOG_DIR / "dask.log").read_text(errors="replace")
                moved = next((line for line in reversed(log.splitlines()) if line.startswith("Remote cache")), moved)
                spans = spans_of_last_run(LOG_DIR / "dask.log")
                if len(spans) != DASK_STAGES:
                    problem(f"dask/{label}: {len(spans)} stages reported their span, not {DASK_STAGES}")
                    continue
                measured.append(overheads(walls[-1], workers, cores, spans))
            if not measured:
                continue
            naive, around, fixed = (statistics.median(m[k] for m in measured) for k in range(3))
            row.pivot = around
            row.notes.append(f"gap {around * 1000:.0f} ms; wall {', '.join(f'{w:.2f}' for w in walls)} s; (wall - ideal {ideal:g} s) / stages = "
                             f"{naive:.3f} s; fixed start-up and shutdown {fixed:.2f} s")
            if moved:
                row.notes.append(f"pivot says: `{moved}`")
        except ToolFailed as exc:
            problem(f"dask/{label} failed: {exc}")
        finally:
            if cluster is not None:
                cluster.stop()
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- report


def render(rows: list[Row], header: list[str]) -> str:
    out = list(header) + [""]
    out.append("| workload | DVC (s) | pivot (s) | ratio DVC/pivot | pivot target | met? | notes |")
    out.append("|---|---:|---:|---:|---|:---:|---|")
    for r in rows:
        out.append(
            f"| {r.workload} | {r.cell('dvc')} "
            f"| {r.cell('pivot')} | {fmt_ratio(r.dvc, r.pivot)} | {r.target} | {r.met()} | {'; '.join(r.notes)} |"
        )
    return "\n".join(out) + "\n"


def git_rev() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_DIR, capture_output=True, text=True)
        return out.stdout.strip() or "uncommitted"
    except OSError:
        return "?"


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repeats, 50 instead of 200 chain stages, remote: 2,000 files and 200 MiB")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help=f"run only these workloads ({', '.join(WORKLOADS)}, or a-e); repeatable or comma-separated")
    ap.add_argument("--tools", default="dvc,pivot", help="comma-separated subset of dvc,pivot (default both)")
    ap.add_argument("--pivot", type=Path, default=DEFAULT_PIVOT, help=f"pivot executable (default {DEFAULT_PIVOT})")
    ap.add_argument("--keep", action="store_true", help="keep benchmarks/.work/ afterwards for inspection")
    ap.add_argument("--no-results-file", action="store_true", help="print the table but don't write results.md")
    args = ap.parse_args(argv)
    names = [ALIASES.get(n.strip(), n.strip()) for item in args.only for n in item.split(",") if n.strip()]
    bad = [n for n in names if n not in WORKLOADS]
    if bad:
        ap.error(f"unknown workload(s) {bad}; choose from {', '.join(WORKLOADS)} (or a-f)")
    args.only = names or list(WORKLOADS)
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if not set(args.tools) <= {"dvc", "pivot"} or not args.tools:
        ap.error("--tools takes a comma-separated subset of dvc,pivot")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    cfg = make_settings(args.quick)
    t_start = time.perf_counter()
    if WORK_DIR.exists():
        shutil.rmtree(WORK_DIR)
    WORK_DIR.mkdir(parents=True)

    tools: list[Tool] = []
    dvc = Dvc()
    if "dvc" in args.tools and set(args.only) != {"dask"}:  # dask is pivot only
        ensure_dvc()
        if "remote" in args.only:
            ensure_in_dvc_venv(DVC_S3_SPEC, "dvc_s3")
        tools.append(dvc)
    if "pivot" in args.tools:
        if not args.pivot.exists():
            sys.exit(f"pivot executable not found: {args.pivot} (install pivot into the repo venv or pass --pivot)")
        tools.append(Pivot(args.pivot.resolve()))
        tools[-1].compile_bytecode()

    rows: list[Row] = []
    extra: list[str] = []
    for name in args.only:
        say(f"=== {name} ===")
        if name == "chains":
            rows += bench_chains(tools, cfg)
        elif name == "sleep":
            rows += bench_sleep(tools, cfg)
        elif name == "bigfile":
            rows += bench_big(tools, cfg, BIGFILE)
        elif name == "manyfiles":
            rows += bench_big(tools, cfg, MANYFILES)
        elif name == "remote":
            rows += bench_remote(tools, cfg)
        elif name == "code":  # pivot against itself (DVC has no code fingerprint): its own table
            extra.append(bench_code(args.quick))
        elif name == "dask":  # pivot only: DVC has no peer
            for tool in tools:
                if isinstance(tool, Pivot):
                    rows += bench_dask(tool, cfg)

    elapsed = time.perf_counter() - t_start
    header = [
        "# pivot vs DVC benchmark results",
        "",
        f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}; pivot rev: {git_rev()}; "
        f"{'DVC ' + dvc.version() if 'dvc' in args.tools else 'DVC not run'}",
        f"- machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"- mode: {'--quick' if args.quick else 'full'}; workloads: {', '.join(args.only)}; "
        f"benchmark wall time {elapsed:.0f} s",
        "- times are wall seconds of one `dvc repro` / `pivot run` (`push` / `pull` for the remote rows; "
        "median of repeats, see notes); overhead rows are tool time minus writing the same bytes with plain Python",
    ]
    table = render(rows, header) + "".join(extra)
    if PROBLEMS:
        table += "\n## Problems seen\n\n" + "\n".join(
            "- " + p.splitlines()[0] + ("\n\n```\n" + "\n".join(p.splitlines()[1:]) + "\n```" if "\n" in p else "")
            for p in PROBLEMS
        ) + "\n"
    print(table)
    if not args.no_results_file:
        RESULTS_MD.write_text(table)
        say(f"wrote {RESULTS_MD}")
    if not args.keep:  # keep only the logs (small; the problem list points at them)
        for child in WORK_DIR.iterdir():
            if child != LOG_DIR:
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
