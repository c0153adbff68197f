"""Workloads `bigfile` (c) and `manyfiles` (d): one stage writing a 1 GiB file or a directory of
10,000 files, timed against writing the same bytes with plain Python (the baseline) in pairs.

Also owns gen.py, the generator of those bytes, which the `remote` workload reuses.
"""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import textwrap
from pathlib import Path

import harness
from harness import Row, Settings, ToolFailed
from tools import Tool, baseline_python

GEN_PY = '''\
"""Writes the benchmark's big outputs; used by the baseline, the DVC command and the pivot stage."""
import os
import random
import sys

MIB = 1 << 20
BIG_MIB = BIG_MIB_VALUE
N_FILES = N_FILES_VALUE
FILE_BYTES = FILE_BYTES_VALUE


def write_big(path):
    # 1 MiB of seeded random bytes, each copy stamped with its index so no two MiB are equal.
    block = random.Random(0).randbytes(MIB)
    tail = memoryview(block)[8:]
    with open(path, "wb") as f:
        for i in range(BIG_MIB):
            f.write(i.to_bytes(8, "little"))
            f.write(tail)


def write_tree(path):
    os.makedirs(path, exist_ok=True)
    block = random.Random(1).randbytes(FILE_BYTES)
    for i in range(N_FILES):
        with open(os.path.join(path, f"f{i:05d}.bin"), "wb") as f:
            f.write(i.to_bytes(8, "little") + block[8:])


if __name__ == "__main__":
    what, dest = sys.argv[1], sys.argv[2]
    write_big(dest) if what == "big" else write_tree(dest)
'''

BIG_STAGES_PY = '''\
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs

import gen


class BigOut(TypedDict):
    big: Annotated[pathlib.Path, outputs.Out("data/big.bin", loaders.PathOnly())]


def make_big(seed: Annotated[pathlib.Path, outputs.Dep("data/seed.txt", loaders.PathOnly())]) -> BigOut:
    gen.write_big("data/big.bin")
    return {"big": pathlib.Path("data/big.bin")}


class TreeOut(TypedDict):
    tree: Annotated[pathlib.Path, outputs.Out("outdir", loaders.PathOnly())]


def make_tree(seed: Annotated[pathlib.Path, outputs.Dep("data/seed.txt", loaders.PathOnly())]) -> TreeOut:
    gen.write_tree("outdir")
    return {"tree": pathlib.Path("outdir")}
'''


@dataclasses.dataclass(frozen=True)
class BigSpec:
    key: str  # "bigfile" / "manyfiles"
    gen_arg: str  # "big" / "tree"
    out: str  # output path
    func: str  # pivot function
    out_name: str  # pivot out name


BIGFILE = BigSpec("bigfile", "big", "data/big.bin", "make_big", "big")
MANYFILES = BigSpec("manyfiles", "tree", "outdir", "make_tree", "tree")


def gen_py(big_mib: int, n_files: int, file_bytes: int) -> str:
    return (GEN_PY.replace("BIG_MIB_VALUE", str(big_mib)).replace("N_FILES_VALUE", str(n_files))
            .replace("FILE_BYTES_VALUE", str(file_bytes)))


def build_big(proj: Path, tool: Tool | None, cfg: Settings, spec: BigSpec, sizes: tuple[int, int, int] | None = None) -> None:
    """sizes: (MiB of the big file, files in the tree, bytes per file); default workloads c, d."""
    harness.write(proj / "gen.py", gen_py(*(sizes or (cfg.big_mib, cfg.n_files, 1024))))
    harness.write(proj / "data/seed.txt", "seed\n")
    if tool is None:
        return
    if tool.name == "dvc":
        harness.write(
            proj / "dvc.yaml",
            textwrap.dedent(
                f"""\
                stages:
                  {spec.key}:
                    cmd: python gen.py {spec.gen_arg} {spec.out}
                    deps: [gen.py, data/seed.txt]
                    outs: [{spec.out}]
                """
            ),
        )
    else:
        harness.write(proj / "stages.py", BIG_STAGES_PY)
        harness.write(
            proj / "pivot.yaml",
            textwrap.dedent(
                f"""\
                stages:
                  {spec.key}:
                    python: stages.{spec.func}
                    deps:
                      seed: data/seed.txt
                    outs:
                      {spec.out_name}: {spec.out}
                """
            ),
        )


