"""`pivot exp show` and `pivot exp diff` through the CLI, on experiments run in a real project."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest
from conftest import assert_clean_error

from experiments.expsupport import commit, make_project, project_paths, record_experiment
from pivot.base import wording
from pivot.experiments import record


@pytest.fixture
def two_exps(tmp_path, monkeypatch):
    root = make_project(tmp_path / "proj")
    monkeypatch.chdir(root)
    record_experiment(root, "exp-1", {"train.lr": 0.5}, "2026-12-05T10:00:00Z")
    record_experiment(root, "exp-2", {"train.lr": 0.01, "train.epochs": 10}, "2026-12-05T11:00:00Z")
    return root


def _table(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_show_has_the_workspace_head_and_each_experiment_with_params_and_metrics(two_exps, pivot):
    result = pivot("exp", "show")
    assert result.exit_code == 0, result.output
    header, *rows = _table(result.output)
    assert header == ["Experiment", "Base", "Created", "Status", "train.lr", "train.epochs", "metrics.json:loss", "metrics.json:lr"]
    head = (two_exps / ".git").exists() and rows[1][1]
    assert [row[0] for row in rows] == ["workspace", "HEAD", "exp-1", "exp-2"]
    assert rows[2] == ["exp-1", head, "2026-12-05T10:00:00Z", "ok", "0.5", "3", "0.09524", "0.5"]
    assert rows[3] == ["exp-2", head, "2026-12-05T11:00:00Z", "ok", "0.01", "10", "1.42857", "0.01"]
    assert rows[0][4:] == ["0.1", "3", "0.47619", "0.1"]  # the workspace as it is
    # The columns line up: each row's train.lr value starts under the header's.
    header_line, *lines = result.output.splitlines()
    at = header_line.index("train.lr")
    assert [line[at:].split()[0] for line in lines] == ["0.1", "0.1", "0.5", "0.01"]


def test_only_changed_leaves_out_params_equal_in_every_row(tmp_path, monkeypatch, pivot):
    root = make_project(tmp_path / "proj")
    monkeypatch.chdir(root)
    record_experiment(root, "exp-1", {"train.lr": 0.5}, "2026-12-05T10:00:00Z")
    header = _table(pivot("exp", "show", "--only-changed").output)[0]
    assert "train.lr" in header and "train.epochs" not in header
    assert "train.epochs" in _table(pivot("exp", "show").output)[0]
    assert "metrics.json:loss" in header  # metrics are always shown


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_sort_by_a_column_newest_n_and_precision(two_exps, pivot):
    def names(*args):
        result = pivot("exp", "show", *args)
        assert result.exit_code == 0, result.output
        return [row[0] for row in _table(result.output)[1:]]

    assert names("--sort-by", "train.lr") == ["workspace", "HEAD", "exp-2", "exp-1"]
    assert names("--sort-by", "loss", "--sort-order", "desc") == ["workspace", "HEAD", "exp-2", "exp-1"]
    assert names("--sort-by", "metrics.json:loss") == ["workspace", "HEAD", "exp-1", "exp-2"]
    assert names("-n", "1") == ["workspace", "HEAD", "exp-2"]
    assert [row[6] for row in _table(pivot("exp", "show", "--precision", "2").output)[3:]] == ["0.1", "1.43"]


def test_a_sort_key_that_is_unknown_or_ambiguous_is_a_clean_error(two_exps, pivot):
    assert_clean_error(pivot("exp", "show", "--sort-by", "los"), "--sort-by 'los'", "did you mean")
    assert_clean_error(pivot("exp", "show", "--sort-by", "lr"), "matches several columns", "train.lr", "metrics.json:lr")


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_show_json_csv_and_markdown(two_exps, pivot):
    data = json.loads(pivot("exp", "show", "--json").output)
    assert [row["name"] for row in data] == ["workspace", "HEAD", "exp-1", "exp-2"]
    assert data[3]["params"] == {"prepare": {}, "train": {"lr": 0.01, "epochs": 10}}  # nested, as the stage took them
    assert data[3]["metrics"] == {"metrics.json": {"loss": 1.428571429, "lr": 0.01}}  # full precision
    assert data[3]["status"] == "ok" and data[0]["created"] is None
    rows = list(csv.reader(io.StringIO(pivot("exp", "show", "--csv").output)))
    assert rows[0][:5] == ["Experiment", "Base", "Created", "Status", "train.lr"]
    assert rows[4][0] == "exp-2" and rows[4][4] == "0.01" and rows[1][2] == ""
    md = pivot("exp", "show", "--md").output.splitlines()
    assert md[0].startswith("| Experiment | Base | Created | Status | train.lr |") and md[1].startswith("|---|")
    assert_clean_error(pivot("exp", "show", "--csv", "--json"), "choose one of")


def test_outside_git_there_is_no_head_row(tmp_path, monkeypatch, pivot):
    root = make_project(tmp_path / "proj", use_git=False)
    monkeypatch.chdir(root)
    record_experiment(root, "exp-1", {"train.lr": 0.5}, "2026-12-05T10:00:00Z")
    rows = _table(pivot("exp", "show").output)
    assert [row[0] for row in rows[1:]] == ["workspace", "exp-1"]
    assert rows[2][1] == "-"


def test_diff_of_two_experiments_as_text_json_and_markdown(two_exps, pivot):
    result = pivot("exp", "diff", "exp-1", "exp-2")
    assert result.exit_code == 0, result.output
    lines = _table(result.output)
    assert lines[0] == ["Stage", "Param", "exp-1", "exp-2"]
    assert ["train", "lr", "0.5", "0.01"] in lines and ["train", "epochs", "3", "10"] in lines
    assert ["metrics.json", "loss", "0.09524", "1.42857", "1.33333"] in lines
    data = json.loads(pivot("exp", "diff", "exp-1", "exp-2", "--json").output)
    assert data["params"]["train"]["lr"] == {"old": 0.5, "new": 0.01, "diff": pytest.approx(-0.49)}
    assert data["metrics"]["metrics.json"]["lr"]["new"] == 0.01
    md = pivot("exp", "diff", "exp-1", "exp-2", "--md").output
    assert md.startswith("#### Params\n\n| Stage | Param | exp-1 | exp-2 |") and "#### Metrics" in md


def test_diff_of_one_experiment_is_against_the_workspace(two_exps, pivot):
    lines = _table(pivot("exp", "diff", "exp-1").output)
    assert lines[0] == ["Stage", "Param", "exp-1", "workspace"]
    assert ["train", "lr", "0.5", "0.1"] in lines
    assert "epochs" not in pivot("exp", "diff", "exp-1").output  # unchanged, so left out
    assert "epochs" in pivot("exp", "diff", "exp-1", "--all").output


def test_an_unknown_experiment_is_a_clean_error_with_the_closest_name(two_exps, pivot):
    assert_clean_error(pivot("exp", "diff", "exp-3", "exp-1"), "no experiment named 'exp-3'", "did you mean")


def test_head_row_follows_the_last_commit(two_exps, pivot):
    (two_exps / "params.yaml").write_text("train:\n  lr: 0.2\n")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    commit(two_exps, "lr 0.2")
    rows = _table(pivot("exp", "show").output)
    assert rows[2][0] == "HEAD" and rows[2][4] == "0.2"


def test_diff_against_a_workspace_without_its_metrics_file_says_so(two_exps, pivot):
    (two_exps / "metrics.json").unlink()
    lines = _table(pivot("exp", "diff", "exp-1").output)
    assert ["metrics.json", "error", "-", "the", "file", "is", "missing", "-"] in lines


def test_cells_are_escaped_in_markdown_and_aligned_by_display_width(two_exps, pivot):
    rec = record.read(project_paths(two_exps), "exp-2")
    params = {"train": {**rec.params["train"], "note": "a|b <c>"}}
    record.write(project_paths(two_exps), dataclasses.replace(rec, name="wide", params=params, metrics={"m.json": {"名前": "模型"}}))
    md = pivot("exp", "show", "--md").output
    assert "| a\\|b \\<c> |" in md and "| 模型 |" in md
    text = pivot("exp", "show").output.splitlines()
    header, wide = text[0], text[-1]
    # Two columns per CJK character: the last column starts at the same terminal column in both.
    assert wording.width(header[: header.index("m.json:名前")]) == wording.width(wide[: wide.index("模型")])
