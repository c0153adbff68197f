"""Workload `scaling`: N trivial Python stages as N/10 chains of 10, every stage its own function
in ONE generated module (as generated and matrix-heavy pipelines are), at growing N: cold run,
no-op, one chain's root edited, status. Prints the per-stage cost and the growth exponent fitted
by least squares on log-log, pivot's peak parent RSS, and Snakemake at the smaller sizes (in its
own venv, benchmarks/.venv-snakemake, like DVC's)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import harness
from harness import BENCH_DIR, LOG_DIR, ToolFailed
from tools import Pivot, Tool

COUNTS = (200, 1000, 3000, 10_000)
QUICK_COUNTS = (200, 1000)
SNAKEMAKE_MAX = 3000  # Snakemake at 200/1000/3000 only: its 10,000 would dominate the benchmark
SNAKEMAKE_VENV = BENCH_DIR / ".venv-snakemake"
SNAKEMAKE_SPEC = "snakemake>=8"
JOBS = 2

HEAD = '''\
from typing import Annotated, TypedDict

from pivot import loaders, outputs


class StepOut(TypedDict):
    dst: Annotated[str, outputs.Out("out.txt", loaders.Text())]
'''

STEP_PY = '''\
import sys

src, dst, s = sys.argv[1:4]
with open(src) as f:
    text = f.read()
with open(dst, "w") as f:
    f.write(text + f"step {s}\\n")
'''

SNAKEFILE = '''\
wildcard_constraints:
    s="[1-9][0-9]*"

rule all:
    input: [f"data/c{c}_s10.txt" for c in range(CHAINS)]

rule step:
    input: lambda w: f"data/c{w.c}_s{int(w.s) - 1}.txt"
    output: "data/c{c}_s{s}.txt"
    shell: "python3 step.py {input} {output} {wildcards.s}"
'''


def build(proj: Path, n: int, snakemake: bool) -> None:
    chains = n // 10
    (proj / "data").mkdir(parents=True, exist_ok=True)
    for c in range(chains):
        (proj / f"data/c{c}_s0.txt").write_text(f"root {c}\n")
    if snakemake:
        (proj / "Snakefile").write_text(f"CHAINS = {chains}\n\n" + SNAKEFILE)
        (proj / "step.py").write_text(STEP_PY)
        return
    source, yaml = [HEAD], ["stages:"]
    for c in range(chains):
        for s in range(1, 11):
            source.append(
                f'\n\ndef step_{c}_{s}(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> StepOut:\n'
                f'    return {{"dst": src + "step {s}\\n"}}\n'
            )
            yaml += [f"  c{c}_s{s}:", f"    python: stages.step_{c}_{s}",
                     f"    deps:\n      src: data/c{c}_s{s - 1}.txt", f"    outs:\n      dst: data/c{c}_s{s}.txt"]
    (proj / "stages.py").write_text("".join(source))
    (proj / "pivot.yaml").write_text("\n".join(yaml) + "\n")


def timed(cmd: list[str], cwd: Path, log_name: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of the command's own process, as `/usr/bin/time -v` reports."""
    with open(LOG_DIR / f"{log_name}.log", "ab") as fh:
        fh.write(f"\n$ (cd {cwd} && {' '.join(cmd)})\n".encode())
        fh.flush()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=harness.base_env(), stdout=fh, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise ToolFailed(f"`{' '.join(cmd)}` exited {proc.returncode} in {cwd} (log: {LOG_DIR / log_name}.log)")
    return elapsed, usage.ru_maxrss


def commands(tool: str, exe: str) -> dict[str, list[str]]:
    if tool == "pivot":
        run = [exe, "run", f"-j{JOBS}"]
        return {"run": run, "status": [exe, "status"]}
    run = [exe, "--cores", str(JOBS), "--quiet", "all"]
    return {"run": run, "status": [exe, "--cores", str(JOBS), "--dry-run", "--quiet", "all"]}


