#!/usr/bin/env python3
"""Benchmark pivot against DVC on the workloads in benchmarks/README.md.

Stdlib only, so it runs with any python3:

    python3 benchmarks/run.py [--quick] [--only NAME[,NAME]] [--tools dvc,pivot,snakemake] [--pivot PATH]

DVC lives in its own venv (benchmarks/.venv-dvc, created on first use); it is never a pivot
dependency. Every workload is built from scratch under benchmarks/.work/ for each tool. The table
is printed and written to benchmarks/results.md. The remote workload starts its own moto S3
server on 127.0.0.1 and needs dvc[s3] in the DVC venv (installed on first use).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from harness import (
    DEFAULT_PIVOT,
    DVC_S3_SPEC,
    PROBLEMS,
    Row,
    Settings,
    clean_work_dir,
    header_lines,
    keep_only_logs,
    make_settings,
    problems_section,
    render,
    report,
    say,
)
from tools import Dvc, Pivot, Tool, ensure_dvc, ensure_in_dvc_venv
from workloads.bigoutputs import BIGFILE, MANYFILES, bench_big
from workloads.chains import bench_chains
from workloads.code import bench_code
from workloads.dask import bench_dask
from workloads.daskcode import bench_daskcode
from workloads.heavyimport import bench_heavyimport
from workloads.packfetch import bench_packfetch
from workloads.remote import bench_remote
from workloads.scaling import bench_scaling
from workloads.shell import bench_shell
from workloads.sleep import bench_sleep

WORKLOADS = ("chains", "sleep", "bigfile", "manyfiles", "remote", "dask", "code", "heavyimport", "scaling", "daskcode", "packfetch", "shell")
ALIASES = {"a": "chains", "b": "sleep", "c": "bigfile", "d": "manyfiles", "e": "remote", "f": "dask", "g": "code", "h": "heavyimport", "i": "scaling", "j": "daskcode", "k": "packfetch", "l": "shell"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repeats, 50 instead of 200 chain stages, remote: 2,000 files and 200 MiB")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help=f"run only these workloads ({', '.join(WORKLOADS)}, or a-l); repeatable or comma-separated")
    ap.add_argument("--tools", default="dvc,pivot,snakemake",
                    help="comma-separated subset of dvc,pivot,snakemake (default all; Snakemake runs in `scaling` only)")
    ap.add_argument("--pivot", type=Path, default=DEFAULT_PIVOT, help=f"pivot executable (default {DEFAULT_PIVOT})")
    ap.add_argument("--keep", action="store_true", help="keep benchmarks/.work/ afterwards for inspection")
    ap.add_argument("--no-results-file", action="store_true", help="print the table but don't write results.md")
    args = ap.parse_args(argv)
    names = [ALIASES.get(n.strip(), n.strip()) for item in args.only for n in item.split(",") if n.strip()]
    bad = [n for n in names if n not in WORKLOADS]
    if bad:
        ap.error(f"unknown workload(s) {bad}; choose from {', '.join(WORKLOADS)} (or a-l)")
    args.only = names or list(WORKLOADS)
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if not set(args.tools) <= {"dvc", "pivot", "snakemake"} or not args.tools:
        ap.error("--tools takes a comma-separated subset of dvc,pivot,snakemake")
    return args


def set_up_tools(args: argparse.Namespace) -> list[Tool]:
    """The tools to compare, installed and ready: DVC's venv (and dvc[s3] for `remote`) on first
    use, pivot's bytecode compiled."""
    tools: list[Tool] = []
    if "dvc" in args.tools and not set(args.only) <= {"dask", "daskcode", "scaling", "packfetch"}:  # pivot only (and Snakemake)
        ensure_dvc()
        if "remote" in args.only:
            ensure_in_dvc_venv(DVC_S3_SPEC, "dvc_s3")
        tools.append(Dvc())
    if "pivot" in args.tools:
        if not args.pivot.exists():
            sys.exit(f"pivot executable not found: {args.pivot} (install pivot into the repo venv or pass --pivot)")
        pivot = Pivot(args.pivot.resolve())
        tools.append(pivot)
        pivot.compile_bytecode()
    return tools


def run_workload(name: str, tools: list[Tool], cfg: Settings, snakemake: bool) -> tuple[list[Row], str]:
    """The rows of one workload, or a section of its own below the table (`code`, `scaling`, `packfetch`)."""
    if name == "chains":
        return bench_chains(tools, cfg), ""
    if name == "sleep":
        return bench_sleep(tools, cfg), ""
    if name == "bigfile":
        return bench_big(tools, cfg, BIGFILE), ""
    if name == "manyfiles":
        return bench_big(tools, cfg, MANYFILES), ""
    if name == "remote":
        return bench_remote(tools, cfg), ""
    if name == "heavyimport":
        return bench_heavyimport(tools, cfg), ""
    if name == "code":  # pivot against itself (DVC has no code fingerprint): its own table
        return [], bench_code(cfg.quick)
    if name == "scaling":  # pivot and Snakemake at growing sizes: its own table
        return [], bench_scaling(tools, cfg.quick, snakemake)
    if name == "daskcode":  # pivot against its former way of shipping code: its own table
        return [], bench_daskcode(tools, cfg.quick)
    if name == "packfetch":  # pivot against its earlier revision, in the venv beside the pivot executable
        pivots = [tool for tool in tools if isinstance(tool, Pivot)]
        return [], bench_packfetch(cfg.quick, str(Path(pivots[0].exe).with_name("python"))) if pivots else ""
    if name == "shell":  # DVC, pivot's shell stages and pivot's Python stages: its own table
        return [], bench_shell(tools, cfg)
    if name == "dask":  # pivot only: DVC has no peer
        return [row for tool in tools if isinstance(tool, Pivot) for row in bench_dask(tool, cfg)], ""
    raise ValueError(f"unknown workload {name}")  # parse_args lets only WORKLOADS through


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    cfg = make_settings(args.quick)
    t_start = time.perf_counter()
    clean_work_dir()
    tools = set_up_tools(args)

    rows: list[Row] = []
    extra: list[str] = []
    for name in args.only:
        say(f"=== {name} ===")
        more, section = run_workload(name, tools, cfg, "snakemake" in args.tools)
        rows += more
        extra += [section] if section else []

    elapsed = time.perf_counter() - t_start
    dvc_version = Dvc().version() if "dvc" in args.tools else None
    table = render(rows, header_lines(args.quick, args.only, dvc_version, elapsed)) + "".join(extra) + problems_section()
    report(table, not args.no_results_file)
    if not args.keep:
        keep_only_logs()
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
