#!/usr/bin/env python3
"""`pivot dag --html` on a 1,000-stage pipeline against `dvc dag --dot` / `--mermaid` on the same
stages, in one run, stdlib only:

    .venv/bin/python benchmarks/dag_html.py [--chains 20] [--length 50] [--runs 3]

The pipeline: CHAINS chains of LENGTH shell stages (`cat IN... | cksum > OUT`: small outputs); each stage reads the one
before it in its chain and the stage two steps up in the chain to its left, so edges cross and
some span layers. The same stages are written as dvc.yaml (for DVC) and pivot.yaml (for pivot), in
two projects. pivot's project is run once (`pivot run -j2`), then one chain's root is edited, so
the page has up-to-date and stale stages and `pivot dag --html` decides every stage's state as
`pivot status` does; `dvc dag` draws the graph only, with no state. The commands alternate round
by round (a burst of load elsewhere hits all of them); each time is the median of `--runs`, wall
time of the subprocess, interpreter start included. Also shown: `pivot dag --dot` and `pivot
status` (what the page's states cost), and the drawing alone (layout and page text, in process).
DVC comes from benchmarks/.venv-dvc (see benchmarks/tools.py, which creates it on first use).
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
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))  # the in-process drawing uses this checkout's pivot

from harness import DVC_VENV, REPO_DIR, WORK_DIR  # noqa: E402
from tools import ensure_dvc  # noqa: E402

WORK = WORK_DIR / "dag_html"


def stages(chains: int, length: int) -> list[tuple[str, list[str], str]]:
    """(name, deps, output) per stage, in run order."""
    found = []
    for s in range(1, length + 1):
        for c in range(chains):
            deps = [f"data/c{c}_s{s - 1}.txt"] + ([f"data/c{c - 1}_s{s - 2}.txt"] if c and s >= 2 else [])
            found.append((f"c{c}_s{s}", deps, f"data/c{c}_s{s}.txt"))
    return found


def build(proj: Path, chains: int, length: int, pipeline_file: str) -> None:
    shutil.rmtree(proj, ignore_errors=True)
    (proj / "data").mkdir(parents=True)
    for c in range(chains):
        (proj / f"data/c{c}_s0.txt").write_text(f"root of chain {c}\n")
    lines = ["stages:"]
    for name, deps, out in stages(chains, length):
        lines += [f"  {name}:", f"    cmd: cat {' '.join(deps)} | cksum > {out}", f"    deps: [{', '.join(deps)}]", f"    outs: [{out}]"]
    (proj / pipeline_file).write_text("\n".join(lines) + "\n")
    run(["git", "init", "-q"], proj, {})


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(cmd)}` failed ({done.returncode}) in {cwd}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def drawing_alone(chains: int, length: int) -> tuple[float, int]:
    """Seconds to lay out and write the page text of the same graph in process, and its size."""
    from pivot.report import dagpage

    states = list(dagpage.State)
    listed = stages(chains, length)
    boxes = tuple(dagpage.StageBox(name, states[i % 4], "Dependencies changed" if i % 4 == 1 else "", (), (out,)) for i, (name, _, out) in enumerate(listed))
    producer = {out: name for name, _, out in listed}
    edges = tuple((producer[dep], name) for name, deps, _ in listed for dep in deps if dep in producer)
    start = time.perf_counter()
    text = dagpage.render(dagpage.DagView(boxes, edges))
    return time.perf_counter() - start, len(text.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=20)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_dvc()
    dvc, pivot = WORK / "dvc", WORK / "pivot"
    build(dvc, args.chains, args.length, "dvc.yaml")
    run([str(DVC_VENV / "bin" / "dvc"), "init", "-q"], dvc, {})
    build(pivot, args.chains, args.length, "pivot.yaml")
    pivot_env = {"PYTHONPATH": str(REPO_DIR)}
    py = [sys.executable, "-m", "pivot"]
    ran = run([*py, "run", "-j2"], pivot, pivot_env)
    (pivot / "data/c0_s0.txt").write_text("edited\n")  # chain 0 and what reads it go stale
    cases = {
        "dvc dag --dot": ([str(DVC_VENV / "bin" / "dvc"), "dag", "--dot"], dvc, {}),
        "dvc dag --mermaid": ([str(DVC_VENV / "bin" / "dvc"), "dag", "--mermaid"], dvc, {}),
        "pivot dag --dot": ([*py, "dag", "--dot"], pivot, pivot_env),
        "pivot status": ([*py, "status"], pivot, pivot_env),
        "pivot dag --html": ([*py, "dag", "--html"], pivot, pivot_env),
    }
    times: dict[str, list[float]] = {label: [] for label in cases}
    for _ in range(args.runs):
        for label, (cmd, cwd, env) in cases.items():
            times[label].append(run(cmd, cwd, env))
    drawing, size = drawing_alone(args.chains, args.length)
    page = (pivot / "pivot_dag.html").stat().st_size
    n = args.chains * args.length
    print(f"{n} stages ({args.chains} chains of {args.length}); pivot run -j2 once first: {ran:.1f} s; median of {args.runs}\n")
    base = statistics.median(times["dvc dag --dot"])
    print("| command | seconds | time / dvc dag --dot |\n|---|---:|---:|")
    for label, found in times.items():
        median = statistics.median(found)
        print(f"| `{label}` | {median:.2f} | {median / base:.2f}x |")
    print(f"| drawing alone (layout and page text, in process) | {drawing:.2f} | {drawing / base:.2f}x |")
    print(f"\npage: {page / 1e6:.2f} MB (the in-process drawing's: {size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
