"""A dep that does not exist and that no stage produces blocks only the stages that need it and
their downstream: status, explain and a run of other targets work; a run that needs it is refused
up front (exit 2, naming the stage and the path), as Snakemake refuses missing input for the
requested targets; with -k the rest runs and the blocked stages are reported (exit 1)."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import COUNT_RUNS, assert_clean_error, runs

STAGES = '''
import pathlib
from typing import Annotated

from pivot import loaders, outputs
''' + COUNT_RUNS + '''


def prep(raw: Annotated[str, outputs.Dep("raw.txt", loaders.Text())]) -> Annotated[str, outputs.Out("prepped.txt", loaders.Text())]:
    _count("prep")
    return raw.upper()


def train(data: Annotated[str, outputs.Dep("prepped.txt", loaders.Text())]) -> Annotated[str, outputs.Out("model.txt", loaders.Text())]:
    _count("train")
    return "model of " + data


def other(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("other.txt", loaders.Text())]:
    _count("other")
    return data
'''

PIPELINE = "stages:\n" + "".join(f"  {name}:\n    python: stages.{name}\n" for name in ("prep", "train", "other"))
MISSING = "needs 'raw.txt', which does not exist and no stage produces it"


@pytest.fixture
def root(project):
    return project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "d"})


def test_status_shows_what_is_blocked_and_why(root, pivot):
    result = pivot("status")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"prep   blocked: {MISSING}",
        "train  blocked: upstream stage 'prep' cannot run (a dependency is missing)",
        "other  will run: Never run",
    ]
    shown = json.loads(pivot("status", "--json").output)
    assert shown["prep"]["missing_deps"] == ["raw.txt"] and shown["train"]["blocked_by"] == ["prep"]
    assert shown["other"]["missing_deps"] == [] and shown["other"]["blocked_by"] == []


def test_explain_names_the_missing_dep(root, pivot):
    text = pivot("explain", "prep").output
    assert "Stage: prep\n  Status: BLOCKED\n  Blocked: " + MISSING in text
    (entry,) = json.loads(pivot("explain", "train", "--json").output)
    assert entry["blocked_by"] == ["prep"] and entry["missing_deps"] == []


def test_a_run_of_an_unrelated_target_works(root, pivot):
    result = pivot("run", "other")
    assert result.exit_code == 0, result.output
    assert runs(root, "other") == 1 and (root / "other.txt").read_text() == "d"


@pytest.mark.parametrize("args", [(), ("train",), ("-n",)])
def test_a_run_that_needs_the_missing_file_is_refused_before_anything_runs(root, pivot, args):
    result = pivot("run", *args)
    assert_clean_error(
        result, "pivot.yaml:2: stage 'prep' depends on 'raw.txt', which does not exist and no stage produces it",
        "stages that do not need it run with 'pivot run STAGE...'",
    )
    assert runs(root, "other") == 0 and not (root / ".pivot" / "stages").exists()


def test_keep_going_runs_the_rest_and_reports_the_blocked_stages(root, pivot):
    result = pivot("run", "-k")
    assert result.exit_code == 1, result.output
    assert "prep: FAILED: dependency 'raw.txt' does not exist and no stage produces it" in result.output
    assert "1 ran, 0 skipped, 1 failed, 1 blocked in" in result.output
    assert runs(root, "other") == 1 and runs(root, "train") == 0
    (root / "raw.txt").write_text("raw")  # once the file is there, everything runs
    again = pivot("run")
    assert again.exit_code == 0, again.output
    assert (root / "model.txt").read_text() == "model of RAW" and runs(root, "other") == 1


def test_reports_that_do_not_run_stages_work_with_a_missing_source(root, pivot):
    assert pivot("params", "show").exit_code == 0
    assert pivot("list").exit_code == 0


def test_the_pull_request_report_lists_the_blocked_stages(root, pivot):
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    result = pivot("ci", "comment", "--dry-run", "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert "- `prep`: blocked: `raw.txt` missing, and no stage produces it" in result.stdout
    assert "- `train`: blocked: upstream `prep` cannot run" in result.stdout
