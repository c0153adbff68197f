"""`resources:` (as Snakemake's): stages hold named amounts while they run, and a run holds no more
of a resource than `--resources NAME=N` (or executor.resources in the config) allows. Overlap is
checked on the intervals the stages record."""

from __future__ import annotations

import json

import pytest
from conftest import assert_clean_error
from test_parallel import max_overlap

STAGES = '''
import json
import pathlib
import time
from typing import Annotated

from pivot import loaders, outputs


def _train(name):
    start = time.monotonic()
    time.sleep(0.5)
    pathlib.Path("spans").mkdir(exist_ok=True)
    pathlib.Path("spans", name).write_text(json.dumps([start, time.monotonic()]))
    return name


def a() -> Annotated[str, outputs.Out("a.txt", loaders.Text())]:
    return _train("a")


def b() -> Annotated[str, outputs.Out("b.txt", loaders.Text())]:
    return _train("b")


def c() -> Annotated[str, outputs.Out("c.txt", loaders.Text())]:
    return _train("c")
'''

PIPELINE = """\
stages:
  a: {python: stages.a, resources: {gpu: 1, mem_gb: 40}}
  b: {python: stages.b, resources: {gpu: 1}}
  c: {python: stages.c, resources: {gpu: 1}}
"""


def _overlap(root) -> int:
    spans = [tuple(json.loads((root / "spans" / name).read_text())) for name in "abc"]
    return max_overlap(spans)


@pytest.mark.slow  # stages that sleep, several runs
def test_a_run_holds_no_more_of_a_resource_than_its_limit(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE})
    assert pivot("config", "set", "--local", "executor.resources.gpu", "1").exit_code == 0  # this machine's GPUs
    assert pivot("run", "-j8").exit_code == 0
    assert _overlap(root) == 1  # the config's limit: one at a time
    result = pivot("run", "-j8", "-f", "--resources", "gpu=2")  # the command line wins over the config
    assert result.exit_code == 0, result.output
    assert _overlap(root) == 2
    assert pivot("run", "-j8", "-f", "--resources", "gpu=3").exit_code == 0
    assert _overlap(root) == 3  # mem_gb has no limit: it holds nothing back


def test_a_stage_needing_more_than_the_limit_stops_the_run_before_it_starts(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE})
    assert_clean_error(pivot("run", "--resources", "mem_gb=32"), "stage 'a' needs mem_gb=40, more than the 32 this run has", "--resources mem_gb=40")
    assert not (root / "b.txt").exists()
    assert_clean_error(pivot("run", "--resources", "gpu"), "--resources", "NAME=N")
    (root / "pivot.yaml").write_text(PIPELINE.replace("gpu: 1}}", "gpu: -1}}", 1))
    assert_clean_error(pivot("run"), "pivot.yaml:3", "stages.b.resources", "whole number")
