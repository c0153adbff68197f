"""Output kinds: only Metric outputs are metrics, whatever their `cache` flag, in the workspace and
at any git revision, and lock files written before kinds were recorded still read right."""

from __future__ import annotations

import json
import os

import pytest
from test_diffs import commit, git, tagged_then_changed

from pivot.storage import lock as lock_mod

STAGES = '''
from typing import Annotated, TypedDict
from pivot import loaders, outputs
from pivot.stage_def import StageParams


class TrainParams(StageParams):
    lr: float = 0.1


class Trained(TypedDict):
    score: Annotated[dict, outputs.Metric("metrics.json")]
    conf: Annotated[dict, outputs.Out("conf.yaml", loaders.YAML(), cache=False)]
    curve: Annotated[dict, outputs.Plot("curve.json")]


def train(params: TrainParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Trained:
    return {"score": {"acc": 1 - params.lr}, "conf": {"lr": params.lr, "layers": 3}, "curve": {"x": params.lr}}
'''

PIPELINE = "stages:\n  train:\n    python: stages.train\n    params:\n      lr: {lr}\n"


@pytest.fixture
def repo(project, pivot):
    """Run and committed at lr 0.5 (tag v1), then run at lr 0.25 in the workspace."""
    root = project({"stages.py": STAGES, "data.txt": "abc", "pivot.yaml": PIPELINE.format(lr=0.5)})
    return tagged_then_changed(root, pivot, PIPELINE.format(lr=0.25))


# .pivot/stages/train.lock as pivot wrote it before kinds were recorded (schema 1), for STAGES at
# lr 0.5: the uncached conf.yaml sits under `metrics` with the real metric.
OLD_LOCK = """\
code:
  fingerprint: 276a116f65b5aedab0f1f1dbee1bd67a
  manifest:
    stages.TrainParams: beae79df7ce8b30f9b68e170fd70f6de
    stages.Trained: 4b8d491ee37a04243da0ec8713fde551
    stages.train: 652decc3efd4fa9e60212ed09089ce1b
deps:
  data.txt:
    hash: 06b05ab6733a618578af5f94892f3950
    size: 3
metrics:
  conf.yaml:
    hash: cf5f37f23c13ac89937c4046264423d5
    size: 18
  metrics.json:
    hash: 8e93c16ba1cf865947aba96e51804819
    size: 17
outs:
  curve.json:
    hash: 00c5a018aa87bffe0afd0ffe52828423
    size: 15
params:
  lr: 0.5
schema: 1
"""


@pytest.fixture
def old_repo(project, pivot):
    """v1 committed with the schema-1 lock above (the outputs as that run made them), then the
    pipeline changed to lr 0.25 in the workspace, not yet run."""
    root = project({"stages.py": STAGES, "data.txt": "abc", "pivot.yaml": PIPELINE.format(lr=0.5)})
    git(root, "init", "-q", "-b", "main")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    (root / ".pivot" / "stages" / "train.lock").write_text(OLD_LOCK)
    commit(root, "first, by the pivot of before")
    git(root, "tag", "v1")
    (root / "pivot.yaml").write_text(PIPELINE.format(lr=0.25))
    return root


def test_an_uncached_out_is_not_a_metric_in_show_or_diff(repo, pivot):
    assert json.loads(pivot("metrics", "show", "--json").output) == {"metrics.json": {"acc": 0.75}}
    assert json.loads(pivot("metrics", "diff", "--json").output) == {
        "metrics.json": {"acc": {"old": 0.5, "new": 0.75, "diff": 0.25}}
    }
    commit(repo, "second")
    between = json.loads(pivot("metrics", "diff", "v1", "HEAD", "--json", "--all").output)
    assert list(between) == ["metrics.json"]


def test_the_lock_records_each_outputs_kind_and_whether_it_is_cached(repo):
    text = (repo / ".pivot" / "stages" / "train.lock").read_text()
    assert "schema: 2" in text and "\nmetrics:" not in text
    outputs = lock_mod.parse(text).outputs
    assert {path: (out.kind.name, out.cache) for path, out in outputs.items()} == {
        "metrics.json": ("METRIC", False),
        "conf.yaml": ("OUT", False),
        "curve.json": ("PLOT", True),
    }
    assert "  conf.yaml:\n    cache: false\n    hash: " in text and "    kind: out\n" in text


def test_ci_comment_reports_only_metric_outputs(repo, pivot, monkeypatch):
    for name in list(os.environ):
        if name.startswith("GITHUB_") or name in ("GH_TOKEN", "CI"):
            monkeypatch.delenv(name)
    commit(repo, "second")
    result = pivot("ci", "comment", "--base", "v1")
    assert result.exit_code == 0, result.output
    metrics = result.stdout.split("#### Metrics")[1].split("#### Stages")[0]
    assert "metrics.json" in metrics and "acc" in metrics
    assert "conf.yaml" not in metrics and "layers" not in metrics


def test_an_old_lock_is_read_with_the_kinds_the_pipeline_declares(old_repo, pivot):
    (old_repo / "pivot.yaml").write_text(PIPELINE.format(lr=0.5))
    status = pivot("status", "--json")
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["train"]["reasons"] == []  # read, not taken for "never run"
    assert json.loads(pivot("metrics", "diff", "v1", "--json", "--all").output) == {
        "metrics.json": {"acc": {"old": 0.5, "new": 0.5, "diff": 0}}
    }
    (old_repo / "curve.json").unlink()
    assert pivot("checkout").exit_code == 0  # its cached outputs are still what checkout restores
    assert json.loads((old_repo / "curve.json").read_text()) == {"x": 0.5}


def test_metrics_diff_against_a_revision_with_an_old_lock(old_repo, pivot):
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert json.loads(pivot("metrics", "diff", "v1", "--json").output) == {
        "metrics.json": {"acc": {"old": 0.5, "new": 0.75, "diff": 0.25}}
    }
    commit(old_repo, "second")
    assert list(json.loads(pivot("metrics", "diff", "v1", "HEAD", "--json").output)) == ["metrics.json"]


def test_the_next_run_of_the_stage_rewrites_an_old_lock_with_kinds(old_repo, pivot):
    lock_file = old_repo / ".pivot" / "stages" / "train.lock"
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    lock = lock_mod.read(lock_file)
    assert lock.kinds_recorded and "schema: 2" in lock_file.read_text()
    assert {path: out.kind.name for path, out in lock.outputs.items()} == {
        "metrics.json": "METRIC",
        "conf.yaml": "OUT",
        "curve.json": "PLOT",
    }


def test_an_old_lock_without_a_pipeline_to_ask_keeps_the_old_reading(old_repo, pivot):
    """Where the workspace pipeline cannot tell (it does not load, or no longer declares the
    path), an uncached output of an old lock is a metric, as pivot read it when it wrote it."""
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    commit(old_repo, "second")
    (old_repo / "pivot.yaml").write_text("stages: [unclosed\n")
    result = pivot("metrics", "diff", "v1", "HEAD", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["conf.yaml"] == {
        "layers": {"old": 3, "new": None, "diff": None},
        "lr": {"old": 0.5, "new": None, "diff": None},
    }
