#!/usr/bin/env python3
"""What sending the project's code once per worker saves on Dask (remote-cache mode), pivot
against its former way in one run. Needs `distributed`, so it runs in pivot's venv:

    .venv/bin/python benchmarks/dask_code.py [--quick]

A generated project of .py files is bundled as `pivot run` bundles it (`offload.bundle_code`).
TASKS tasks go through pivot's Dask executor (`cluster.Session`) to a LocalCluster of 2 worker
processes, the bundle passed
  (a) as a plain argument: pickled into every task, the way each stage carried the code before;
  (b) as a `Shared` argument: sent to each worker once, each task naming it.
A task does no work of its own (`bool` of its argument), so what is timed is the transport:
pickling on the client, the scheduler, the wire, unpickling on a worker. Each repeat connects a
fresh session (a run) to the one cluster; the order of (a) and (b) alternates between repeats.
Prints a markdown table; the ratio is the point, not the absolute times.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import logging
import pickle
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import distributed

from pivot.executor import cluster
from pivot.executor.task import Shared
from pivot.scaleout import offload

WORKERS = 2


def make_project(root: Path, modules: int) -> None:
    """`modules` files of ~64 KiB each (hex constants: they compress about 2:1, like code)."""
    for m in range(modules):
        rows = [hashlib.sha256(f"{m}-{i}".encode()).hexdigest() for i in range(1000)]
        (root / f"module_{m}.py").write_text(f"TABLE_{m} = {rows!r}\n")


def one_run(address: str, argument: object, tasks: int) -> float:
    """Seconds from the first submission to the last result, through a fresh session."""
    session = cluster.Session(address, 0)
    try:
        pool = session.executor()
        start = time.perf_counter()
        futures = [pool.submit(bool, argument) for _ in range(tasks)]
        done, _ = concurrent.futures.wait(futures)
        elapsed = time.perf_counter() - start
        if not all(f.result() for f in done):
            raise SystemExit("a task did not receive its argument")
        return elapsed
    finally:
        session.close()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer tasks and repeats")
    args = ap.parse_args(argv)
    tasks, repeats, modules = (16, 1, 16) if args.quick else (64, 3, 32)
    work = Path(tempfile.mkdtemp(prefix="pivot-dask-code-"))
    try:
        make_project(work, modules)
        bundle = offload.bundle_code(work)
        shared = Shared(bundle.digest, bundle, "the project's code")
        ref = cluster.SharedRef(f"pivot-shared-{bundle.digest[:16]}-00000000", bundle.digest)
        carried = {
            "with every task": len(pickle.dumps((bool, (bundle,), {}), protocol=pickle.HIGHEST_PROTOCOL)),
            "once per worker": len(pickle.dumps((bool, (ref,), {}), protocol=pickle.HIGHEST_PROTOCOL)),
        }
        times: dict[str, list[float]] = {name: [] for name in carried}
        with distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=1, dashboard_address=":0",
                                      silence_logs=logging.CRITICAL) as local:
            one_run(local.scheduler_address, shared, WORKERS)  # warm-up: imports on the workers
            for r in range(repeats):
                order = [("with every task", bundle), ("once per worker", shared)]
                for name, argument in order if r % 2 == 0 else reversed(order):
                    times[name].append(one_run(local.scheduler_address, argument, tasks))
        print_table(bundle, tasks, carried, times)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def print_table(bundle: offload.CodeBundle, tasks: int, carried: dict[str, int], times: dict[str, list[float]]) -> None:
    print(f"{len(bundle.files)} modules, bundle {bundle.size / 1e6:.2f} MB compressed; {tasks} tasks, "
          f"LocalCluster of {WORKERS} worker processes\n")
    print("| the code travels | bytes per task | seconds (median) | runs |")
    print("|---|---:|---:|---|")
    for name, runs in times.items():
        print(f"| {name} | {carried[name]:,} | {statistics.median(runs):.3f} | {', '.join(f'{t:.3f}' for t in runs)} |")
    before, after = (statistics.median(times[name]) for name in ("with every task", "once per worker"))
    print(f"\nwith every task / once per worker = {before / after:.1f}x the time, "
          f"{carried['with every task'] / carried['once per worker']:.0f}x the bytes per task")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
