"""`python3 benchmarks/run.py` works on an interpreter with nothing installed, as its README says:
the driver and every workload module it imports use the standard library and this checkout only."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_driver_starts_without_site_packages() -> None:
    # -S: no site-packages (no pivot, DVC or Snakemake); -E, -s: no PYTHONPATH, no user site either.
    done = subprocess.run(
        [sys.executable, "-E", "-s", "-S", str(ROOT / "benchmarks" / "run.py"), "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "--only NAME" in done.stdout
