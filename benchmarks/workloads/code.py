"""Workload `code` (g), pivot against itself (DVC does not fingerprint code): runs
benchmarks/code.py in its own process and returns its table, a section of its own."""

from __future__ import annotations

import subprocess
import sys

import harness
from harness import BENCH_DIR


def bench_code(quick: bool) -> str:
    """benchmarks/code.py in the pivot venv: what code fingerprinting costs, as a table of its own."""
    cmd = [sys.executable, str(BENCH_DIR / "code.py"), *(["--quick"] if quick else [])]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        harness.problem(f"code workload failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return "\n## Code fingerprinting (pivot only: DVC does not fingerprint code)\n\n" + done.stdout
