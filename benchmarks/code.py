#!/usr/bin/env python3
"""What code fingerprinting costs (issue 5's benchmark), stdlib only:

    python3 benchmarks/code.py [--quick] [--pivot-python PATH]

1. Fingerprinting a 200-stage pipeline (200 distinct stage functions in 20 modules, each calling
   helpers and reading constants, plus a shared utils module): cold (a fresh process walks the
   code) and warm (the memo: nothing changed, nothing imported or walked).
2. The no-op `pivot run` of the core `chains` workload (200 stages) whose stages module imports
   pandas: as shipped (memo, no import) against the same run with code fingerprinting disabled
   (the fingerprint replaced by a constant through a wrapper, and no memo, so the user's module is
   imported as a loader without fingerprints would have to), and against a no-op without the memo.

Prints a markdown table; `run.py --only code` appends it to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORK = BENCH_DIR / ".work" / "code"
PY = REPO_DIR / ".venv" / "bin" / "python"

MODULE = '''\
from typing import Annotated

from pivot import loaders, outputs

import utils

SCALE_{m} = {m}
WORDS_{m} = ("alpha", "beta", "gamma")


def _tidy_{m}(text):
    return utils.normalize(text).replace("  ", " ")


class Counter{m}:
    def __init__(self, k):
        self.k = k

    def count(self, text):
        return len(text) * self.k + SCALE_{m}

'''
STAGE = '''
def stage_{m}_{i}(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out("out.txt", loaders.Text())]:
    text = _tidy_{m}(src) + WORDS_{m}[{i} % 3]
    return text + str(Counter{m}({i}).count(text)) + utils.stamp({i})
'''
UTILS = '''\
LIMIT = 80


def normalize(text):
    return " ".join(text.split())[:LIMIT]


def stamp(i):
    return "#" + str(i)
'''

MEASURE = '''\
import json, sys, time
t0 = time.perf_counter()
from pivot.base import project
from pivot.code import fingerprint
from pivot.declare import discovery, loadmemo
proj = project.Project(project.find_root())
mode = sys.argv[1]
if mode == "cold":
    import importlib
    from pivot.declare import config
    pipeline = config.load_pipeline(proj)
    discovery.prepare_imports(proj.root)
    funcs = {}
    for name, entry in pipeline.stages.items():
        module, _, attr = entry.python.rpartition(".")
        funcs[name] = getattr(importlib.import_module(module), attr)
    t1 = time.perf_counter()
    for func in funcs.values():
        fingerprint.of(func, relative_to=str(proj.root))
    print(json.dumps({"seconds": time.perf_counter() - t1}))
else:
    t1 = time.perf_counter()
    loaded = loadmemo.load(proj)
    print(json.dumps({"seconds": time.perf_counter() - t1, "imported": "stages_0" in sys.modules}))
'''

# The baseline: the same CLI, with the code fingerprint replaced by a constant and no memo.
NO_FINGERPRINT = '''\
import sys
from pivot.code import fingerprint
fingerprint.of = lambda func, *, relative_to: fingerprint.Fingerprint("0" * 32, {}, {})
from pivot.cli import main
sys.argv = ["pivot", *sys.argv[1:]]
main()
'''

CHAINS = '''\
from typing import Annotated, TypedDict

import pandas  # what a real stages module imports: about half a second
from pivot import loaders, outputs


class StepOut(TypedDict):
    dst: Annotated[str, outputs.Out("out.txt", loaders.Text())]


def step(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> StepOut:
    return {"dst": src + "step\\n"}
'''


def sh(cmd: list[str], cwd: Path) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)} in {cwd}\n{done.stdout}\n{done.stderr}")
    return done.stdout


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    sh(cmd, cwd)
    return time.perf_counter() - start


def fresh(name: str) -> Path:
    path = WORK / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def build_many(proj: Path, modules: int, per_module: int) -> None:
    (proj / "utils.py").write_text(UTILS)
    (proj / "in.txt").write_text("some  input text\n")
    lines = ["stages:"]
    for m in range(modules):
        text = MODULE.format(m=m) + "".join(STAGE.format(m=m, i=i) for i in range(per_module))
        (proj / f"stages_{m}.py").write_text(text)
        for i in range(per_module):
            lines += [f"  s{m}_{i}:", f"    python: stages_{m}.stage_{m}_{i}", "    outs:", f"      return: out/{m}_{i}.txt"]
    (proj / "pivot.yaml").write_text("\n".join(lines) + "\n")
    (proj / "measure.py").write_text(MEASURE)
    sh([str(PY), "-m", "pivot", "init"], proj)


def build_chains(proj: Path, chains: int, length: int) -> None:
    (proj / "stages.py").write_text(CHAINS)
    lines = ["stages:"]
    for c in range(chains):
        (proj / "data").mkdir(exist_ok=True)
        (proj / f"data/c{c}_s0.txt").write_text(f"root {c}\n")
        for s in range(1, length + 1):
            lines += [f"  c{c}_s{s}:", "    python: stages.step", "    deps:", f"      src: data/c{c}_s{s - 1}.txt",
                      "    outs:", f"      dst: data/c{c}_s{s}.txt"]
    (proj / "pivot.yaml").write_text("\n".join(lines) + "\n")
    (proj / "nofp.py").write_text(NO_FINGERPRINT)
    sh([str(PY), "-m", "pivot", "init"], proj)


def median_of(repeats: int, measure) -> tuple[float, list[float]]:
    values = [measure() for _ in range(repeats)]
    return statistics.median(values), values


Measurement = tuple[str, float, list[float]]  # (what, median seconds, the runs)


def fingerprint_rows(repeats: int) -> list[Measurement] | None:
    """Fingerprinting 200 stage functions cold and warm; None if the warm load imported them."""
    proj = fresh("many")
    build_many(proj, 20, 10)
    memo = proj / ".pivot" / "tmp" / "pipeline.memo"
    cold, cold_runs = median_of(repeats, lambda: json.loads(sh([str(PY), "measure.py", "cold"], proj))["seconds"])
    memo.unlink(missing_ok=True)
    sh([str(PY), "measure.py", "warm"], proj)  # writes the memo
    warm_results = [json.loads(sh([str(PY), "measure.py", "warm"], proj)) for _ in range(repeats)]
    if any(r["imported"] for r in warm_results):
        print("problem: the warm load imported the user's modules", file=sys.stderr)
        return None
    warm = statistics.median(r["seconds"] for r in warm_results)
    return [
        ("fingerprint 200 stage functions in 20 modules: cold (walk the code)", cold, cold_runs),
        ("the same, warm (memo valid: nothing imported or walked)", warm, [r["seconds"] for r in warm_results]),
    ]


def noop_rows(repeats: int) -> list[Measurement] | None:
    """The chains no-op as shipped, without the memo, and with fingerprinting disabled; None if a
    no-op run ran stages."""
    proj = fresh("chains")
    build_chains(proj, 20, 10)
    pivot = [str(PY), "-m", "pivot", "run", "-j2"]
    sh(pivot, proj)
    memo = proj / ".pivot" / "tmp" / "pipeline.memo"
    shipped, shipped_runs = median_of(repeats, lambda: timed(pivot, proj))

    def without_memo() -> float:
        memo.unlink(missing_ok=True)
        return timed(pivot, proj)

    no_memo, no_memo_runs = median_of(repeats, without_memo)

    # The baseline needs its own project: its locks must hold the constant fingerprint too.
    base = fresh("chains-nofp")
    build_chains(base, 20, 10)
    base_memo = base / ".pivot" / "tmp" / "pipeline.memo"
    nofp = [str(PY), "nofp.py", "run", "-j2"]
    sh(nofp, base)

    def no_fingerprint() -> float:
        base_memo.unlink(missing_ok=True)
        return timed(nofp, base)

    baseline, baseline_runs = median_of(repeats, no_fingerprint)
    for where, command in ((proj, pivot), (base, nofp)):
        if "running" in sh(command, where):
            print(f"problem: a no-op run in {where.name} ran stages", file=sys.stderr)
            return None
    return [
        ("no-op run, 200 stages, stages module imports pandas: as shipped (memo)", shipped, shipped_runs),
        ("the same without the memo (import + fingerprint)", no_memo, no_memo_runs),
        ("the same with code fingerprinting disabled (import, constant fingerprint)", baseline, baseline_runs),
    ]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    repeats = 1 if args.quick else 5
    fingerprints = fingerprint_rows(repeats)
    if fingerprints is None:
        return 1
    noops = noop_rows(repeats)
    if noops is None:
        return 1

    print("| measurement | seconds (median) | runs |\n|---|---:|---|")
    for name, value, runs in fingerprints + noops:
        print(f"| {name} | {value:.3f} | {', '.join(f'{x:.3f}' for x in runs)} |")
    ratio = noops[0][1] / noops[2][1]  # shipped / fingerprinting disabled
    print(f"\nwarm no-op / fingerprinting disabled = {ratio:.2f}x (target: within 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
