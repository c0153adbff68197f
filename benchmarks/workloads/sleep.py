"""Workload `sleep` (b): independent stages that each sleep and copy their input, so the time
shows how many a tool runs at once."""

from __future__ import annotations

import functools
from pathlib import Path

import harness
from harness import Row, Settings, ToolFailed
from tools import Tool, cold_run

SLEEP_STAGES_PY = '''\
import time
from typing import Annotated, TypedDict

from pivot import loaders, outputs


class NapOut(TypedDict):
    out: Annotated[str, outputs.Out("o.txt", loaders.Text())]


def nap(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> NapOut:
    time.sleep(SLEEP_S)
    return {"out": src}
'''

SLEEP_NAP_PY = '''\
import shutil
import sys
import time

time.sleep(SLEEP_S)
shutil.copyfile(sys.argv[1], sys.argv[2])
'''


def build_sleep(proj: Path, tool: Tool, cfg: Settings) -> None:
    lines = ["stages:"]
    for i in range(cfg.n_sleepers):
        harness.write(proj / f"data/in_{i}.txt", f"input {i}\n")
        if tool.name == "dvc":
            lines += [
                f"  nap_{i}:",
                f"    cmd: python nap.py data/in_{i}.txt data/out_{i}.txt",
                f"    deps: [nap.py, data/in_{i}.txt]",
                f"    outs: [data/out_{i}.txt]",
            ]
        else:
            lines += [
                f"  nap_{i}:",
                "    python: stages.nap",
                "    deps:",
                f"      src: data/in_{i}.txt",
                "    outs:",
                f"      out: data/out_{i}.txt",
            ]
    if tool.name == "dvc":
        harness.write(proj / "nap.py", SLEEP_NAP_PY.replace("SLEEP_S", repr(cfg.sleep_s)))
        harness.write(proj / "dvc.yaml", "\n".join(lines) + "\n")
    else:
        harness.write(proj / "stages.py", SLEEP_STAGES_PY.replace("SLEEP_S", repr(cfg.sleep_s)))
        harness.write(proj / "pivot.yaml", "\n".join(lines) + "\n")


def bench_sleep(tools: list[Tool], cfg: Settings) -> list[Row]:
    row = Row(
        f"{cfg.n_sleepers} independent stages sleeping {cfg.sleep_s:g} s (pivot -j{cfg.pivot_jobs_sleep})",
        "pivot < 2.15 s",
        harness.under(2.15),
    )
    for tool in tools:
        jobs = cfg.pivot_jobs_sleep if tool.name == "pivot" else None
        row.attempted.add(tool.name)
        repeats = cfg.cold_repeats(tool.name)
        try:
            times = []
            for i in range(repeats):
                proj, secs = cold_run(tool, "sleep", functools.partial(build_sleep, tool=tool, cfg=cfg), jobs,
                                      f"[sleep] {tool.name}: run {i + 1}/{repeats}...")
                times.append(secs)
                harness.say(f"          {secs:.2f} s")
                missing = [i for i in range(cfg.n_sleepers) if not (proj / f"data/out_{i}.txt").exists()]
                if missing:
                    harness.problem(f"sleep/{tool.name}: outputs missing for stages {missing}")
            row.record(tool.name, times)
        except ToolFailed as exc:
            harness.problem(f"sleep/{tool.name} failed: {exc}")
    return [row]
