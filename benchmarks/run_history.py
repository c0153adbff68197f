#!/usr/bin/env python3
"""What recording each run in .pivot/runs/ costs a no-op `pivot run`, before and after, and what
`pivot history` and `pivot show` cost against `pivot --version`, stdlib only:

    .venv/bin/python benchmarks/run_history.py [--before REV] [--runs N] [--stages N]

A no-op run is the run whose time a record could matter to: it otherwise only stats files
(pivot.api.noop). The project is N (default 200) shell stages in chains of 10, run once; the
"before" side is the pivot package of REV (default: the commit before run history), exported as
benchmarks/cli_startup.py exports it. The two sides take turns, each median is over `--runs`
rounds, and every run must succeed. `history` and `show` run on the "after" side with 100
records present (the most it keeps by default).
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cli_startup import REPO_DIR, check_side, export_before

WORK = Path(__file__).resolve().parent / ".work" / "run_history"
BEFORE_REV = "f146864"
CHAIN = 10


def make_project(stages: int) -> Path:
    root = WORK / "project"
    shutil.rmtree(root, ignore_errors=True)
    (root / "data").mkdir(parents=True)
    lines = ["stages:"]
    for chain in range(stages // CHAIN):
        (root / "data" / f"c{chain}_s0.txt").write_text(f"root {chain}\n")
        for step in range(1, CHAIN + 1):
            src, dst = f"data/c{chain}_s{step - 1}.txt", f"data/c{chain}_s{step}.txt"
            lines += [f"  c{chain}_s{step}:", f"    cmd: cp {src} {dst}", f"    deps: [{src}]", f"    outs: [{dst}]"]
    (root / "pivot.yaml").write_text("\n".join(lines) + "\n")
    return root


def pivot(side: Path, root: Path, *argv: str) -> float:
    """Wall seconds of one `python -m pivot ARGV` in `root` with the pivot package under `side`."""
    env = {**os.environ, "PYTHONPATH": str(side)}
    env.pop("CI", None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pivot", *argv], cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"`pivot {' '.join(argv)}` from {side} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed


def measure(sides: dict[str, Path], root: Path, runs: int) -> dict[str, list[float]]:
    cases = [(f"no-op run ({side})", side_root, ("run",)) for side, side_root in sides.items()]
    cases += [(f"{' '.join(argv)} (after)", sides["after"], argv) for argv in (("--version",), ("history",), ("history", "--json"), ("show",))]
    samples: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    for round_ in range(runs + 1):
        for label, side, argv in cases:
            seconds = pivot(side, root, *argv)
            if round_:  # the first round warms the caches
                samples[label].append(seconds * 1000)
    return samples


def render(samples: dict[str, list[float]], rev: str, runs: int, stages: int) -> str:
    medians = {label: statistics.median(values) for label, values in samples.items()}
    base = medians["no-op run (before)"]
    lines = [
        f"{stages} shell stages, median of {runs} runs each, `python -m pivot`, before = {rev}, after = this checkout",
        "",
        "| command | median (ms) | / no-op run before |",
        "|---|---:|---:|",
    ]
    lines += [f"| {label} | {ms:.0f} | {ms / base:.2f}x |" for label, ms in medians.items()]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default=BEFORE_REV, help=f"the git revision to compare with (default {BEFORE_REV})")
    ap.add_argument("--runs", type=int, default=15, help="timed runs per command (default 15)")
    ap.add_argument("--stages", type=int, default=200, help="stages in the project (default 200)")
    args = ap.parse_args()
    compileall.compile_dir(REPO_DIR / "pivot", quiet=1)
    sides = {"before": export_before(args.before), "after": REPO_DIR}
    try:
        for side in sides.values():
            check_side(side)
        root = make_project(args.stages)
        pivot(sides["after"], root, "run", "-j2")
        for _ in range(100):  # history and show read up to the 100 records kept
            pivot(sides["after"], root, "run")
        print(render(measure(sides, root, args.runs), args.before, args.runs, args.stages))
    finally:
        shutil.rmtree(sides["before"], ignore_errors=True)
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
