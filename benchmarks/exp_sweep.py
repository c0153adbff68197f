"""A params sweep, pivot against DVC in the same run: `pivot exp run` against
`dvc exp run --queue` + `dvc exp run --run-all`.

    python benchmarks/exp_sweep.py [--values 8] [--jobs 8] [--pivot PYTHON] [--tools both|pivot|dvc]

The pipeline: prepare (sleeps 2 s, no swept params) -> train (sleeps 2 s, swept `lr`) ->
evaluate (sleeps 1 s, writes a metric). Each tool sweeps the same values of `lr` from a fresh,
committed project where nothing has run yet; every stage appends to a counter file outside the
project, so the table shows how often each stage ran beside the wall time of the whole sweep.
pivot's target: under 6 s wall for 8 values at -j 8, prepare run once.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from harness import LOG_DIR, REPO_DIR, base_env, fresh_dir, run_cmd, say, settle, write
from tools import Dvc, ensure_dvc

STAGE = """import os, pathlib, sys, time
def count(name):
    with open(pathlib.Path({counts!r}) / name, "a") as handle:
        handle.write("x")
"""

PIVOT_STAGES = (
    STAGE
    + """
from typing import Annotated
from pivot import loaders, outputs
from pivot.stage_def import StageParams


class TrainParams(StageParams):
    lr: float = 0.1


def prepare(raw: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("clean.txt", loaders.Text())]:
    count("prepare")
    time.sleep(2)
    return raw.upper()


def train(params: TrainParams, data: Annotated[str, outputs.Dep("clean.txt", loaders.Text())]) -> Annotated[str, outputs.Out("model.txt", loaders.Text())]:
    count("train")
    time.sleep(2)
    return f"{{data.strip()}} lr={{params.lr}}"


def evaluate(model: Annotated[str, outputs.Dep("model.txt", loaders.Text())]) -> Annotated[dict, outputs.Metric("metrics.json")]:
    count("evaluate")
    time.sleep(1)
    return {{"score": len(model)}}
"""
)

PIVOT_YAML = """stages:
  prepare:
    python: stages.prepare
  train:
    python: stages.train
  evaluate:
    python: stages.evaluate
"""

DVC_SCRIPTS = {
    "prepare.py": STAGE
    + 'count("prepare"); time.sleep(2)\n'
    + 'pathlib.Path("clean.txt").write_text(pathlib.Path("data.txt").read_text().upper())\n',
    "train.py": STAGE
    + 'import yaml\ncount("train"); time.sleep(2)\n'
    + 'lr = yaml.safe_load(open("params.yaml"))["train"]["lr"]\n'
    + 'pathlib.Path("model.txt").write_text(pathlib.Path("clean.txt").read_text().strip() + " lr=" + str(lr))\n',
    "evaluate.py": STAGE
    + 'import json\ncount("evaluate"); time.sleep(1)\n'
    + 'pathlib.Path("metrics.json").write_text(json.dumps(dict(score=len(pathlib.Path("model.txt").read_text()))))\n',
}

DVC_YAML = """stages:
  prepare:
    cmd: python prepare.py
    deps: [prepare.py, data.txt]
    outs: [clean.txt]
  train:
    cmd: python train.py
    deps: [train.py, clean.txt]
    params: [train.lr]
    outs: [model.txt]
  evaluate:
    cmd: python evaluate.py
    deps: [evaluate.py, model.txt]
    metrics:
      - metrics.json:
          cache: false
"""


def counts_of(directory: Path) -> dict[str, int]:
    return {
        stage: len((directory / stage).read_text()) if (directory / stage).exists() else 0 for stage in ("prepare", "train", "evaluate")
    }


def run_pivot(python: str, values: list[str], jobs: int) -> tuple[float, dict[str, int]]:
    proj, counts = fresh_dir("exp-sweep-pivot"), fresh_dir("exp-sweep-pivot-counts")
    write(proj / "stages.py", PIVOT_STAGES.format(counts=str(counts)))
    write(proj / "pivot.yaml", PIVOT_YAML)
    write(proj / "data.txt", "some data\n")
    env = {**base_env(), "PYTHONPATH": str(REPO_DIR)}  # this checkout's pivot, whatever `python` is
    pivot = [python, "-m", "pivot"]
    for cmd in (["git", "init", "-q"], [*pivot, "init"], ["git", "add", "-A"], ["git", "commit", "-qm", "pipeline"]):
        run_cmd(cmd, proj, "exp-sweep-pivot", env)
    settle()
    say(f"pivot exp run, {len(values)} values, -j {jobs}")
    seconds = run_cmd([*pivot, "exp", "run", "-S", "train.lr=" + ",".join(values), "-j", str(jobs)], proj, "exp-sweep-pivot", env)
    return seconds, counts_of(counts)


def run_dvc(values: list[str], jobs: int) -> tuple[float, dict[str, int]]:
    ensure_dvc()
    dvc = Dvc()
    proj, counts = fresh_dir("exp-sweep-dvc"), fresh_dir("exp-sweep-dvc-counts")
    for name, text in DVC_SCRIPTS.items():
        write(proj / name, text.format(counts=str(counts)))
    write(proj / "dvc.yaml", DVC_YAML)
    write(proj / "params.yaml", "train:\n  lr: 0.1\n")
    write(proj / "data.txt", "some data\n")
    dvc.init(proj, "exp-sweep-dvc")
    env = dvc.env()
    run_cmd(["git", "add", "-A"], proj, "exp-sweep-dvc", env)
    run_cmd(["git", "commit", "-qm", "pipeline"], proj, "exp-sweep-dvc", env)
    settle()
    say(f"dvc exp run --queue x{len(values)}, then --run-all -j {jobs}")
    seconds = sum(run_cmd([dvc.exe, "exp", "run", "--queue", "-S", f"train.lr={v}"], proj, "exp-sweep-dvc", env) for v in values)
    seconds += run_cmd([dvc.exe, "exp", "run", "--run-all", "-j", str(jobs)], proj, "exp-sweep-dvc", env)
    return seconds, counts_of(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--values", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--pivot", default=str(REPO_DIR / ".venv" / "bin" / "python"), help="the Python that runs pivot from this checkout")
    parser.add_argument("--tools", choices=("both", "pivot", "dvc"), default="both")
    args = parser.parse_args()
    values = [f"{i / 1000:g}" for i in range(1, args.values + 1)]  # distinct for any count
    rows = []
    if args.tools in ("both", "pivot"):
        rows.append(("pivot exp run", *run_pivot(args.pivot, values, args.jobs)))
    if args.tools in ("both", "dvc"):
        rows.append(("dvc exp run --queue + --run-all", *run_dvc(values, args.jobs)))
    print(f"\n{args.values} values of train.lr, -j {args.jobs}, {os.cpu_count()} cores (logs: {LOG_DIR})\n")
    print("| tool | wall (s) | prepare ran | train ran | evaluate ran |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, ran in rows:
        print(f"| {name} | {seconds:.2f} | {ran['prepare']} | {ran['train']} | {ran['evaluate']} |")
    if len(rows) == 2:
        print(f"\nratio DVC / pivot: {rows[1][1] / rows[0][1]:.1f}x (pivot target: under 6 s, prepare once)")
    sys.exit(0 if rows and rows[0][2]["prepare"] <= 1 else 1)


if __name__ == "__main__":
    main()
