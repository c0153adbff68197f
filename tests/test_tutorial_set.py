"""The user's tutorial (examples/tutorial) with `-S`: a run with other params, then a plain
`pivot explain` saying they changed back to what pivot.yaml says."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import REPO

pytest.importorskip("pandas")

BACK_TO_PIVOT_YAML = """\
Stage: train
  Status: WILL RUN
  Reason: Parameters changed

  Param changes:
    learning_rate: 0.1 -> 0.05
    epochs: 5 -> 200
"""


def test_a_run_with_overrides_then_explain_shows_the_params_changing_back(tmp_path, monkeypatch, pivot):
    root = tmp_path / "tutorial"
    shutil.copytree(REPO / "examples" / "tutorial", root, ignore=shutil.ignore_patterns(".pivot", "*.parquet", "*.pkl", "metrics.json"))
    monkeypatch.chdir(root)
    pipeline = (root / "pivot.yaml").read_text()

    ran = pivot("run", "--executor", "inprocess", "-S", "train.learning_rate=0.1", "-S", "train.epochs=5")
    assert ran.exit_code == 0, ran.output
    assert json.loads((root / "metrics.json").read_text())["learning_rate"] == 0.1
    assert (root / "pivot.yaml").read_text() == pipeline
    assert not (root / "params.yaml").exists()

    assert pivot("explain", "train").output == BACK_TO_PIVOT_YAML
    assert pivot("explain", "train", "-S", "train.learning_rate=0.1", "-S", "train.epochs=5").output == (
        "Stage: train\n  Status: UP TO DATE\n"
    )
