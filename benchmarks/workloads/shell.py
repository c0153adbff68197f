"""Workload `shell` (l): 200 shell stages (`cmd: cp IN OUT`, 20 chains of 10) under `pivot run`
against `dvc repro` on the same dvc.yaml (pivot runs the pivot.yaml `pivot import-dvc` makes of it),
and against pivot's Python-stage chain of the same shape (a function returning its input): cold,
no-op, one root edited. Its own table of
times and ratios: DVC / pivot-shell says what pivot's engine saves, pivot-shell / pivot-python
what a process per stage costs."""

from __future__ import annotations

import functools
from pathlib import Path

import harness
from harness import Settings, ToolFailed
from tools import Tool, cold_run

COPY_STAGES_PY = '''\
from typing import Annotated

from pivot import loaders, outputs


def copy(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out("out.txt", loaders.Text())]:
    return src
'''

VARIANTS = ("dvc", "pivot-shell", "pivot-python")
PHASES = ("cold", "no-op", "one root edited")


def path(c: int, s: int) -> str:
    return f"data/c{c}_s{s}.txt"


def build(proj: Path, variant: str, cfg: Settings, pivot_exe: str = "") -> None:
    for c in range(cfg.chains):
        harness.write(proj / path(c, 0), f"root of chain {c}\n")
    lines = ["stages:"]
    for c in range(cfg.chains):
        for s in range(1, cfg.chain_len + 1):
            src, dst = path(c, s - 1), path(c, s)
            if variant == "pivot-python":
                lines += [f"  c{c}_s{s}:", "    python: stages.copy", f"    deps:\n      src: {src}", f"    outs:\n      return: {dst}"]
            else:  # the same dvc.yaml for DVC and pivot
                lines += [f"  c{c}_s{s}:", f"    cmd: cp {src} {dst}", f"    deps: [{src}]", f"    outs: [{dst}]"]
    if variant == "pivot-python":
        harness.write(proj / "stages.py", COPY_STAGES_PY)
    harness.write(proj / ("pivot.yaml" if variant == "pivot-python" else "dvc.yaml"), "\n".join(lines) + "\n")
    if variant == "pivot-shell":  # pivot runs what `pivot import-dvc` makes of DVC's very file
        harness.run_cmd([pivot_exe, "import-dvc"], proj, f"shell-{variant}")


def check(proj: Path, cfg: Settings, roots: dict[int, str], label: str) -> None:
    bad = [path(c, s) for c in range(cfg.chains) for s in range(1, cfg.chain_len + 1)
           if not (proj / path(c, s)).is_file() or (proj / path(c, s)).read_text() != roots[c]]
    if bad:
        harness.problem(f"{label}: {len(bad)} outputs wrong, e.g. {bad[:3]}")


def bench_shell(tools: list[Tool], cfg: Settings) -> str:
    by_name = {tool.name: tool for tool in tools}
    times: dict[tuple[str, str], float] = {}
    for variant in VARIANTS:
        tool = by_name.get(variant.split("-")[0])
        if tool is None:
            continue
        try:
            times.update(_measure(tool, variant, cfg))
        except ToolFailed as exc:
            harness.problem(f"shell/{variant} failed: {exc}")
    return _table(times, cfg)


def _measure(tool: Tool, variant: str, cfg: Settings) -> dict[tuple[str, str], float]:
    n = cfg.chains * cfg.chain_len
    jobs = cfg.pivot_jobs_chains if tool.name == "pivot" else None
    log = f"shell-{variant}"
    make = functools.partial(build, variant=variant, cfg=cfg, pivot_exe=tool.exe)
    proj, cold = cold_run(tool, log, make, jobs, f"[shell] {variant}: cold run ({n} stages)...")
    roots = {c: f"root of chain {c}\n" for c in range(cfg.chains)}
    check(proj, cfg, roots, f"shell/{variant} cold")
    noop = []
    for _ in range(cfg.noop_repeats):
        harness.settle()
        noop.append(tool.run(proj, log, jobs))
    edit = []
    for i in range(cfg.edit_repeats):
        c = i % cfg.chains
        roots[c] += f"edit {i}\n"
        (proj / path(c, 0)).write_text(roots[c])
        harness.settle()
        edit.append(tool.run(proj, log, jobs))
    check(proj, cfg, roots, f"shell/{variant} after edits")
    harness.say(f"[shell] {variant}: cold {cold:.2f} s; no-op {harness.fmt_times(noop)}; edited {harness.fmt_times(edit)}")
    return {(variant, "cold"): cold, (variant, "no-op"): _median(noop), (variant, "one root edited"): _median(edit)}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _table(times: dict[tuple[str, str], float], cfg: Settings) -> str:
    def cell(variant: str, phase: str) -> str:
        value = times.get((variant, phase))
        return "not run" if value is None else f"{value:.2f}"

    def ratio(a: str, b: str, phase: str) -> str:
        x, y = times.get((a, phase)), times.get((b, phase))
        return "?" if x is None or y is None or y <= 0 else f"{x / y:.1f}x"

    n = cfg.chains * cfg.chain_len
    out = [
        f"\n## Shell stages: {n} `cp` stages ({cfg.chains} chains of {cfg.chain_len}), pivot against DVC and against its Python stages\n",
        f"pivot runs with -j{cfg.pivot_jobs_chains} the pivot.yaml `pivot import-dvc` made of the dvc.yaml DVC runs with `dvc repro`. "
        "Wall seconds (median of repeats for no-op and edited).\n",
        "| run | DVC (s) | pivot shell (s) | pivot Python (s) | DVC / pivot shell | pivot shell / pivot Python |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for phase in PHASES:
        out.append(
            f"| {phase} | {cell('dvc', phase)} | {cell('pivot-shell', phase)} | {cell('pivot-python', phase)} "
            f"| {ratio('dvc', 'pivot-shell', phase)} | {ratio('pivot-shell', 'pivot-python', phase)} |"
        )
    return "\n".join(out) + "\n"
