"""`pivot exp apply` and `pivot exp remove` through the CLI: the workspace becomes the
experiment's without running anything, or nothing changes at all."""

from __future__ import annotations

import dataclasses
import json
import pathlib

import pytest
from conftest import assert_clean_error

from experiments.expsupport import commit, make_project, project_paths, record_experiment, runs
from pivot.experiments import record
from pivot.storage.cache import Cache

PARAMS = "# Hyperparameters, tuned by hand\ntrain:\n  epochs: 3  # enough for the toy data\n"


@pytest.fixture
def exps(tmp_path, monkeypatch):
    root = make_project(tmp_path / "proj", params_yaml=PARAMS)
    monkeypatch.chdir(root)
    record_experiment(root, "exp-1", {"train.lr": 0.5}, "2026-12-05T10:00:00Z")
    record_experiment(root, "exp-2", {"train.lr": 0.01, "train.epochs": 10}, "2026-12-05T11:00:00Z")
    return root


def _snapshot(root: pathlib.Path) -> dict[str, bytes]:
    """Every file the user sees and every lock, by path."""
    names = ["params.yaml", "model.txt", "metrics.json", "clean.txt"]
    files = {name: (root / name).read_bytes() for name in names if (root / name).exists()}
    files.update({p.name: p.read_bytes() for p in (root / ".pivot" / "stages").glob("*.lock")})
    return files


def test_apply_sets_params_restores_outputs_and_leaves_every_stage_up_to_date(exps, pivot):
    before = {stage: runs(exps, stage) for stage in ("prepare", "train")}
    result = pivot("exp", "apply", "exp-2")
    assert result.exit_code == 0, result.output
    assert "applied exp-2: 2 params set, 2 outputs restored" in result.output
    assert (exps / "params.yaml").read_text() == (
        "# Hyperparameters, tuned by hand\ntrain:\n  epochs: 10 # enough for the toy data\n  lr: 0.01\n"
    )
    assert (exps / "model.txt").read_text() == "model(ROWS, lr=0.01, epochs=10)"
    status = pivot("status")
    assert status.exit_code == 0 and "will run" not in status.output and status.output.count("up to date") == 2
    metrics = json.loads(pivot("metrics", "show", "--json").output)
    assert metrics == record.read(project_paths(exps), "exp-2").metrics
    assert {stage: runs(exps, stage) for stage in ("prepare", "train")} == before  # nothing ran
    pivot("run", "--executor", "inprocess")
    assert runs(exps, "train") == before["train"]  # and a run finds nothing to do


def test_apply_creates_params_yaml_when_there_is_none(tmp_path, monkeypatch, pivot):
    root = make_project(tmp_path / "proj")
    monkeypatch.chdir(root)
    record_experiment(root, "exp-1", {"train.lr": 0.5}, "2026-12-05T10:00:00Z")
    assert not (root / "params.yaml").exists()
    assert pivot("exp", "apply", "exp-1").exit_code == 0
    assert (root / "params.yaml").read_text() == "train:\n  lr: 0.5\n"
    assert "up to date" in pivot("status").output and "will run" not in pivot("status").output


def test_a_missing_object_fails_naming_the_output_and_changes_nothing(exps, pivot):
    rec = record.read(project_paths(exps), "exp-2")
    model = rec.locks["train"]["outs"]["model.txt"]["hash"]
    Cache(exps / ".pivot" / "cache").object_path(model).unlink()
    before = _snapshot(exps)
    result = pivot("exp", "apply", "exp-2")
    assert result.exit_code == 1, result.output
    assert "model.txt (stage 'train')" in result.output and "nothing was changed" in result.output
    assert "Traceback" not in result.output
    assert _snapshot(exps) == before


def test_an_output_edited_by_hand_is_kept_unless_forced(exps, pivot):
    (exps / "model.txt").write_text("my careful edit")
    before = _snapshot(exps)
    assert_clean_error(pivot("exp", "apply", "exp-1"), "model.txt was edited by hand", "exp apply -f")
    assert _snapshot(exps) == before
    assert pivot("exp", "apply", "-f", "exp-1").exit_code == 0
    assert (exps / "model.txt").read_text() == "model(ROWS, lr=0.5, epochs=3)"


def test_apply_on_a_later_commit_notes_the_experiment_s_base(exps, pivot):
    assert "note:" not in pivot("exp", "apply", "exp-1").output
    commit(exps, "exp-1 applied")
    result = pivot("exp", "apply", "exp-2")
    assert result.exit_code == 0
    base = record.read(project_paths(exps), "exp-2").base
    assert f"note: exp-2 ran on commit {base[:8]}, not on HEAD" in result.output


def test_a_failed_experiment_is_shown_but_not_applied(exps, pivot):
    rec = record.read(project_paths(exps), "exp-1")
    record.write(project_paths(exps), dataclasses.replace(rec, name="exp-3", created="2026-12-05T12:00:00Z", status="failed", error="train raised ValueError", metrics={}))
    rows = [line.split() for line in pivot("exp", "show").output.splitlines()]
    assert rows[-1][:4] == ["exp-3", rec.base[:8], "2026-12-05T12:00:00Z", "failed"] and rows[-1][-2:] == ["-", "-"]
    assert json.loads(pivot("exp", "show", "--json").output)[-1]["error"] == "train raised ValueError"
    before = _snapshot(exps)
    assert_clean_error(pivot("exp", "apply", "exp-3"), "experiment 'exp-3' failed")
    assert _snapshot(exps) == before


def test_apply_of_an_unknown_name_is_a_clean_error(exps, pivot):
    assert_clean_error(pivot("exp", "apply", "exp-22"), "no experiment named 'exp-22'", "did you mean 'exp-2'?")


def test_apply_of_a_variant_override_writes_that_variant_s_section(tmp_path, monkeypatch, pivot):
    root = make_project(tmp_path / "proj")
    (root / "pivot.yaml").write_text(
        "stages:\n  prepare:\n    python: stages.prepare\n  train:\n    python: stages.train\n"
        "    matrix:\n      size: [small, big]\n"
        "    outs:\n      model: models/${size}.txt\n    metrics:\n      score: scores/${size}.json\n"
    )
    monkeypatch.chdir(root)
    record_experiment(root, "exp-1", {"train.epochs": 4, "train@big.lr": 0.5}, "2026-12-05T10:00:00Z")
    assert pivot("exp", "apply", "exp-1").exit_code == 0
    assert (root / "params.yaml").read_text() == "train:\n  epochs: 4\ntrain@big:\n  lr: 0.5\n"
    assert (root / "models" / "big.txt").read_text() == "model(ROWS, lr=0.5, epochs=4)"
    status = pivot("status").output
    assert "will run" not in status and status.count("up to date") == 3


def test_remove_drops_records_and_checks_every_name_first(exps, pivot):
    assert_clean_error(pivot("exp", "remove", "exp-1", "exp-9"), "no experiment named 'exp-9'")
    assert record.names(project_paths(exps)) == ["exp-1", "exp-2"]  # nothing removed
    result = pivot("exp", "remove", "exp-1")
    assert result.exit_code == 0 and "removed 1 experiment\n" in result.output
    assert [row.split()[0] for row in pivot("exp", "show").output.splitlines()[1:]] == ["workspace", "HEAD", "exp-2"]
    assert_clean_error(pivot("exp", "remove"), "give experiment names, or --all")
    assert "removed 1 experiment" in pivot("exp", "remove", "--all").output
    assert record.names(project_paths(exps)) == []
