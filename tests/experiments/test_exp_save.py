"""`pivot exp save`: the workspace after a run made by hand, recorded as an experiment that
`exp show` lists and `exp apply` brings back, without running anything; a stale workspace or a
taken name is refused and nothing is written."""

from __future__ import annotations

import json

from conftest import assert_clean_error

from experiments.sweeps import runs
from pivot.base import project as project_mod
from pivot.experiments import record


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _shown(pivot) -> dict[str, dict]:
    return {row["name"]: row for row in json.loads(ok(pivot("exp", "show", "--json")))}


def test_a_hand_made_run_is_saved_with_what_it_changed_and_can_be_applied_later(sweep_project, pivot, counts):
    root = sweep_project
    (root / "params.yaml").write_text("train:\n  lr: 0.3\n")
    ok(pivot("run"))
    before_save = {stage: runs(counts, stage) for stage in ("prepare", "train", "evaluate")}
    assert ok(pivot("exp", "save", "-n", "by-hand")).startswith("by-hand  ok  train.lr=0.3")
    assert {stage: runs(counts, stage) for stage in before_save} == before_save  # nothing ran
    saved = record.read(project_mod.Project(root), "by-hand")
    assert saved.overrides == {"train.lr": 0.3} and saved.status == "ok" and saved.base is not None
    assert set(saved.locks) == {"prepare", "train", "evaluate"}
    assert "by-hand" in _shown(pivot)

    (root / "params.yaml").write_text("train:\n  lr: 0.1\n")
    ok(pivot("run"))
    model = (root / "model.txt").read_text()
    ok(pivot("exp", "apply", "by-hand"))
    assert (root / "model.txt").read_text() != model and "lr=0.3" in (root / "model.txt").read_text()
    assert "will run" not in ok(pivot("status"))


def test_names_follow_on_from_the_last_experiment(sweep_project, pivot):
    ok(pivot("exp", "save"))
    ok(pivot("exp", "save"))
    assert {"exp-1", "exp-2"} <= set(_shown(pivot))


def test_a_stale_workspace_is_not_saved(sweep_project, pivot):
    root = sweep_project
    (root / "params.yaml").write_text("train:\n  lr: 0.3\n")  # edited, not run
    result = pivot("exp", "save", "-n", "stale")
    assert result.exit_code == 1 and "not saved: 2 stages would run (train, evaluate)" in result.output
    assert "Traceback" not in result.output
    assert not (record.exps_dir(project_mod.Project(root)) / "stale.json").exists()


def test_a_taken_or_malformed_name_is_refused(sweep_project, pivot):
    ok(pivot("exp", "save", "-n", "mine"))
    assert_clean_error(pivot("exp", "save", "-n", "mine"), "an experiment named 'mine' exists")
    assert_clean_error(pivot("exp", "save", "-n", "no/slash"))
