"""The pivot program leaves the stat memo's connection to the kernel at exit (no checkpoint of
its WAL, pivot.storage.state._keep): what it memoized is there for the next command, and a
process that opens the memo again and again (watch mode) never keeps more than one connection.
Each case runs in its own interpreter: the program's setting is process-wide."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

from pivot.storage.state import StateDB

LONG_AGO_NS = time.time_ns() - 60 * 1_000_000_000  # not "racy": the memo trusts its stat

STAGES = '''
from typing import Annotated
from pivot import loaders, outputs


def copy(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out("out.txt", loaders.Text())]:
    return src
'''

OPEN_CLOSE_REPEATEDLY = """
import os, pathlib, sys
from pivot.base import lifetime
from pivot.storage.state import StateDB

lifetime.ends_after_command = True  # as the pivot program
path = pathlib.Path(sys.argv[1])

def target(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # the listing's own descriptor, closed since
        return None

counts = []
for round in range(20):
    memo = StateDB(path)
    memo.put_many([(f"/data/{round}", os.stat(sys.argv[2]), f"oid{round}")])
    memo.close()
    counts.append(sum(1 for fd in os.listdir("/proc/self/fd") if target(fd) == str(path)))
print(counts[1], counts[-1])
"""

def _env() -> dict[str, str]:
    env = {**os.environ}
    env.pop("CI", None)
    return env


def test_what_a_run_memoized_is_there_for_the_next_command(project, tmp_path: pathlib.Path):
    root = project({"stages.py": STAGES, "pivot.yaml": "stages:\n  copy:\n    python: stages.copy\n", "in.txt": "x\n"})
    os.utime(root / "in.txt", ns=(LONG_AGO_NS, LONG_AGO_NS))

    result = subprocess.run([sys.executable, "-m", "pivot", "run"], cwd=root, env=_env(), capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert (root / ".pivot" / "state.db-wal").exists()  # left to the kernel, not checkpointed
    memo = StateDB(root / ".pivot" / "state.db")
    try:
        assert memo.get(root / "in.txt", (root / "in.txt").stat()) is not None
    finally:
        memo.close()


def test_a_process_that_opens_the_memo_again_and_again_keeps_one_connection(tmp_path: pathlib.Path):
    path = tmp_path / ".pivot" / "state.db"
    data = tmp_path / "data.txt"
    data.write_text("x\n")
    os.utime(data, ns=(LONG_AGO_NS, LONG_AGO_NS))

    result = subprocess.run([sys.executable, "-c", OPEN_CLOSE_REPEATEDLY, str(path), str(data)], env=_env(), capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    after_two, after_twenty = map(int, result.stdout.split())
    assert after_twenty == after_two <= 2  # the one kept (and the descriptor SQLite reuses)
    memo = StateDB(path)
    try:  # and nothing any of them wrote was lost
        assert memo.get_many([(f"/data/{n}", data.stat()) for n in range(20)]) == [f"oid{n}" for n in range(20)]
    finally:
        memo.close()
