"""Workload `chains` (a): independent chains of tiny stages, run cold, as a no-op, and with one
chain's root edited; each run checked (outputs, untouched mtimes, only the edited chain rerun)."""

from __future__ import annotations

import functools
from pathlib import Path

import harness
from harness import Row, Settings, ToolFailed
from tools import Tool, cold_run

CHAINS_STAGES_PY = '''\
from typing import Annotated, TypedDict

from pivot import loaders, outputs


class StepOut(TypedDict):
    dst: Annotated[str, outputs.Out("out.txt", loaders.Text())]


def step(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> StepOut:
    return {"dst": src + "step\\n"}
'''

CHAINS_STEP_PY = '''\
import sys

src, dst = sys.argv[1], sys.argv[2]
with open(src) as f:
    text = f.read()
with open(dst, "w") as f:
    f.write(text + "step\\n")
'''


def chain_path(c: int, s: int) -> str:
    return f"data/c{c}_s{s}.txt"


def root_text(c: int) -> str:
    return f"root of chain {c}\n"


def build_chains(proj: Path, tool: Tool, cfg: Settings) -> None:
    for c in range(cfg.chains):
        harness.write(proj / chain_path(c, 0), root_text(c))
    lines = ["stages:"]
    if tool.name == "dvc":
        harness.write(proj / "step.py", CHAINS_STEP_PY)
        for c in range(cfg.chains):
            for s in range(1, cfg.chain_len + 1):
                src, dst = chain_path(c, s - 1), chain_path(c, s)
                lines += [
                    f"  c{c}_s{s}:",
                    f"    cmd: python step.py {src} {dst}",
                    f"    deps: [step.py, {src}]",
                    f"    outs: [{dst}]",
                ]
        harness.write(proj / "dvc.yaml", "\n".join(lines) + "\n")
    else:
        harness.write(proj / "stages.py", CHAINS_STAGES_PY)
        for c in range(cfg.chains):
            for s in range(1, cfg.chain_len + 1):
                lines += [
                    f"  c{c}_s{s}:",
                    "    python: stages.step",
                    "    deps:",
                    f"      src: {chain_path(c, s - 1)}",
                    "    outs:",
                    f"      dst: {chain_path(c, s)}",
                ]
        harness.write(proj / "pivot.yaml", "\n".join(lines) + "\n")


def check_chains(proj: Path, cfg: Settings, roots: dict[int, str], label: str) -> None:
    bad = []
    for c in range(cfg.chains):
        for s in range(1, cfg.chain_len + 1):
            p = proj / chain_path(c, s)
            want = roots[c] + "step\n" * s
            if not p.exists():
                bad.append(f"{p.name} missing")
            elif p.read_text() != want:
                bad.append(f"{p.name} has wrong content")
    if bad:
        harness.problem(f"{label}: outputs wrong after run ({len(bad)} bad, e.g. {bad[:3]})")


def out_mtimes(proj: Path, cfg: Settings) -> dict[str, int]:
    res = {}
    for c in range(cfg.chains):
        for s in range(1, cfg.chain_len + 1):
            p = proj / chain_path(c, s)
            res[p.name] = p.stat().st_mtime_ns if p.exists() else -1
    return res


def jobs_of(tool: Tool, cfg: Settings) -> int | None:
    return cfg.pivot_jobs_chains if tool.name == "pivot" else None


def log_of(tool: Tool) -> str:
    return f"chains-{tool.name}"


def bench_chains(tools: list[Tool], cfg: Settings) -> list[Row]:
    n = cfg.chains * cfg.chain_len
    shape = f"{n} stages ({cfg.chains} chains of {cfg.chain_len})"
    rows = {
        "cold": Row(f"{shape}: cold run", "pivot < 2 s", harness.under(2.0)),
        "noop": Row(f"{shape}: no-op run", "≥ 10x faster than DVC", harness.ratio_at_least(10.0)),
        "edit": Row(f"{shape}: one root edited ({cfg.chain_len} rerun)", "pivot < 0.5 s", harness.under(0.5)),
    }
    for tool in tools:
        for r in rows.values():
            r.attempted.add(tool.name)
        try:
            # One project through the three runs: the no-op and edit runs start from the cold one.
            proj = cold_runs(tool, cfg, rows["cold"])
            roots = {c: root_text(c) for c in range(cfg.chains)}
            check_chains(proj, cfg, roots, f"chains/{tool.name} cold")
            noop_runs(tool, cfg, proj, roots, rows["noop"])
            edit_runs(tool, cfg, proj, roots, rows["edit"])
        except ToolFailed as exc:
            harness.problem(f"chains/{tool.name} failed: {exc}")
    return list(rows.values())


def cold_runs(tool: Tool, cfg: Settings, row: Row) -> Path:
    """Everything runs, each repeat in a fresh project; returns the last project."""
    n = cfg.chains * cfg.chain_len
    repeats = cfg.cold_repeats(tool.name)
    cold = []
    for i in range(repeats):
        proj, secs = cold_run(tool, "chains", functools.partial(build_chains, tool=tool, cfg=cfg), jobs_of(tool, cfg),
                              f"[chains] {tool.name}: cold run {i + 1}/{repeats} ({n} stages)...")
        cold.append(secs)
        harness.say(f"           {secs:.2f} s")
    row.record(tool.name, cold)
    return proj


def noop_runs(tool: Tool, cfg: Settings, proj: Path, roots: dict[int, str], row: Row) -> None:
    """Nothing changed: nothing may run, and no output may be rewritten."""
    label = f"chains/{tool.name}"
    noop = []
    for i in range(cfg.noop_repeats):
        before = out_mtimes(proj, cfg)
        harness.settle()  # the previous run's writes (this tool's, or the other tool's) land now, not in this timing
        noop.append(tool.run(proj, log_of(tool), jobs_of(tool, cfg)))
        if out_mtimes(proj, cfg) != before:
            harness.problem(f"{label} no-op run {i + 1} rewrote outputs (mtimes changed)")
    harness.say(f"[chains] {tool.name}: no-op runs: " + harness.fmt_times(noop))
    check_chains(proj, cfg, roots, f"{label} no-op")
    row.record(tool.name, noop)


def edit_runs(tool: Tool, cfg: Settings, proj: Path, roots: dict[int, str], row: Row) -> None:
    """One root edited per repeat (a different chain each time): only that chain may rerun."""
    label = f"chains/{tool.name}"
    edit = []
    for i in range(cfg.edit_repeats):
        c = i % cfg.chains
        roots[c] += f"edit {i}\n"
        (proj / chain_path(c, 0)).write_text(roots[c])
        before = out_mtimes(proj, cfg)
        harness.settle()
        edit.append(tool.run(proj, log_of(tool), jobs_of(tool, cfg)))
        after = out_mtimes(proj, cfg)
        touched = {k for k in after if after[k] != before[k]}
        expected = {Path(chain_path(c, s)).name for s in range(1, cfg.chain_len + 1)}
        if touched - expected:
            harness.problem(f"{label} edit run {i + 1} rewrote unrelated outputs: {sorted(touched - expected)[:5]}")
    harness.say(f"[chains] {tool.name}: one-root-edited runs: " + harness.fmt_times(edit))
    check_chains(proj, cfg, roots, f"{label} edit")
    row.record(tool.name, edit)
