"""Workload `daskcode` (j), pivot against its former way (DVC has no peer): runs
benchmarks/dask_code.py in pivot's venv (it needs `distributed`) and returns its table, a section
of its own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import harness
from harness import BENCH_DIR
from tools import Pivot, Tool


def bench_daskcode(tools: list[Tool], quick: bool) -> str:
    """The code bundle pickled into every Dask task against sent once per worker, as a table."""
    pivot = next((tool for tool in tools if isinstance(tool, Pivot)), None)
    if pivot is None:
        return ""
    python = Path(pivot.exe).parent / "python"
    cmd = [str(python), str(BENCH_DIR / "dask_code.py"), *(["--quick"] if quick else [])]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        harness.problem(f"daskcode workload failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return "\n## The code bundle on Dask: with every task, or once per worker (pivot only)\n\n" + done.stdout
