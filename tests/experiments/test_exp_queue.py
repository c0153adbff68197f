"""`pivot exp run --queue` / `--run-all` and `pivot exp queue` (as DVC's `exp run --queue` and
`dvc queue`): experiments checked and set aside under reserved names, then run in one sweep."""

from __future__ import annotations

import json

import pytest
from conftest import assert_clean_error

from pivot.base import project
from pivot.experiments import record

pytestmark = pytest.mark.slow  # a pool of workers per sweep


def _queue(pivot) -> list[list[str]]:
    return [line.split() for line in pivot("exp", "queue").output.splitlines()]


def test_queued_experiments_keep_their_names_and_run_all_at_once(sweep_project, pivot):
    root = sweep_project
    queued = pivot("exp", "run", "--queue", "-S", "train.lr=0.2,0.3")
    assert queued.exit_code == 0 and "Queued exp-1, exp-2; run them with: pivot exp run --run-all" in queued.output, queued.output
    assert record.names(project.Project(root)) == []  # nothing ran
    assert pivot("exp", "run", "--queue", "-S", "train.epochs=2", "-n", "longer").exit_code == 0
    assert [(row[0], row[2]) for row in _queue(pivot)] == [("exp-1", "train.lr=0.2"), ("exp-2", "train.lr=0.3"), ("longer", "train.epochs=2")]
    assert_clean_error(pivot("exp", "run", "--queue", "-S", "train.nope=1"), "nope")  # checked before it is queued
    assert_clean_error(pivot("exp", "run", "-S", "train.lr=0.9", "-n", "longer"), "'longer' exists")  # the name is taken
    assert len(_queue(pivot)) == 3
    ran = pivot("exp", "run", "--run-all")
    assert ran.exit_code == 0 and "3 experiments: 3 ok, 0 failed" in ran.output, ran.output
    assert record.names(project.Project(root)) == ["exp-1", "exp-2", "longer"]
    assert record.read(project.Project(root), "longer").overrides == {"train.epochs": 2}
    assert _queue(pivot) == [] and "The queue is empty" in pivot("exp", "run", "--run-all").output
    assert "exp-3" in pivot("exp", "run", "--queue", "-S", "train.lr=0.4").output  # after the records' names


def test_the_queue_can_be_pruned_and_bad_input_changes_nothing(sweep_project, pivot):
    assert pivot("exp", "run", "--queue", "-S", "train.lr=0.2,0.3,0.4").exit_code == 0
    assert_clean_error(pivot("exp", "run", "--run-all", "-S", "train.lr=1"), "--run-all runs the queue as it is")
    assert_clean_error(pivot("exp", "queue", "--remove", "exp-9"), "no queued experiment named 'exp-9'")
    assert [row[0] for row in _queue(pivot)] == ["exp-1", "exp-2", "exp-3"]
    assert "Removed from the queue: exp-2" in pivot("exp", "queue", "--remove", "exp-2").output
    assert [row[0] for row in _queue(pivot)] == ["exp-1", "exp-3"]
    (sweep_project / ".pivot/exps/queue/exp-3.json").write_text("{not json")
    assert_clean_error(pivot("exp", "queue"), ".pivot/exps/queue/exp-3.json cannot be read", "--remove exp-3")
    assert "Removed from the queue: exp-3" in pivot("exp", "queue", "--remove", "exp-3").output
    assert "Removed from the queue: exp-1" in pivot("exp", "queue", "--clear").output
    assert _queue(pivot) == []


def test_exp_show_lists_the_queued_experiments_after_the_records(sweep_project, pivot):
    assert pivot("exp", "run", "--queue", "-S", "train.lr=0.2,0.3").exit_code == 0
    shown = pivot("exp", "show", "--csv")
    assert shown.exit_code == 0, shown.output
    rows = [line.split(",") for line in shown.output.splitlines()]
    lr = rows[0].index("train.lr")
    assert [(row[0], row[1], row[3], row[lr]) for row in rows[3:]] == [("exp-1", "", "queued", "0.2"), ("exp-2", "", "queued", "0.3")]
    data = json.loads(pivot("exp", "show", "--json").output)
    assert (data[-1]["overrides"], data[-1]["params"], data[-1]["status"]) == ({"train.lr": 0.3}, {}, "queued")
    assert_clean_error(pivot("exp", "apply", "exp-1"), "experiment 'exp-1' is queued: it has no record yet", "--remove exp-1")
    (sweep_project / ".pivot/exps/queue/exp-2.json").write_text("{not json")
    listed = pivot("exp", "show", "--csv")
    assert listed.exit_code == 0 and [line.split(",")[0] for line in listed.output.splitlines()][3:] == ["exp-1"]