def warm_up(py: str, cfg: Settings, spec: BigSpec) -> None:
    """Write the output a few times side by side, untimed, then delete it all.

    On a VM the first time the guest touches a GiB of page cache is several times slower than
    any later time (2 s vs 0.2 s for 1 GiB here), so without this whichever run comes first
    pays for it and the overhead figures are noise.
    """
    proj = harness.fresh_dir(f"{spec.key}-warmup")
    build_big(proj, None, cfg, spec)
    copies = 3 if spec.gen_arg == "big" else 2
    for i in range(copies):
        harness.run_cmd([py, "gen.py", spec.gen_arg, f"{spec.out}.{i}"], proj, f"{spec.key}-warmup")
    shutil.rmtree(proj)


def check_big(proj: Path, cfg: Settings, spec: BigSpec, label: str) -> None:
    p = proj / spec.out
    if spec.gen_arg == "big":
        ok = p.is_file() and p.stat().st_size == cfg.big_mib << 20
    else:
        ok = p.is_dir() and sum(1 for _ in p.iterdir()) == cfg.n_files
    if not ok:
        harness.problem(f"{label}: output {spec.out} missing or incomplete after the run")


def bench_big(tools: list[Tool], cfg: Settings, spec: BigSpec) -> list[Row]:
    """Overhead = tool run - plain-Python baseline, measured in pairs (baseline right before each
    tool run) so that a burst of load from other processes on this shared machine tends to hit
    both halves of a pair rather than only one side."""
    if spec.gen_arg == "big":
        row = Row(f"caching a {cfg.big_mib / 1024:g} GiB output: overhead", "pivot < 1.5 s", harness.under(1.5))
    else:
        row = Row(f"{cfg.n_files:,}-file output directory (1 KiB each): overhead", "pivot < 3 s", harness.under(3.0))
    py = baseline_python()
    try:
        warm_up(py, cfg, spec)
    except ToolFailed as exc:
        harness.problem(f"{spec.key}/warm-up failed: {exc}")
        return [row]
    for tool in tools:
        row.attempted.add(tool.name)
        totals, bases = [], []
        try:
            for i in range(cfg.big_repeats):
                base, total = timed_pair(py, tool, cfg, spec)
                totals.append(total)
                bases.append(base)
                harness.say(f"[{spec.key}] {tool.name} {i + 1}/{cfg.big_repeats}: {total:.2f} s, "
                            f"baseline {base:.2f} s, overhead {total - base:.2f} s")
        except ToolFailed as exc:
            harness.problem(f"{spec.key}/{tool.name} failed: {exc}")
            continue
        setattr(row, tool.name, statistics.median(totals[k] - bases[k] for k in range(len(totals))))
        row.notes.append(f"{tool.name}: total {statistics.median(totals):.2f} s, "
                         f"baseline {statistics.median(bases):.2f} s")
    return [row]


def timed_pair(py: str, tool: Tool, cfg: Settings, spec: BigSpec) -> tuple[float, float]:
    """(baseline seconds, tool seconds): the plain-Python write, then the tool's run right after,
    each in a fresh project deleted afterwards to free the disk (and page cache)."""
    proj = harness.fresh_dir(f"{spec.key}-baseline")
    build_big(proj, None, cfg, spec)
    harness.settle()
    base = harness.run_cmd([py, "gen.py", spec.gen_arg, spec.out], proj, f"{spec.key}-baseline")
    check_big(proj, cfg, spec, f"{spec.key}/baseline")
    shutil.rmtree(proj)

    log = f"{spec.key}-{tool.name}"
    proj = harness.fresh_dir(log)
    build_big(proj, tool, cfg, spec)
    tool.init(proj, log)
    harness.settle()
    total = tool.run(proj, log)
    check_big(proj, cfg, spec, f"{spec.key}/{tool.name}")
    shutil.rmtree(proj)
    return base, total
