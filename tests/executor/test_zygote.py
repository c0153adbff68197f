"""The fork server forked from pivot itself (pivot.executor.zygote), in a single-threaded process
as `pivot run` is: code edited between two runs in one process is never served stale, and a run
that needs no worker leaves no process behind. Each test runs its own interpreter, since the test
runner's process has threads and never forks a zygote."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

STAGES = '''
import os
from typing import Annotated

import helper
from pivot import loaders, outputs


def first(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out("a.txt", loaders.Text())]:
    return f"{helper.TAG}@{os.getpid()}"


def second(src: Annotated[str, outputs.Dep("a.txt", loaders.Text())]) -> Annotated[str, outputs.Out("b.txt", loaders.Text())]:
    return f"{helper.TAG}@{os.getpid()}"
'''

PIPELINE = "stages:\n  first:\n    python: stages.first\n  second:\n    python: stages.second\n"

# Runs in the project directory; prints one JSON object per run.
SCRIPT = '''
import json, os, pathlib, sys
from pivot.api import Project
from pivot.executor import zygote

def server_is_a_fork_of_this_process():
    server = zygote.server()
    if server is None:
        return None
    pid = server.pid
    with open(f"/proc/{pid}/cmdline", "rb") as theirs, open("/proc/self/cmdline", "rb") as ours:
        return theirs.read() == ours.read()

def children():
    with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as handle:
        return handle.read().split()

import importlib.util
sys.modules["__main__"].__spec__ = importlib.util.find_spec("pivot.__main__")  # as the pivot command does
proj = Project.open(pathlib.Path.cwd())
for step in sys.argv[1:]:
    if step.startswith("edit:"):
        pathlib.Path("helper.py").write_text(f"TAG = {step[5:]!r}\\n")
        continue
    try:
        report = proj.run(jobs=2, executor="forkserver", force=step == "force")
    except Exception as exc:
        print(json.dumps({"error": str(exc), "children": children()}), flush=True)
        continue
    print(json.dumps({
        "outcomes": {name: outcome.value for name, outcome in report.outcomes.items()},
        "tags": [pathlib.Path(f).read_text().split("@")[0] for f in ("a.txt", "b.txt") if pathlib.Path(f).exists()],
        "zygote": server_is_a_fork_of_this_process(),
        "children": children(),
    }), flush=True)
'''


def _script(root: pathlib.Path, *steps: str) -> list[dict[str, object]]:
    env = {**os.environ}
    env.pop("CI", None)
    result = subprocess.run([sys.executable, "-c", SCRIPT, *steps], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def _project(project, tag: str = "v1") -> pathlib.Path:
    return project({"stages.py": STAGES, "helper.py": f"TAG = {tag!r}\n", "in.txt": "x\n", "pivot.yaml": PIPELINE})


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the zygote is forked on Linux only")
def test_a_helper_edited_between_two_runs_in_one_process_is_imported_again(project):
    root = _project(project)

    first, second = _script(root, "run", "edit:v2", "force")

    assert first["zygote"] is True  # the workers were forked from a fork of this process
    assert first["tags"] == ["v1", "v1"]
    assert second["outcomes"] == {"first": "ran", "second": "ran"}
    assert second["tags"] == ["v2", "v2"]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the zygote is forked on Linux only")
def test_a_run_that_needs_no_worker_leaves_no_process_behind(project):
    """The zygote is forked before loading; when loading imports no user code (the load memo
    answers) and every stage is up to date, it is dismissed before the run returns."""
    root = _project(project)
    assert _script(root, "run")[0]["outcomes"] == {"first": "ran", "second": "ran"}
    for _ in range(2):  # the second of these loads from the memo the first one wrote
        os.utime(root / "in.txt")  # looked at again, found unchanged: nothing runs
        (last,) = _script(root, "run")

    assert last["outcomes"] == {"first": "skipped", "second": "skipped"}
    assert last["children"] == []


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the zygote is forked on Linux only")
def test_a_stage_module_that_fails_to_import_leaves_no_process_behind(project):
    root = _project(project)
    (root / "helper.py").write_text("raise RuntimeError('broken helper')\n")

    (only,) = _script(root, "run")

    assert "broken helper" in only["error"]
    assert only["children"] == []


@pytest.mark.slow
def test_a_temp_directory_too_long_for_a_socket_still_runs(project, pivot_proc, monkeypatch):
    """The fork server listens on a socket in the temp directory, whose path may hold 107 bytes
    at most: with a longer one the workers start as fresh interpreters instead, and the user's
    module is never blamed for it."""
    root = _project(project)
    long_tmp = root.parent / ("t" * 110)
    long_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(long_tmp))

    result = pivot_proc("run", "-j2", cwd=root)

    assert result.returncode == 0, result.stdout + result.stderr
    assert [(root / f).read_text().split("@")[0] for f in ("a.txt", "b.txt")] == ["v1", "v1"]
