#!/usr/bin/env python3
"""How fast `pivot run --watch` reacts to an edit, against what people do without it: a file
watcher such as entr or watchexec starting `pivot run` afresh on each change. Stdlib only:

    .venv/bin/python benchmarks/watch.py [--rounds N]

One project with one stage (a dep in, its text upper-cased out). Each round edits the dep twice:
once while `pivot run --watch --jsonl --debounce 0` waits (timed from the write to the stage's
`stage_finished` event), once followed at once by a new `pivot run` process (timed from the write
to that process's exit, the moment entr would know the run is done). The two alternate round by
round, so load elsewhere hits both; the table gives medians and the ratio. Each timed run is
checked to have run the stage and written the new output, so a fast time cannot be a failed run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = '''
from typing import Annotated

from pivot import loaders, outputs


def shout(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("loud.txt", loaders.Text())]:
    return data.upper()
'''


def pivot(*args: str) -> list[str]:
    return [sys.executable, "-m", "pivot", *args]


def wait_output(root: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (root / "loud.txt").read_text() != text.upper():
        if time.monotonic() > deadline:
            raise SystemExit(f"the output never became {text.upper()!r}")
        time.sleep(0.01)


def finished_runs(out: Path) -> int:
    return sum(1 for line in out.read_text().splitlines() if line.endswith("}") and json.loads(line)["event"] == "stage_finished")


def time_watch(root: Path, out: Path, text: str) -> float:
    before = finished_runs(out)
    start = time.perf_counter()
    (root / "data.txt").write_text(text)
    while finished_runs(out) == before:
        time.sleep(0.002)
    elapsed = time.perf_counter() - start
    wait_output(root, text)
    return elapsed


def time_fresh(root: Path, text: str) -> float:
    start = time.perf_counter()
    (root / "data.txt").write_text(text)
    done = subprocess.run(pivot("run"), cwd=root, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or "shout: ran" not in done.stdout:
        raise SystemExit(f"pivot run failed:\n{done.stdout}{done.stderr}")
    wait_output(root, text)
    return elapsed


def wait_idle(out: Path) -> None:
    """Until the watch says it waits (after its first run, or after the run a fresh one did)."""
    deadline = time.monotonic() + 60
    while '"watch_waiting"' not in out.read_text():
        if time.monotonic() > deadline:
            raise SystemExit(f"the watch never settled:\n{out.read_text()}")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pivot-watch-bench-"))
    watch_root, fresh_root = work / "watch", work / "fresh"
    for root in (watch_root, fresh_root):
        root.mkdir()
        (root / "stages.py").write_text(STAGES)
        (root / "pivot.yaml").write_text("stages:\n  shout:\n    python: stages.shout\n")
        (root / "data.txt").write_text("start")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CI", None)
    subprocess.run(pivot("run"), cwd=fresh_root, check=True, capture_output=True)
    out = work / "watch.out"
    with open(out, "w") as handle:
        proc = subprocess.Popen(pivot("run", "--watch", "--jsonl", "--debounce", "0"), cwd=watch_root, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        wait_idle(out)
        watch_times, fresh_times = [], []
        for i in range(args.rounds):
            watch_times.append(time_watch(watch_root, out, f"edit {i}"))
            fresh_times.append(time_fresh(fresh_root, f"edit {i}"))
            time.sleep(0.2)  # the watch back to waiting before the next edit
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    watch_median, fresh_median = statistics.median(watch_times), statistics.median(fresh_times)
    print(f"edit of a dep -> its stage done, median of {args.rounds} rounds (load average {os.getloadavg()[0]:.1f})\n")
    print("| how | median (s) | runs (s) |")
    print("|---|---:|---|")
    print(f"| pivot run --watch (one process) | {watch_median:.3f} | {', '.join(f'{t:.3f}' for t in watch_times)} |")
    print(f"| a new pivot run per change (entr-style) | {fresh_median:.3f} | {', '.join(f'{t:.3f}' for t in fresh_times)} |")
    print(f"\nwatch / fresh: {watch_median / fresh_median:.2f}x")


if __name__ == "__main__":
    main()
