#!/usr/bin/env python3
"""What pressing TAB after `pivot run` costs, against what DVC's completion runs for the same
TAB (`dvc stage list -q --names-only`), on one project of 200 stages (20 shell stages, each a
matrix of 10) that both tools read, stdlib only:

    .venv/bin/python benchmarks/completion.py [--runs N] [--dvc PATH]

pivot completes stage names from pivot.yaml read as plain YAML, in the completing process and
without importing the pipeline's code or pydantic; `pivot --version` is the floor of any pivot
command. DVC comes from benchmarks/.venv-dvc (run.py creates it) unless --dvc names another.
The commands take turns, round by round, so a burst of load elsewhere hits all of them; each
median is over --runs rounds after one untimed warm-up, and every output is checked (all 200
names, or the 10 that start with the typed prefix), so a fast time cannot come from a failure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORK = BENCH_DIR / ".work" / "completion"
STAGES, VARIANTS = 20, 10


def make_project(dvc: Path) -> Path:
    """dvc.yaml and pivot.yaml with the same 200 shell stages, in a git repository."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    values = ", ".join(str(v) for v in range(VARIANTS))
    body = "stages:\n" + "".join(
        f"  s{i}:\n    matrix:\n      v: [{values}]\n    cmd: echo ${{item.v}} > out{i}_${{item.v}}.txt\n"
        f"    outs:\n      - out{i}_${{item.v}}.txt\n"
        for i in range(STAGES)
    )
    (WORK / "dvc.yaml").write_text(body)
    # pivot names a matrix dimension `${v}`, DVC `${item.v}`; the names are the same: s3@7.
    (WORK / "pivot.yaml").write_text(body.replace("${item.v}", "${v}"))
    subprocess.run(["git", "init", "-q"], cwd=WORK, check=True)
    subprocess.run([str(dvc), "init", "-q"], cwd=WORK, check=True)
    return WORK


def cases(dvc: Path) -> list[tuple[str, list[str], dict[str, str], int]]:
    """(label, argv, extra environment, how many names stdout must hold)."""
    pivot = [sys.executable, "-m", "pivot"]
    complete = {"_PIVOT_COMPLETE": "bash_complete", "COMP_WORDS": "pivot run s3", "COMP_CWORD": "2"}
    return [
        ("pivot --version (floor)", [*pivot, "--version"], {}, 0),
        ("pivot: TAB after `pivot run s3`", pivot, complete, 11),  # s3, s3@0..s3@9
        ("dvc: TAB (dvc stage list -q --names-only)", [str(dvc), "stage", "list", "-q", "--names-only"], {}, STAGES * VARIANTS),
    ]


def time_once(argv: list[str], env: dict[str, str], names: int) -> float:
    full_env = {**os.environ, "PYTHONPATH": str(REPO_DIR), **env}
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=WORK, env=full_env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    found = len(done.stdout.split())
    if done.returncode != 0 or (names and found != names):
        raise SystemExit(f"`{' '.join(argv)}` failed ({done.returncode}, {found} names):\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10, help="timed runs per command (default 10)")
    ap.add_argument("--dvc", type=Path, default=BENCH_DIR / ".venv-dvc" / "bin" / "dvc", help="the dvc executable")
    args = ap.parse_args()
    if not args.dvc.exists():
        raise SystemExit(f"no dvc at {args.dvc}: run benchmarks/run.py once, or pass --dvc")
    make_project(args.dvc)
    samples: dict[str, list[float]] = {}
    for round_ in range(args.runs + 1):
        for label, argv, env, names in cases(args.dvc):
            seconds = time_once(argv, env, names)
            if round_:
                samples.setdefault(label, []).append(seconds * 1000)
    medians = {label: statistics.median(values) for label, values in samples.items()}
    pivot_tab = medians["pivot: TAB after `pivot run s3`"]
    print(f"median of {args.runs} runs each, {STAGES * VARIANTS} stages, wall ms of the process a TAB starts\n")
    print("| command | ms (median) | / pivot's TAB |")
    print("|---|---:|---:|")
    for label, median in medians.items():
        print(f"| {label} | {median:.0f} | {median / pivot_tab:.2f} |")
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
