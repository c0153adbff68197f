#!/usr/bin/env python3
"""Sparse pulls from packs, before and after nearby member ranges were merged and read at once
(stdlib only):

    python3 benchmarks/packfetch.py [--quick] [--repeats N] [--before REV] [--python PATH]

A directory of 10,000 files of 1-4 KB is pushed in packs to a moto S3 server this script starts
on 127.0.0.1; then a cache holding all but a random 10% of the files pulls the rest, with this
checkout's pivot ("after") and with pivot at REV ("before", default 6e19d11: each run of adjacent
members read with its own request, one after another), taken from git into benchmarks/.work/.
The two sides alternate, each repetition losing another random 10% (the same files for both).
The time is that of the fetch alone (`transfer.fetch` in `packfetch_side.py`), not interpreter
start-up; the server's log gives the requests of each pull.

Prints a markdown table; `run.py --only packfetch` appends it to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import harness
from harness import BENCH_DIR, REPO_DIR, WORK_DIR
from workloads.s3server import MotoServer, clean_aws_env

WORK = WORK_DIR / "packfetch"
SIDE = BENCH_DIR / "packfetch_side.py"
BEFORE = "6e19d11"
PACK_MIB = 4  # see packfetch_side.setup
SHARE = 0.1


class _Moto(MotoServer):
    """The moto server next to the given python (pivot's venv has moto[server] for its tests)."""

    binary = ""

    def executable(self) -> str:
        return self.binary


def _tree_at(rev: str) -> Path:
    """The pivot package at `rev`, written under WORK (a directory to put on PYTHONPATH)."""
    data = subprocess.run(["git", "-C", str(REPO_DIR), "archive", "--format=tar", rev, "pivot"],
                          capture_output=True, check=True).stdout
    dest = WORK / f"pivot-{rev}"
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _side(python: str, tree: Path, env: dict[str, str], *args: object) -> dict[str, object]:
    # -P: the script's directory (with a code.py shadowing the standard library's) stays off sys.path.
    done = subprocess.run([python, "-P", str(SIDE), *map(str, args)], capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(tree)}, cwd=WORK)
    if done.returncode != 0:
        raise harness.ToolFailed(f"packfetch_side.py {args[0]} ({tree.name}) failed:\n{done.stderr[-3000:]}")
    found: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return found


def measure(python: str, rev: str, files: int, repeats: int) -> dict[str, list[tuple[float, int]]]:
    """{side: [(seconds, requests) per pull]}; raises ToolFailed on a failed or incomplete pull."""
    trees = {"before": _tree_at(rev), "after": REPO_DIR}
    moto = _Moto()
    moto.binary = str(Path(python).parent / "moto_server")
    env = clean_aws_env(harness.base_env())
    moto.start()
    try:
        bucket = f"bench-packfetch-{secrets.token_hex(3)}"
        moto.make_bucket(bucket)
        _side(python, REPO_DIR, env, "setup", WORK, moto.endpoint, bucket, files, PACK_MIB)
        results: dict[str, list[tuple[float, int]]] = {"before": [], "after": []}
        for rep in range(repeats):
            for side in ("before", "after") if rep % 2 == 0 else ("after", "before"):
                mark = moto.log_mark()
                pulled = _side(python, trees[side], env, "pull", WORK, moto.endpoint, bucket, rep, SHARE)
                if not pulled["ok"]:
                    raise harness.ToolFailed(f"{side}: incomplete pull: {pulled}")
                time.sleep(0.5)  # the server logs a request after answering it
                results[side].append((float(pulled["seconds"]), moto.requests_since(mark)))
        return results
    finally:
        moto.stop()


def table(results: dict[str, list[tuple[float, int]]], rev: str, files: int) -> str:
    lost = round(SHARE * files)
    lines = [
        f"Pull of {lost:,} of {files:,} files of 1-4 KB (random, scattered over packs of {PACK_MIB} MiB) "
        f"from moto on 127.0.0.1, the other {files - lost:,} in the cache; fetch seconds, {len(results['after'])} repetitions",
        "",
        "| pivot | seconds (median) | runs | requests per pull (median) |",
        "|---|---:|---|---:|",
    ]
    names = {"before": f"before ({rev}: ranges read one after another)", "after": "after (nearby ranges merged, read at once)"}
    for side, runs in results.items():
        seconds = statistics.median(s for s, _ in runs)
        requests = statistics.median(r for _, r in runs)
        lines.append(f"| {names[side]} | {seconds:.2f} | {', '.join(f'{s:.2f}' for s, _ in runs)} | {requests:.0f} |")
    ratio = statistics.median(s for s, _ in results["before"]) / statistics.median(s for s, _ in results["after"])
    pairs = [b / a for (b, _), (a, _) in zip(results["before"], results["after"], strict=True)]
    lines += ["", f"before / after = {ratio:.1f}x (per repetition: {', '.join(f'{p:.1f}x' for p in pairs)})"]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2,000 files, 2 repetitions")
    ap.add_argument("--repeats", type=int, default=None, help="repetitions (default 5, --quick 2)")
    ap.add_argument("--before", default=BEFORE, help=f"the pivot revision to compare against (default {BEFORE})")
    default_python = REPO_DIR / ".venv" / "bin" / "python"
    ap.add_argument("--python", default=str(default_python if default_python.exists() else sys.executable),
                    help="the python of pivot's venv (with moto[server] beside it)")
    args = ap.parse_args(argv)
    files = 2_000 if args.quick else 10_000
    repeats = args.repeats or (2 if args.quick else 5)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    try:
        results = measure(args.python, args.before, files, repeats)
    except (harness.ToolFailed, subprocess.CalledProcessError) as exc:
        print(f"problem: {exc}", file=sys.stderr)
        return 1
    print(table(results, args.before, files), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
