"""Workload `heavyimport` (h): a chain of 4 stages in one module that takes 2 s to import (the
stand-in for a module importing scikit-learn, pandas and matplotlib), each stage working 0.5 s.
A tool that imports the module once per stage pays 4 imports; pivot should pay about one (its
workers fork from a server that imported the module while pivot loaded the pipeline)."""

from __future__ import annotations

import functools
from pathlib import Path

import harness
from harness import Row, Settings, ToolFailed
from tools import Tool, cold_run

N_STAGES = 4
IMPORT_S = 2.0
STAGE_S = 0.5
# The target of issue 15: under 1.5 x (the stages' own time + one import).
TARGET_S = 1.5 * (N_STAGES * STAGE_S + IMPORT_S)

PIVOT_MODULE = '''\
import time
from typing import Annotated

from pivot import loaders, outputs

time.sleep(IMPORT_S)


def s0() -> Annotated[str, outputs.Out("data/d0.txt", loaders.Text())]:
    time.sleep(STAGE_S)
    return "0"
''' + "".join(
    f'''

def s{i}(src: Annotated[str, outputs.Dep("data/d{i - 1}.txt", loaders.Text())]) -> Annotated[str, outputs.Out("data/d{i}.txt", loaders.Text())]:
    time.sleep(STAGE_S)
    return src + "{i}"
'''
    for i in range(1, N_STAGES)
)

DVC_MODULE = '''\
import pathlib
import time

time.sleep(IMPORT_S)


def step(i):
    time.sleep(STAGE_S)
    src = pathlib.Path(f"data/d{i - 1}.txt").read_text() if i else ""
    pathlib.Path(f"data/d{i}.txt").write_text(src + str(i))
'''


def build_heavyimport(proj: Path, tool: Tool) -> None:
    lines = ["stages:"]
    for i in range(N_STAGES):
        if tool.name == "dvc":
            deps = ["stages.py", *([f"data/d{i - 1}.txt"] if i else [])]
            lines += [f"  s{i}:", f'    cmd: python -c "import stages; stages.step({i})"',
                      f"    deps: [{', '.join(deps)}]", f"    outs: [data/d{i}.txt]"]
        else:
            lines += [f"  s{i}:", f"    python: stages.s{i}"]
    module = DVC_MODULE if tool.name == "dvc" else PIVOT_MODULE
    harness.write(proj / "stages.py", module.replace("IMPORT_S", repr(IMPORT_S)).replace("STAGE_S", repr(STAGE_S)))
    (proj / "data").mkdir(exist_ok=True)
    harness.write(proj / ("dvc.yaml" if tool.name == "dvc" else "pivot.yaml"), "\n".join(lines) + "\n")


def bench_heavyimport(tools: list[Tool], cfg: Settings) -> list[Row]:
    row = Row(
        f"{N_STAGES}-stage chain, module importing in {IMPORT_S:g} s, stages {STAGE_S:g} s each (cold, pivot -j2)",
        f"pivot < {TARGET_S:g} s",
        harness.under(TARGET_S),
    )
    for tool in tools:
        row.attempted.add(tool.name)
        repeats = cfg.cold_repeats(tool.name)
        try:
            times = []
            for i in range(repeats):
                proj, secs = cold_run(tool, "heavyimport", functools.partial(build_heavyimport, tool=tool),
                                      2 if tool.name == "pivot" else None,
                                      f"[heavyimport] {tool.name}: run {i + 1}/{repeats}...")
                times.append(secs)
                harness.say(f"          {secs:.2f} s")
                if not (proj / f"data/d{N_STAGES - 1}.txt").exists():
                    harness.problem(f"heavyimport/{tool.name}: the last stage's output is missing")
            row.record(tool.name, times)
        except ToolFailed as exc:
            harness.problem(f"heavyimport/{tool.name} failed: {exc}")
    return [row]
