"""The acceptance test of pivot.api: two projects whose stage modules share the name `stages.py`
open in one process, run, report status and load data, interleaved, each with its own code."""

from __future__ import annotations

import os
import pathlib

import pytest

import pivot.api
from pivot.api import Outcome, Project


def _runs(root: pathlib.Path) -> int:
    log = root / "runs.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_two_projects_in_one_process_each_get_their_own_results(make_project):
    a = make_project("a", tag="A", data="alpha\n")
    b = make_project("b", tag="B", data="beta\n")
    cwd = os.getcwd()
    pa, pb = Project.open(a), Project.open(b)

    assert [s.will_run for s in pa.status()] == [True, True]
    first_a = pa.run(executor="inprocess")
    assert [s.will_run for s in pb.status()] == [True, True]  # a's run changed nothing in b
    first_b = pb.run(executor="inprocess")

    assert first_a.outcomes == {"make": Outcome.RAN, "train": Outcome.RAN}
    assert first_b.outcomes == {"make": Outcome.RAN, "train": Outcome.RAN}
    assert (a / "out.txt").read_text() == "A:alpha" and (b / "out.txt").read_text() == "B:beta"
    assert os.getcwd() == cwd  # running in this process left the caller where it was

    # Interleaved reads: each project's own loader, data and code.
    assert pivot.api.load("train", output="model", project=a) == {"tag": "A", "lr": 0.1, "made": "A:alpha"}
    assert pivot.api.load("make", project=b) == "B:beta"
    assert pa.load("out.txt") == "A:alpha"
    assert [s.will_run for s in pa.status()] == [False, False]
    assert [s.will_run for s in pb.status()] == [False, False]

    # A change in b's code reruns b only; a stays up to date and keeps its own module.
    (b / "stages.py").write_text((b / "stages.py").read_text().replace('TAG = "B"', 'TAG = "B2"'))
    assert {s.stage: s.will_run for s in pb.status()} == {"make": True, "train": True}
    assert [s.will_run for s in pa.status()] == [False, False]
    again_b = pb.run(executor="inprocess")
    again_a = pa.run(executor="inprocess")
    assert again_b["make"].outcome is Outcome.RAN and "code" in again_b["make"].reason.lower()
    assert again_a.outcomes == {"make": Outcome.SKIPPED, "train": Outcome.SKIPPED}
    assert (b / "out.txt").read_text() == "B2:beta" and (a / "out.txt").read_text() == "A:alpha"
    assert (_runs(a), _runs(b)) == (1, 2)


@pytest.mark.slow
def test_two_projects_run_in_worker_processes(make_project):
    """The default executor: workers import each project's own `stages` module."""
    a = make_project("a", tag="A", data="alpha\n")
    b = make_project("b", tag="B", data="beta\n")
    pa, pb = Project.open(a), Project.open(b)
    assert pa.run(jobs=1).ok and pb.run(jobs=1).ok
    assert (a / "out.txt").read_text() == "A:alpha" and (b / "out.txt").read_text() == "B:beta"
    assert pivot.api.load("make", project=a) == "A:alpha"
    assert pivot.api.load("make", project=b) == "B:beta"


def test_a_project_is_found_from_a_subdirectory_and_its_root_is_absolute(make_project):
    a = make_project("a", tag="A", extra={"sub/dir/keep.txt": "x"})
    proj = Project.open(a / "sub" / "dir")
    assert proj.root == a.resolve()
    assert [stage.name for stage in proj.list()] == ["make", "train"]
    graph, names = proj.dag(["train"])
    assert names == ("make", "train")
    assert set(graph.upstream["train"]) == {"make"}
