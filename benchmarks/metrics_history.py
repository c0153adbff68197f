"""A metric across the last 50 commits, pivot against DVC in the same run: `pivot metrics history
-n 50` against `dvc metrics show -A` (DVC has no history command; `-A` shows every commit's
metrics, which here are the same 50 commits, plus the workspace).

    python benchmarks/metrics_history.py [--commits 50] [--repeat 3] [--pivot PYTHON] [--tools both|pivot|dvc]

Each tool gets its own repository of the same shape: a one-stage pipeline run once and committed,
then one commit after another that rewrites metrics.json (accuracy, loss and a nested key) and
nothing else, so every commit has its own values and both tools read the file from git objects.
The table shows the median wall time of each command (interpreter start-up included) and the
ratio DVC / pivot; the runs alternate between the tools. `-n 1` shows what pivot pays whatever
the number of commits (start-up, finding the project, four git processes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from harness import LOG_DIR, REPO_DIR, base_env, fresh_dir, run_cmd, say, settle, write
from tools import Dvc, ensure_dvc

PIVOT_STAGES = """from typing import Annotated
from pivot import loaders, outputs


def train(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[dict, outputs.Metric("metrics.json")]:
    return {"accuracy": 0.5, "loss": 1.0, "eval": {"f1": 0.4}}
"""
PIVOT_YAML = "stages:\n  train:\n    python: stages.train\n"
DVC_YAML = """stages:
  train:
    cmd: python train.py
    deps: [train.py, data.txt]
    metrics:
      - metrics.json:
          cache: false
"""
DVC_TRAIN = 'import json\njson.dump({"accuracy": 0.5, "loss": 1.0, "eval": {"f1": 0.4}}, open("metrics.json", "w"))\n'


def metrics_at(i: int) -> str:
    return json.dumps({"accuracy": round(0.5 + i / 200, 4), "loss": round(1 / (i + 1), 6), "eval": {"f1": round(0.4 + i / 300, 4)}})


def commit_series(proj: Path, commits: int, log: str, env: dict[str, str]) -> None:
    """After the first commit (the pipeline run), `commits - 1` more, each changing metrics.json."""
    for i in range(1, commits):
        write(proj / "metrics.json", metrics_at(i))
        run_cmd(["git", "commit", "-qam", f"metrics {i}"], proj, log, env)


def pivot_repo(python: str, commits: int) -> tuple[Path, list[str], dict[str, str]]:
    proj = fresh_dir("metrics-history-pivot")
    write(proj / "stages.py", PIVOT_STAGES)
    write(proj / "pivot.yaml", PIVOT_YAML)
    write(proj / "data.txt", "data\n")
    env = {**base_env(), "PYTHONPATH": str(REPO_DIR)}  # this checkout's pivot, whatever `python` is
    pivot = [python, "-m", "pivot"]
    for cmd in (["git", "init", "-q"], [*pivot, "run"], ["git", "add", "-A"], ["git", "commit", "-qm", "pipeline"]):
        run_cmd(cmd, proj, "metrics-history-pivot", env)
    commit_series(proj, commits, "metrics-history-pivot", env)
    return proj, pivot, env


def dvc_repo(commits: int) -> tuple[Path, Dvc, dict[str, str]]:
    ensure_dvc()
    dvc = Dvc()
    proj = fresh_dir("metrics-history-dvc")
    write(proj / "dvc.yaml", DVC_YAML)
    write(proj / "train.py", DVC_TRAIN)
    write(proj / "data.txt", "data\n")
    dvc.init(proj, "metrics-history-dvc")
    env = dvc.env()
    for cmd in ([dvc.exe, "repro", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "pipeline"]):
        run_cmd(cmd, proj, "metrics-history-dvc", env)
    commit_series(proj, commits, "metrics-history-dvc", env)
    return proj, dvc, env


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pivot", default=str(REPO_DIR / ".venv" / "bin" / "python"), help="the Python that runs pivot from this checkout")
    parser.add_argument("--tools", choices=("both", "pivot", "dvc"), default="both")
    args = parser.parse_args()
    n = str(args.commits)
    commands: list[tuple[str, list[str], Path, dict[str, str]]] = []
    if args.tools in ("both", "pivot"):
        say(f"pivot: a repository of {n} commits")
        proj, pivot, env = pivot_repo(args.pivot, args.commits)
        commands += [
            ("pivot metrics history -n 1 (the fixed cost)", [*pivot, "metrics", "history", "-n", "1"], proj, env),
            (f"pivot metrics history -n {n}", [*pivot, "metrics", "history", "-n", n], proj, env),
            (f"pivot metrics history -n {n} --json", [*pivot, "metrics", "history", "-n", n, "--json"], proj, env),
            (f"pivot metrics history -n {n} --md (+ charts)", [*pivot, "metrics", "history", "-n", n, "--md"], proj, env),
        ]
    if args.tools in ("both", "dvc"):
        say(f"dvc: a repository of {n} commits")
        proj, dvc, env = dvc_repo(args.commits)
        commands += [
            ("dvc metrics show -A", [dvc.exe, "metrics", "show", "-A"], proj, env),
            ("dvc metrics show -A --json", [dvc.exe, "metrics", "show", "-A", "--json"], proj, env),
        ]
    times: dict[str, list[float]] = {name: [] for name, *_ in commands}
    for round_ in range(args.repeat):
        for name, cmd, cwd, env in commands if round_ % 2 == 0 else commands[::-1]:
            settle()
            times[name].append(run_cmd(cmd, cwd, "metrics-history-" + name.split()[0], env))
    print(f"\n{n} commits, median of {args.repeat}, {os.cpu_count()} cores (logs: {LOG_DIR})\n")
    print("| command | median (s) | runs (s) |")
    print("|---|---:|---|")
    for name, runs in times.items():
        print(f"| {name} | {statistics.median(runs):.2f} | {', '.join(f'{t:.2f}' for t in runs)} |")
    pivot_table, dvc_table = times.get(f"pivot metrics history -n {n}"), times.get("dvc metrics show -A")
    if pivot_table and dvc_table:
        print(f"\nratio DVC / pivot (tables): {statistics.median(dvc_table) / statistics.median(pivot_table):.1f}x")
        pivot_json, dvc_json = times[f"pivot metrics history -n {n} --json"], times["dvc metrics show -A --json"]
        print(f"ratio DVC / pivot (JSON): {statistics.median(dvc_json) / statistics.median(pivot_json):.1f}x")
    sys.exit(0)


if __name__ == "__main__":
    main()
