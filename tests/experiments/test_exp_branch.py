"""`pivot exp branch NAME BRANCH`: a branch whose commit holds the experiment's params, locks and
git-kept outputs, made without touching the workspace, the index or HEAD; checking it out and
`pivot checkout` give the experiment's results with every stage up to date. And `exp rename`."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import assert_clean_error

from experiments.expsupport import git, make_project, project_paths, record_experiment
from pivot.experiments import record

PARAMS = "# Hyperparameters, tuned by hand\ntrain:\n  epochs: 3  # enough for the toy data\n"


@pytest.fixture
def exps(tmp_path, monkeypatch):
    root = make_project(tmp_path / "proj", params_yaml=PARAMS)
    monkeypatch.chdir(root)
    for name, value in (("GIT_AUTHOR_NAME", "t"), ("GIT_AUTHOR_EMAIL", "t@example.com"), ("GIT_COMMITTER_NAME", "t"), ("GIT_COMMITTER_EMAIL", "t@example.com")):
        monkeypatch.setenv(name, value)  # a machine without a global git identity commits too
    record_experiment(root, "exp-2", {"train.lr": 0.01, "train.epochs": 10}, "2026-12-05T11:00:00Z")
    return root


def test_the_branch_holds_the_experiment_and_the_workspace_is_untouched(exps, pivot):
    head = git(exps, "rev-parse", "HEAD").strip()
    status_before = git(exps, "status", "--porcelain")
    before = {name: (exps / name).read_bytes() for name in ("params.yaml", "model.txt", "metrics.json")}
    result = pivot("exp", "branch", "exp-2", "lr-0.01")
    assert result.exit_code == 0, result.output
    assert "Branch 'lr-0.01' holds exp-2" in result.output and "git checkout lr-0.01 && pivot checkout" in result.output
    assert git(exps, "rev-parse", "HEAD").strip() == head and git(exps, "status", "--porcelain") == status_before
    assert {name: (exps / name).read_bytes() for name in before} == before
    assert git(exps, "rev-parse", "lr-0.01~1").strip() == head  # one commit, on the one it ran on
    changed = set(git(exps, "diff", "--name-only", head, "lr-0.01").split())
    assert changed == {"params.yaml", "metrics.json", ".pivot/stages/train.lock"}
    assert git(exps, "show", "lr-0.01:params.yaml").rstrip("\n") == (
        "# Hyperparameters, tuned by hand\ntrain:\n  epochs: 10 # enough for the toy data\n  lr: 0.01"
    )
    git(exps, "checkout", "-q", "-f", "lr-0.01")  # (the stages' run counter is a file the test keeps)
    assert pivot("checkout").exit_code == 0
    assert (exps / "model.txt").read_text() == "model(ROWS, lr=0.01, epochs=10)"
    status = pivot("status")
    assert "will run" not in status.output and status.output.count("up to date") == 2
    assert json.loads(pivot("metrics", "show", "--json").output) == record.read(project_paths(exps), "exp-2").metrics


def test_bad_input_writes_nothing(exps, pivot):
    refs = git(exps, "for-each-ref")
    assert_clean_error(pivot("exp", "branch", "nope", "x"), "no experiment named 'nope'")
    assert_clean_error(pivot("exp", "branch", "exp-2", "bad name"), "'bad name' is not a valid branch name")
    assert git(exps, "for-each-ref") == refs
    assert pivot("exp", "branch", "exp-2", "taken").exit_code == 0
    made = git(exps, "rev-parse", "taken")
    assert_clean_error(pivot("exp", "branch", "exp-2", "taken"), "branch 'taken' already exists", "git branch -D taken")
    assert git(exps, "rev-parse", "taken") == made  # the branch there is left as it was


def test_rename_keeps_the_record_under_its_new_name(exps, pivot):
    before = record.read(project_paths(exps), "exp-2")
    result = pivot("exp", "rename", "exp-2", "lr-small")
    assert result.exit_code == 0 and "Renamed experiment 'exp-2' to 'lr-small'" in result.output
    assert record.read(project_paths(exps), "lr-small") == dataclasses.replace(before, name="lr-small")
    assert "lr-small" in pivot("exp", "show").output and "exp-2" not in pivot("exp", "show").output
    assert_clean_error(pivot("exp", "rename", "exp-2", "x"), "no experiment named 'exp-2'")
    assert_clean_error(pivot("exp", "rename", "lr-small", "bad name"), "'bad name' is not a valid experiment name")
    record_experiment(exps, "other", {"train.lr": 0.5}, "2026-12-05T12:00:00Z")
    assert_clean_error(pivot("exp", "rename", "lr-small", "other"), "an experiment named 'other' exists already")
    assert record.read(project_paths(exps), "lr-small") == dataclasses.replace(before, name="lr-small")
