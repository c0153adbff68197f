"""A NaN against a NaN is no change, a NaN against a number is one: in metrics diff, params diff,
the PR report and a stage's params (a NaN param must not rerun its stage every time)."""

from __future__ import annotations

import json
import math

import pytest
from test_diffs import commit, git

from pivot.report import diff

STAGES = '''
from typing import Annotated, TypedDict
from pivot import outputs
from pivot.stage_def import StageParams


class P(StageParams):
    a: float = 0.0
    b: float = 0.0


class Scored(TypedDict):
    metrics: Annotated[dict, outputs.Metric("metrics.json")]


def score(params: P) -> Scored:
    return {"metrics": {"loss": float("nan"), "a": params.a, "b": params.b}}
'''


def _pipeline(a, b):
    return f"stages:\n  score:\n    python: stages.score\n    params:\n      a: {a}\n      b: {b}\n"


@pytest.fixture
def repo(project, pivot):
    """Committed with a = NaN, b = 1.0; the workspace then has a = NaN, b = NaN, run."""
    root = project({"stages.py": STAGES, "pivot.yaml": _pipeline(".nan", 1.0)})
    git(root, "init", "-q")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    commit(root, "first")
    (root / "pivot.yaml").write_text(_pipeline(".nan", ".nan"))
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    return root


def test_metrics_diff_shows_only_the_metric_that_became_nan(repo, pivot):
    result = pivot("metrics", "diff")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Path          Metric  HEAD  workspace  Change",
        "metrics.json  b       1.0   NaN        NaN",
    ]
    every = pivot("metrics", "diff", "--all", "--json")
    data = json.loads(every.output)["metrics.json"]
    assert data["loss"]["diff"] == 0 and data["a"]["diff"] == 0  # NaN in both: no change
    assert math.isnan(data["b"]["diff"])


def test_params_diff_shows_only_the_param_that_became_nan(repo, pivot):
    result = pivot("params", "diff")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Stage  Param  HEAD  workspace",
        "score  b      1.0   NaN",
    ]


def test_a_nan_param_leaves_its_stage_up_to_date(repo, pivot):
    status = pivot("status")
    assert status.exit_code == 0, status.output
    assert "up to date" in status.output and "will run" not in status.output
    assert pivot("run", "--executor", "inprocess").output.startswith("score: up to date")


def test_the_pull_request_report_lists_only_real_changes(repo, pivot):
    report = pivot("ci", "comment", "--dry-run").stdout
    metrics = report.split("#### Metrics")[1].split("#### Stages")[0]
    rows = [line for line in metrics.splitlines() if line.startswith("| metrics.json")]
    assert rows == ["| metrics.json | b | 1.0 | NaN | NaN |"]
    params = report.split("#### Params")[1].split("#### Metrics")[0]
    assert [line for line in params.splitlines() if line.startswith("| score")] == ["| score | b | 1.0 | NaN |"]


@pytest.mark.parametrize(
    ("old", "new", "changed", "delta"),
    [
        (math.nan, math.nan, False, 0),
        (math.nan, 1.0, True, None),  # NaN: no number says how far
        (2.0, math.nan, True, None),
        (1, 1.0, True, 0),
        ([math.nan], [math.nan], False, None),
    ],
)
def test_rows_compare_nan_as_equal_to_itself(old, new, changed, delta):
    row = diff.compare({"m": {"k": old}}, {"m": {"k": new}}, include_unchanged=True)[0]
    assert row.changed is changed
    if delta is None and row.delta is not None:
        assert math.isnan(row.delta)
    else:
        assert row.delta == delta
