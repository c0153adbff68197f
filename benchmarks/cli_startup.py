#!/usr/bin/env python3
"""What `pivot --help` and shell completion cost against `pivot --version`, before and after a
change, stdlib only:

    .venv/bin/python benchmarks/cli_startup.py [--before REV] [--runs N]

`--version` imports the top-level click group and nothing else: it is the floor of any command.
`--help` lists every command with its one-line help, and completing `pivot ru` offers the command
names that start so. Both used to import every command module (and through them the whole
library) to ask each command for its help; the target is both within 1.5x of `--version`.

The "before" side is the pivot package of REV (default: the commit before the lazy listing),
exported with `git archive` into benchmarks/.work/cli_startup/ (no worktree is created); the
"after" side is this checkout. Both run as `python -m pivot` under the interpreter running this
script (it needs pivot's dependencies: run it with pivot's venv), with PYTHONPATH pointing at the
side, bytecode compiled first as an install would. The runs alternate (before and after, case by
case, round by round) so a burst of load elsewhere hits both; each median is over `--runs` rounds,
and every run's output is checked, so a fast time cannot come from a failed command.
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

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORK = BENCH_DIR / ".work" / "cli_startup"
BEFORE_REV = "6e19d11"
COMPLETE = {"_PIVOT_COMPLETE": "bash_complete", "COMP_WORDS": "pivot ru", "COMP_CWORD": "1"}

# (label, argv after `python -m pivot`, extra environment, what stdout must contain)
CASES = [
    ("--version", ["--version"], {}, "version"),
    ("--help", ["--help"], {}, "Commands:"),
    ("complete `pivot ru`", [], COMPLETE, "plain,run"),
]


def export_before(rev: str) -> Path:
    """The pivot package at `rev`, in a directory of its own, compiled."""
    dest = WORK / rev
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev, "pivot"], cwd=REPO_DIR, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    compileall.compile_dir(dest / "pivot", quiet=1)
    return dest


def time_once(root: Path, argv: list[str], env: dict[str, str], expect: str) -> float:
    """Wall seconds of one `python -m pivot ARGV` from the pivot package under `root`."""
    full_env = {**os.environ, "PYTHONPATH": str(root), **env}
    start = time.perf_counter()
    # cwd: `python -m` puts the working directory first on sys.path, ahead of PYTHONPATH.
    done = subprocess.run([sys.executable, "-m", "pivot", *argv], cwd=WORK, env=full_env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or expect not in done.stdout:
        raise SystemExit(f"`pivot {' '.join(argv)}` from {root} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed


def check_side(root: Path) -> None:
    """The side's own pivot is the one its runs import (not an installed one)."""
    where = subprocess.run(
        [sys.executable, "-c", "import pivot; print(pivot.__file__)"],
        cwd=WORK, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True, check=True,
    ).stdout.strip()
    if not Path(where).is_relative_to(root):
        raise SystemExit(f"with PYTHONPATH={root}, pivot comes from {where}")


def measure(sides: dict[str, Path], runs: int) -> dict[tuple[str, str], float]:
    """Median milliseconds per (side, case label), runs interleaved; one untimed warm-up each."""
    samples: dict[tuple[str, str], list[float]] = {}
    for round_ in range(runs + 1):
        for label, argv, env, expect in CASES:
            for side, root in sides.items():
                seconds = time_once(root, argv, env, expect)
                if round_:
                    samples.setdefault((side, label), []).append(seconds * 1000)
    return {key: statistics.median(values) for key, values in samples.items()}


def render(medians: dict[tuple[str, str], float], rev: str, runs: int) -> str:
    lines = [
        f"median of {runs} runs each, `python -m pivot`, before = {rev}, after = this checkout",
        "",
        "| command | before (ms) | after (ms) | before/after | before / its --version | after / its --version | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    floor, old_floor = medians[("after", "--version")], medians[("before", "--version")]
    for label, *_ in CASES:
        before, after = medians[("before", label)], medians[("after", label)]
        target = "" if label == "--version" else ("met" if after <= 1.5 * floor else "NOT met") + " (≤ 1.5x)"
        lines.append(f"| {label} | {before:.0f} | {after:.0f} | {before / after:.2f} | {before / old_floor:.2f} | {after / floor:.2f} | {target} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default=BEFORE_REV, help=f"the git revision to compare with (default {BEFORE_REV})")
    ap.add_argument("--runs", type=int, default=20, help="timed runs per command and side (default 20)")
    args = ap.parse_args()
    compileall.compile_dir(REPO_DIR / "pivot", quiet=1)
    sides = {"before": export_before(args.before), "after": REPO_DIR}
    try:
        for root in sides.values():
            check_side(root)
        print(render(measure(sides, args.runs), args.before, args.runs))
    finally:
        shutil.rmtree(sides["before"], ignore_errors=True)


if __name__ == "__main__":
    main()
