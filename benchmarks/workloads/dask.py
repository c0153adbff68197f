"""Workload `dask` (f), pivot only (DVC has no peer): 16 stages burning 1 s of CPU each, on the
local pool and on Dask (a LocalCluster pivot starts, or one already running in another process,
shared-filesystem and remote-cache mode); the number reported is pivot's gap between stages."""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
import statistics
import subprocess
from pathlib import Path

import harness
from harness import LOG_DIR, WORK_DIR, Row, Settings, ToolFailed
from tools import Pivot

BURN_STAGES_PY = """\
import os
import time
from typing import Annotated

from pivot import loaders, outputs


def burn(src: Annotated[bytes, outputs.Dep("in.bin", loaders.Pickle())]) -> Annotated[bytes, outputs.Out("out.bin", loaders.Pickle())]:
    start = time.time()
    end = time.process_time() + CPU_S  # CPU time, not wall time: the work a worker must do
    spins = 0
    while time.process_time() < end:
        spins += 1
    print("span", os.getpid(), start, time.time())  # when and where the stage's own code ran
    return src[::-1]
"""

CLUSTER_PY = """\
import logging, sys, time
import distributed

if __name__ == "__main__":
    cluster = distributed.LocalCluster(n_workers=int(sys.argv[1]), threads_per_worker=1, dashboard_address=":0",
                                       silence_logs=logging.CRITICAL)
    print(cluster.scheduler_address, flush=True)
    try:
        while True:
            time.sleep(1)
    finally:
        cluster.close()
"""

DASK_STAGES, DASK_CPU_S, DASK_IO_BYTES = 16, 1.0, 1 << 20


