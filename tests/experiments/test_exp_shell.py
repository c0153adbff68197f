"""A sweep over a DVC-style pipeline of shell stages whose scripts read params.yaml themselves:
each experiment's scratch tree holds its values there, so the scripts see them; `exp apply` then
writes the same values into the workspace's params.yaml and the pipeline is up to date."""

from __future__ import annotations

import json

import pytest

from experiments.sweeps import git
from pivot.api import Project
from pivot.experiments import record

pytestmark = pytest.mark.slow  # a pool of workers per sweep

PIPELINE = """
stages:
  prepare:
    cmd: python prepare.py
    deps: [prepare.py, data.txt]
    outs: [clean.txt]
  train:
    cmd: python train.py
    deps: [train.py, clean.txt]
    params: [train.lr, seed]
    outs: [model.txt]
    metrics:
      - metrics.json: {cache: false}
"""
PREPARE = "open('clean.txt', 'w').write(open('data.txt').read().upper())\n"
TRAIN = """
import json, yaml
params = yaml.safe_load(open("params.yaml"))  # as a DVC stage reads its params
lr, seed = params["train"]["lr"], params["seed"]
open("model.txt", "w").write(f"{open('clean.txt').read().strip()} lr={lr} seed={seed}")
json.dump({"score": lr * 10}, open("metrics.json", "w"))
"""
PARAMS = "# the team's defaults\nseed: 7\ntrain:\n  lr: 0.1  # tuned by hand\n"


def test_a_sweep_of_shell_stages_sees_its_values_in_params_yaml(project, pivot):
    root = project({"pivot.yaml": PIPELINE, "prepare.py": PREPARE, "train.py": TRAIN, "params.yaml": PARAMS, "data.txt": "rows\n"})
    assert pivot("run").exit_code == 0
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "pipeline")

    result = pivot("exp", "run", "-S", "train.lr=0.2,0.3", "-j", "2")

    assert result.exit_code == 0, result.output
    assert (root / "params.yaml").read_text() == PARAMS  # the workspace's stays as it was
    assert git(root, "status", "--porcelain") == ""
    recs = {rec.overrides["train.lr"]: rec for rec in record.all(Project.open(root))}
    assert {lr: rec.metrics for lr, rec in recs.items()} == {0.2: {"metrics.json": {"score": 2.0}}, 0.3: {"metrics.json": {"score": 3.0}}}
    assert recs[0.3].params["train"] == {"seed": 7, "train.lr": 0.3}  # params.yaml keys, as its lock has them
    # The table names them as params.yaml and -S do, not prefixed with the stage a second time.
    shown = pivot("exp", "show", "--csv", "--sort-by", "train.lr", "--sort-order", "desc")
    assert shown.exit_code == 0, shown.output
    rows = [line.split(",") for line in shown.output.splitlines()]
    assert rows[0][4:] == ["train.lr", "seed", "metrics.json:score"]
    assert [row[4:6] for row in rows[1:]] == [["0.1", "7"], ["0.1", "7"], ["0.3", "7"], ["0.2", "7"]]

    assert pivot("exp", "apply", recs[0.3].name).exit_code == 0
    assert (root / "model.txt").read_text() == "ROWS lr=0.3 seed=7"
    assert (root / "params.yaml").read_text() == PARAMS.replace("lr: 0.1", "lr: 0.3")  # comments kept
    assert json.loads((root / "metrics.json").read_text()) == {"score": 3.0}
    status = pivot("status")
    assert "up to date" in status.output and "stale" not in status.output, status.output
