"""Workload `packfetch` (j), pivot against its own earlier revision (DVC has no packs): runs
benchmarks/packfetch.py in its own process and returns its table, a section of its own."""

from __future__ import annotations

import subprocess
import sys

import harness
from harness import BENCH_DIR


def bench_packfetch(quick: bool, python: str) -> str:
    """benchmarks/packfetch.py: a sparse pull from packs on moto, before and after, as a table."""
    cmd = [sys.executable, str(BENCH_DIR / "packfetch.py"), "--python", python, *(["--quick"] if quick else [])]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        harness.problem(f"packfetch workload failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return "\n## Sparse pulls from packs (pivot against its earlier revision)\n\n" + done.stdout