def build_burn(proj: Path, remote: Path | None = None) -> None:
    lines = ["stages:"]
    harness.write(proj / "stages.py", BURN_STAGES_PY.replace("CPU_S", repr(DASK_CPU_S)))
    for i in range(DASK_STAGES):
        lines += [f"  burn_{i}:", "    python: stages.burn", "    deps:", f"      src: data/in_{i}.bin",
                  "    outs:", f"      return: data/out_{i}.bin"]
        (proj / "data").mkdir(parents=True, exist_ok=True)
        # a pickled bytes value: each stage reads ~1 MiB and writes ~1 MiB
        (proj / f"data/in_{i}.bin").write_bytes(pickle.dumps(i.to_bytes(2, "big") * (DASK_IO_BYTES // 2)))
    harness.write(proj / "pivot.yaml", "\n".join(lines) + "\n")
    if remote is not None:
        harness.write(proj / ".pivot/config.yaml",
                      f"remotes:\n  origin:\n    url: {remote}\ndefault_remote: origin\nexecutor:\n  kind: dask\n  data: remote\n")


class RunningCluster:
    """A LocalCluster in its own process, as a team's cluster would be already running."""

    def __init__(self, python: str, workers: int) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        script = WORK_DIR / "cluster.py"
        harness.write(script, CLUSTER_PY)
        with open(LOG_DIR / "dask-cluster.log", "ab") as log:  # the cluster keeps its own copy of the fd
            self.proc = subprocess.Popen([python, str(script), str(workers)], stdout=subprocess.PIPE,
                                         stderr=log, text=True, cwd=WORK_DIR)
        self.address = (self.proc.stdout.readline() if self.proc.stdout else "").strip()
        if not self.address:
            raise ToolFailed(f"the Dask cluster did not start (log: {LOG_DIR / 'dask-cluster.log'})")

    def stop(self) -> None:
        harness.stop_process(self.proc, 10)


def spans_of_last_run(log: Path) -> list[tuple[int, float, float]]:
    """The (worker pid, start, end) each stage printed in the last run logged to `log`."""
    text = log.read_text(errors="replace")
    last = text[text.rfind("\n$ (cd "):]
    spans = []
    for line in last.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[1] == "span":
            spans.append((int(parts[2]), float(parts[3]), float(parts[4])))
    return spans


def consecutive(items: list[tuple[float, float]]) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Each item with the next one (itertools.pairwise, which Python 3.9 lacks)."""
    return [(items[k], items[k + 1]) for k in range(len(items) - 1)]


def overheads(wall: float, workers: int, cores: int, spans: list[tuple[int, float, float]]) -> tuple[float, float, float]:
    """Per stage: (wall - ideal) / stages, with ideal = the CPU seconds over min(workers, CPUs);
    and the mean gap between two stages on the same worker process: what pivot costs around a
    stage (result back, commit, next decision, dispatch, and in remote-cache mode the worker's
    fetch and push), untouched by start-up and by other load slowing the stages themselves.
    Also the fixed cost: wall - (last stage end - first stage start): interpreter, imports,
    cluster start and shutdown."""
    by_worker: dict[int, list[tuple[float, float]]] = {}
    for pid, start, end in spans:
        by_worker.setdefault(pid, []).append((start, end))
    gaps = [later[0] - earlier[1] for runs in by_worker.values() for earlier, later in consecutive(sorted(runs))]
    makespan = max(end for _, _, end in spans) - min(start for _, start, _ in spans)
    ideal = DASK_STAGES * DASK_CPU_S / min(workers, cores)
    return (wall - ideal) / DASK_STAGES, statistics.mean(gaps) if gaps else float("nan"), wall - makespan


@dataclasses.dataclass(frozen=True)
class DaskCase:
    label: str
    args: tuple[str, ...]  # `pivot run` arguments (before --address)
    workers: int
    running: int | None  # workers of a cluster already running in another process, if any
    mode: str | None  # with a running cluster: "shared" filesystem or "remote" cache


CASES = (
    DaskCase("local pool -j2", ("-j2",), 2, None, None),
    DaskCase("Dask LocalCluster of 2 workers, started by pivot", ("--executor", "dask", "-j2"), 2, None, None),
    DaskCase("Dask LocalCluster of 4 workers, started by pivot", ("--executor", "dask", "-j4"), 4, None, None),
    DaskCase("a running Dask cluster of 2 workers (--address)", ("--executor", "dask"), 2, 2, "shared"),
    DaskCase("remote-cache mode, running cluster of 2 workers, directory remote", (), 2, 2, "remote"),
)


def bench_dask(tool: Pivot, cfg: Settings) -> list[Row]:
    """16 stages of 1 s CPU each, on the local pool and on Dask; see `overheads`."""
    rows = []
    for case in CASES:
        shared = case.mode == "shared"
        row = Row(f"dask: {DASK_STAGES} stages x {DASK_CPU_S:g} s CPU, {case.label}: pivot's time between stages on a worker",
                  "< 0.05 s" if shared else "(reference)", harness.under(0.05) if shared else (lambda _d, _p: None))
        row.attempted.add("pivot")
        cluster = None
        try:
            args = list(case.args)
            if case.running:
                cluster = RunningCluster(str(Path(tool.exe).parent / "python"), case.running)
                args = [*args, "--address", cluster.address] if shared else ["--address", cluster.address]
            if not measure_case(tool, cfg, case, args, row):
                continue  # every repeat already listed as a problem: no row (a failed run is a FAIL row)
        except ToolFailed as exc:
            harness.problem(f"dask/{case.label} failed: {exc}")
        finally:
            if cluster is not None:
                cluster.stop()
        rows.append(row)
    return rows


def measure_case(tool: Pivot, cfg: Settings, case: DaskCase, args: list[str], row: Row) -> bool:
    """The case's repeats, each in a fresh project; the medians go to `row`. False if no repeat
    could be measured (each such repeat is a problem already)."""
    cores = os.cpu_count() or 1
    repeats = 1 if cfg.quick else 3
    walls: list[float] = []
    moved = ""
    measured = []
    for i in range(repeats):
        proj = harness.fresh_dir("dask-burn")
        build_burn(proj, WORK_DIR / "dask-remote" if case.mode == "remote" else None)
        shutil.rmtree(WORK_DIR / "dask-remote", ignore_errors=True)
        harness.settle()
        harness.say(f"[dask] {case.label}: run {i + 1}/{repeats}...")
        walls.append(harness.run_cmd([tool.exe, "run", *args], proj, "dask"))
        harness.say(f"          {walls[-1]:.2f} s")
        missing = [j for j in range(DASK_STAGES) if not (proj / f"data/out_{j}.bin").exists()]
        if missing:
            harness.problem(f"dask/{case.label}: outputs missing for stages {missing}")
        log = (LOG_DIR / "dask.log").read_text(errors="replace")
        moved = next((line for line in reversed(log.splitlines()) if line.startswith("Remote cache")), moved)
        spans = spans_of_last_run(LOG_DIR / "dask.log")
        if len(spans) != DASK_STAGES:
            harness.problem(f"dask/{case.label}: {len(spans)} stages reported their span, not {DASK_STAGES}")
            continue
        measured.append(overheads(walls[-1], case.workers, cores, spans))
    if not measured:
        return False
    ideal = DASK_STAGES * DASK_CPU_S / min(case.workers, cores)
    naive, around, fixed = (statistics.median(m[k] for m in measured) for k in range(3))
    row.pivot = around
    row.notes.append(f"gap {around * 1000:.0f} ms; wall {', '.join(f'{w:.2f}' for w in walls)} s; (wall - ideal {ideal:g} s) / stages = "
                     f"{naive:.3f} s; fixed start-up and shutdown {fixed:.2f} s")
    if moved:
        row.notes.append(f"pivot says: `{moved}`")
    return True
