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


def test_a_run_replaces_only_its_own_table_in_results_md() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import harness
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    appended = "## 2026-12-06: a section a session added by hand\n\nits numbers\n"
    first = harness.merged_results(appended, "# results\n\n| old table |\n")  # a file without markers yet
    assert first.startswith(harness.RESULTS_START) and first.endswith(appended)
    second = harness.merged_results(first, "# results\n\n| new table |\n")
    assert "| new table |" in second and "| old table |" not in second
    assert second.endswith(appended) and second.count(harness.RESULTS_END) == 1
    assert harness.merged_results(second, "# results\n\n| new table |\n") == second  # the same run again: no drift
    on_disk = (ROOT / "benchmarks" / "results.md").read_text()
    assert on_disk.startswith(harness.RESULTS_START) and harness.RESULTS_END in on_disk
