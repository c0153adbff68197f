#!/usr/bin/env python3
"""Benchmark pivot against DVC on the workloads in benchmarks/README.md.

Stdlib only, so it runs with any python3:

    python3 benchmarks/run.py [--quick] [--only NAME[,NAME]] [--tools dvc,pivot] [--pivot PATH]

DVC lives in its own venv (benchmarks/.venv-dvc, created on first use); it is never a pivot
dependency. Every workload is built from scratch under benchmarks/.work/ for each tool. The table
is printed and written to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
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

WORKLOADS = ("chains", "sleep", "bigfile", "manyfiles")
ALIASES = {"a": "chains", "b": "sleep", "c": "bigfile", "d": "manyfiles"}


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
    )


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
    block = random.Random(1).randbytes(1024)
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


def build_big(proj: Path, tool: Tool | None, cfg: Settings, spec: BigSpec) -> None:
    write(proj / "gen.py", GEN_PY.replace("BIG_MIB_VALUE", str(cfg.big_mib)).replace("N_FILES_VALUE", str(cfg.n_files)))
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
    ap.add_argument("--quick", action="store_true", help="fewer repeats and 50 instead of 200 chain stages")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help=f"run only these workloads ({', '.join(WORKLOADS)}, or a-d); repeatable or comma-separated")
    ap.add_argument("--tools", default="dvc,pivot", help="comma-separated subset of dvc,pivot (default both)")
    ap.add_argument("--pivot", type=Path, default=DEFAULT_PIVOT, help=f"pivot executable (default {DEFAULT_PIVOT})")
    ap.add_argument("--keep", action="store_true", help="keep benchmarks/.work/ afterwards for inspection")
    ap.add_argument("--no-results-file", action="store_true", help="print the table but don't write results.md")
    args = ap.parse_args(argv)
    names = [ALIASES.get(n.strip(), n.strip()) for item in args.only for n in item.split(",") if n.strip()]
    bad = [n for n in names if n not in WORKLOADS]
    if bad:
        ap.error(f"unknown workload(s) {bad}; choose from {', '.join(WORKLOADS)} (or a-d)")
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
    if "dvc" in args.tools:
        ensure_dvc()
        tools.append(dvc)
    if "pivot" in args.tools:
        if not args.pivot.exists():
            sys.exit(f"pivot executable not found: {args.pivot} (install pivot into the repo venv or pass --pivot)")
        tools.append(Pivot(args.pivot.resolve()))

    rows: list[Row] = []
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

    elapsed = time.perf_counter() - t_start
    header = [
        "# pivot vs DVC benchmark results",
        "",
        f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}; pivot rev: {git_rev()}; "
        f"{'DVC ' + dvc.version() if 'dvc' in args.tools else 'DVC not run'}",
        f"- machine: {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}",
        f"- mode: {'--quick' if args.quick else 'full'}; workloads: {', '.join(args.only)}; "
        f"benchmark wall time {elapsed:.0f} s",
        "- times are wall seconds of one `dvc repro` / `pivot run` (median of repeats, see notes); "
        "overhead rows are tool time minus writing the same bytes with plain Python",
    ]
    table = render(rows, header)
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
