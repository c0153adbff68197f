"""`pivot gc -A -n` against `dvc gc -w -A --dry -f` on histories of growing length, in the same run:
what keeping every commit's data costs each tool to work out.

    python benchmarks/gc_history.py [--commits 100 400] [--repeat 3] [--tools both|pivot|dvc]

Each tool gets its own repository of the same shape: one tracked file (`pivot track` /
`dvc add`) rewritten and committed N times, so every commit names another object and all N are in
the cache; the dry run therefore deletes nothing, and what is timed is reading the history. The
histories are built in one process per tool (its own Python API), which keeps the set-up short;
the timed commands run as a user runs them. The table shows the median wall time (interpreter
start-up included), the ratio DVC / pivot, and how each grows with the number of commits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from harness import LOG_DIR, REPO_DIR, base_env, fresh_dir, run_cmd, say, settle
from tools import DVC_VENV, Dvc, ensure_dvc

# Each builder rewrites data.txt and commits, N times, through the tool's own library.
PIVOT_BUILD = """
import pathlib, subprocess, sys
from pivot.base import project
from pivot.worktree import tracker
root = pathlib.Path.cwd()
proj = project.Project(root)
for i in range(int(sys.argv[1])):
    (root / "data.txt").write_text(f"version {i}\\n" * 100)
    tracker.track(proj, ["data.txt"], stages={})
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-qm", f"data {i}"], check=True)
"""
DVC_BUILD = """
import pathlib, subprocess, sys
from dvc.repo import Repo
root = pathlib.Path.cwd()
repo = Repo(str(root))
for i in range(int(sys.argv[1])):
    (root / "data.txt").write_text(f"version {i}\\n" * 100)
    repo.add("data.txt")
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-qm", f"data {i}"], check=True)
"""


def pivot_repo(python: str, commits: int) -> tuple[Path, list[str], dict[str, str]]:
    proj = fresh_dir(f"gc-history-pivot-{commits}")
    env = {**base_env(), "PYTHONPATH": str(REPO_DIR)}  # this checkout's pivot, whatever `python` is
    pivot = [python, "-m", "pivot"]
    for cmd in (["git", "init", "-q"], [*pivot, "init"], [python, "-c", PIVOT_BUILD, str(commits)]):
        run_cmd(cmd, proj, "gc-history-pivot", env)
    return proj, [*pivot, "gc", "-A", "-n"], env


def dvc_repo(commits: int) -> tuple[Path, list[str], dict[str, str]]:
    ensure_dvc()
    dvc = Dvc()
    proj = fresh_dir(f"gc-history-dvc-{commits}")
    dvc.init(proj, "gc-history-dvc")
    env = dvc.env()
    run_cmd([str(DVC_VENV / "bin" / "python"), "-c", DVC_BUILD, str(commits)], proj, "gc-history-dvc", env)
    return proj, [dvc.exe, "gc", "-w", "-A", "--dry", "-f"], env


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--commits", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pivot", default=str(REPO_DIR / ".venv" / "bin" / "python"), help="the Python that runs pivot from this checkout")
    parser.add_argument("--tools", choices=("both", "pivot", "dvc"), default="both")
    args = parser.parse_args()
    commands: list[tuple[str, int, list[str], Path, dict[str, str]]] = []
    for n in args.commits:
        if args.tools in ("both", "pivot"):
            say(f"pivot: a history of {n} commits")
            commands.append(("pivot", n, *pivot_repo(args.pivot, n)))
        if args.tools in ("both", "dvc"):
            say(f"dvc: a history of {n} commits")
            commands.append(("dvc", n, *dvc_repo(n)))
    times: dict[tuple[str, int], list[float]] = {(tool, n): [] for tool, n, *_ in commands}
    for round_ in range(args.repeat):
        for tool, n, proj, cmd, env in commands if round_ % 2 == 0 else commands[::-1]:
            settle()
            times[(tool, n)].append(run_cmd(cmd, proj, f"gc-history-{tool}", env))
    medians = {key: statistics.median(runs) for key, runs in times.items()}
    print(f"\nmedian of {args.repeat}, {os.cpu_count()} cores (logs: {LOG_DIR})\n")
    print("| commits | `dvc gc -w -A --dry -f` (s) | `pivot gc -A -n` (s) | ratio DVC/pivot | runs (s) |")
    print("|---:|---:|---:|---:|---|")
    for n in args.commits:
        dvc, pivot = medians.get(("dvc", n)), medians.get(("pivot", n))
        ratio = f"{dvc / pivot:.1f}x" if dvc and pivot else "-"
        runs = "; ".join(f"{tool}: {', '.join(f'{t:.2f}' for t in times[(tool, n)])}" for tool in ("dvc", "pivot") if (tool, n) in times)
        print(f"| {n} | {f'{dvc:.2f}' if dvc else '-'} | {f'{pivot:.2f}' if pivot else '-'} | {ratio} | {runs} |")
    if len(args.commits) > 1:
        first, last = args.commits[0], args.commits[-1]
        for tool in ("dvc", "pivot"):
            if (tool, first) in medians and (tool, last) in medians:
                print(f"{tool}: {medians[(tool, last)] / medians[(tool, first)]:.2f}x the time for {last / first:.0f}x the commits")
    sys.exit(0)


if __name__ == "__main__":
    main()
