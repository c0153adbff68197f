"""How the `pivot` process ends: it skips the interpreter's teardown, yet exits with the command's
status, prints all its output, and runs the exit handlers that clean up after worker pools."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest

STAGES = '''
from typing import Annotated, TypedDict

from pivot import loaders, outputs


class Made(TypedDict):
    out: Annotated[str, outputs.Out("out.txt", loaders.Text())]


def make(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Made:
    return {"out": src.upper()}


def broken() -> Annotated[str, outputs.Out("never.txt", loaders.Text())]:
    raise ValueError("no good")
'''


def _pivot(root: pathlib.Path, *args: str, tmp: pathlib.Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CI", None)
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    return subprocess.run([sys.executable, "-m", "pivot", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_a_run_with_workers_leaves_nothing_in_the_temp_directory(project):
    """Worker pools keep their sockets in a temp directory that an exit handler removes: the
    handlers still run when the process ends without the interpreter's teardown."""
    root = project({"stages.py": STAGES, "in.txt": "hi\n", "pivot.yaml": "stages:\n  make:\n    python: stages.make\n"})
    # Short: a socket's path (in it) holds at most 107 bytes, which the test's own temp path may not leave.
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="pv-"))
    try:
        result = _pivot(root, "run", "-j2", tmp=tmp)

        assert result.returncode == 0, result.stderr
        assert (root / "out.txt").read_text() == "HI\n"
        assert sorted(p.name for p in tmp.iterdir()) == []
    finally:
        shutil.rmtree(tmp)


@pytest.mark.slow
def test_the_exit_status_is_the_commands(project):
    root = project({"stages.py": STAGES, "in.txt": "hi\n", "pivot.yaml": "stages:\n  broken:\n    python: stages.broken\n"})

    failed = _pivot(root, "run")
    missing = _pivot(root, "run", "nosuch")

    assert failed.returncode == 1, failed.stderr
    assert "no good" in failed.stdout + failed.stderr
    assert missing.returncode == 2
    assert "nosuch" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.slow
def test_output_larger_than_a_pipe_arrives_whole(project):
    """More than a pipe holds (64 KiB), read by the parent only at the end: nothing buffered is
    lost when the process ends."""
    names = [f"stage_with_a_rather_long_name_{i:04d}" for i in range(2000)]
    pipeline = "stages:\n" + "".join(f"  {name}:\n    python: stages.make\n    deps:\n      src: in.txt\n    outs:\n      out: o/{name}.txt\n" for name in names)
    root = project({"stages.py": STAGES, "in.txt": "hi\n", "pivot.yaml": pipeline})

    result = _pivot(root, "list")

    assert result.returncode == 0, result.stderr
    assert len(result.stdout) > 65536
    assert [line.split()[0] for line in result.stdout.splitlines() if line.startswith("stage_with")] == names


@pytest.mark.slow
def test_a_reader_that_stops_early_gets_no_traceback(project):
    names = [f"s{i:04d}" for i in range(3000)]
    pipeline = "stages:\n" + "".join(f"  {name}:\n    python: stages.make\n    deps:\n      src: in.txt\n    outs:\n      out: o/{name}.txt\n" for name in names)
    root = project({"stages.py": STAGES, "in.txt": "hi\n", "pivot.yaml": pipeline})
    env = {**os.environ}
    env.pop("CI", None)

    with subprocess.Popen([sys.executable, "-m", "pivot", "list"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # like `pivot list | head -1`
        stderr = proc.stderr.read().decode()
        proc.wait(timeout=60)

    assert first.startswith(b"s0000")
    assert "Traceback" not in stderr