def measure(tool: str, exe: str, n: int) -> dict[str, float]:
    """One project through cold, no-op, one chain edited, status; seconds each, and peak RSS."""
    log = f"scaling-{tool}-{n}"
    proj = harness.fresh_dir(log)
    build(proj, n, snakemake=tool == "snakemake")
    harness.run_cmd(["git", "init", "-q"], proj, log)
    if tool == "pivot":
        harness.run_cmd([exe, "init"], proj, log)
    cmds = commands(tool, exe)
    harness.settle()
    harness.say(f"[scaling] {tool}: {n} stages cold...")
    cold, rss = timed(cmds["run"], proj, log)
    if not (proj / f"data/c{n // 10 - 1}_s10.txt").exists():
        harness.problem(f"scaling/{tool} {n}: the last chain's output is missing after the cold run")
    harness.settle()
    noop, _ = timed(cmds["run"], proj, log)
    (proj / "data/c0_s0.txt").write_text("root 0, edited\n")
    harness.settle()
    edit, _ = timed(cmds["run"], proj, log)
    if "edited" not in (proj / "data/c0_s10.txt").read_text():
        harness.problem(f"scaling/{tool} {n}: the edited chain was not rerun")
    harness.settle()
    status, _ = timed(cmds["status"], proj, log)
    harness.say(f"           cold {cold:.2f} s, no-op {noop:.2f} s, edit {edit:.2f} s, status {status:.2f} s")
    return {"cold": cold, "noop": noop, "edit": edit, "status": status, "rss_mib": rss / 1024}


def exponent(points: list[tuple[int, float]]) -> float | None:
    """The slope of log(time) against log(n), least squares: 1.0 is linear."""
    if len(points) < 2:
        return None
    xs, ys = [math.log(n) for n, _ in points], [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def ensure_snakemake() -> str | None:
    """Snakemake's executable in its own venv, installed on first use; None if that fails."""
    exe = SNAKEMAKE_VENV / "bin" / "snakemake"
    if exe.exists():
        return str(exe)
    harness.say(f"creating {SNAKEMAKE_VENV} and installing {SNAKEMAKE_SPEC} (one-time)...")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_DIR / "snakemake-install.log", "wb") as fh:
        for cmd in ([sys.executable, "-m", "venv", str(SNAKEMAKE_VENV)],
                    [str(SNAKEMAKE_VENV / "bin" / "python"), "-m", "pip", "install", "-q", SNAKEMAKE_SPEC]):
            if subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT).returncode != 0:
                harness.problem(f"installing Snakemake failed (log: {LOG_DIR / 'snakemake-install.log'}): pivot only")
                return None
    return str(exe)


def bench_scaling(tools: list[Tool], quick: bool, with_snakemake: bool = True) -> str:
    counts = QUICK_COUNTS if quick else COUNTS
    runners: list[tuple[str, str]] = [("pivot", t.exe) for t in tools if isinstance(t, Pivot)]
    snakemake = ensure_snakemake() if with_snakemake else None
    runners += [("snakemake", snakemake)] if snakemake else []
    results: dict[tuple[str, int], dict[str, float]] = {}
    for tool, exe in runners:
        for n in counts:
            if tool == "snakemake" and n > SNAKEMAKE_MAX:
                continue
            try:
                results[(tool, n)] = measure(tool, exe, n)
            except ToolFailed as exc:
                harness.problem(f"scaling/{tool} {n} stages failed: {exc}")
    return render(results, [tool for tool, _ in runners], counts)


def render(results: dict[tuple[str, int], dict[str, float]], tools: list[str], counts: tuple[int, ...]) -> str:
    out = ["", f"## Scaling: N stages as N/10 chains of 10, one function each in one module (-j{JOBS}/--cores {JOBS})", "",
           "| tool | stages | cold (s) | ms/stage cold | no-op (s) | one chain edited (s) | status (s) | peak RSS (MiB) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    fits = []
    for tool in tools:
        cold_points = []
        for n in counts:
            r = results.get((tool, n))
            if r is None:
                continue
            cold_points.append((n, r["cold"]))
            out.append(f"| {tool} | {n:,} | {r['cold']:.2f} | {1000 * r['cold'] / n:.2f} | {r['noop']:.2f} "
                       f"| {r['edit']:.2f} | {r['status']:.2f} | {r['rss_mib']:.0f} |")
        for what in ("cold", "noop", "status"):
            slope = exponent([(n, results[(tool, n)][what]) for n, _ in cold_points])
            if slope is not None:
                fits.append(f"- {tool}: fitted growth exponent of the {what} time over {', '.join(f'{n:,}' for n, _ in cold_points)} "
                            f"stages: {slope:.2f}")
    return "\n".join([*out, "", *fits]) + "\n"
