"""`threads:` (as Snakemake's): a stage takes that many of -j's slots while it runs, and its code
and commands see the number in PIVOT_THREADS. Nothing measures durations: overlap is checked on
the intervals stages record, and running beside a stage is proven by seeing its marker file."""

from __future__ import annotations

import json

import pytest
from conftest import assert_clean_error
from test_parallel import max_overlap

STAGES = '''
import json
import os
import pathlib
import time
from typing import Annotated

from pivot import loaders, outputs


def _record(name, start):
    pathlib.Path("spans").mkdir(exist_ok=True)
    pathlib.Path("spans", name).write_text(json.dumps([start, time.monotonic()]))


def _heavy(name):
    start = time.monotonic()
    pathlib.Path(f"{name}.running").write_text("")
    time.sleep(0.6)
    os.remove(f"{name}.running")
    _record(name, start)
    return os.environ["PIVOT_THREADS"]


def _light(name):
    """Runs only beside a heavy stage: it waits until one is running."""
    start = time.monotonic()
    deadline = start + 60
    while not any(pathlib.Path(f"heavy{i}.running").exists() for i in (1, 2)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} never ran beside a heavy stage")
        time.sleep(0.005)
    _record(name, start)
    return os.environ["PIVOT_THREADS"]


def heavy1() -> Annotated[str, outputs.Out("heavy1.txt", loaders.Text())]:
    return _heavy("heavy1")


def heavy2() -> Annotated[str, outputs.Out("heavy2.txt", loaders.Text())]:
    return _heavy("heavy2")


def light() -> Annotated[str, outputs.Out("light.txt", loaders.Text())]:
    return _light("light")


def greedy() -> Annotated[str, outputs.Out("greedy.txt", loaders.Text())]:
    return os.environ["PIVOT_THREADS"]
'''

PIPELINE = """\
stages:
  heavy1: {python: stages.heavy1, threads: 3}
  heavy2: {python: stages.heavy2, threads: 3}
  light: {python: stages.light}
  greedy: {python: stages.greedy, threads: 64}
  shell: {cmd: 'echo "$PIVOT_THREADS" > shell.txt', outs: [shell.txt], threads: 2}
"""


@pytest.mark.slow  # two stages of 0.6 s one after the other
def test_stages_take_their_threads_from_j_and_see_them_in_pivot_threads(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE})
    result = pivot("run", "-j4")
    assert result.exit_code == 0, result.output
    spans = {name: tuple(json.loads((root / "spans" / name).read_text())) for name in ("heavy1", "heavy2")}
    assert max_overlap(list(spans.values())) == 1, spans  # 3 + 3 slots never fit in 4
    assert (root / "light.txt").read_text() == "1"  # 3 + 1 do: it ran beside one of them
    assert (root / "heavy1.txt").read_text() == "3" and (root / "shell.txt").read_text().strip() == "2"
    assert (root / "greedy.txt").read_text() == "4"  # more than -j: it takes all of them, and runs
    assert "0 ran, 5 skipped" in pivot("run", "-j4").output  # a stage's threads are not in its lock


def test_threads_must_be_a_whole_number_of_at_least_one(project, pivot):
    project({"stages.py": STAGES, "pivot.yaml": "stages:\n  light:\n    python: stages.light\n    threads: 0\n"})
    assert_clean_error(pivot("run"), "pivot.yaml:4", "threads", "at least 1", "threads: 4")
    (project({}) / "pivot.yaml").write_text("stages:\n  shell: {cmd: 'true', threads: two}\n")
    assert_clean_error(pivot("status"), "threads", "at least 1")
