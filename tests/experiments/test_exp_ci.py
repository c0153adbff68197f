"""`pivot ci comment --exps`: the experiments table under its own heading in the PR comment, the
job summary and a dry run; without the flag, the report has no such section."""

from __future__ import annotations

import os

import pytest
from fake_github import FakeGitHub

from experiments.expsupport import make_project, record_experiment

HEADING = "#### Experiments"


@pytest.fixture
def exps(tmp_path, monkeypatch):
    for name in list(os.environ):  # the suite's own CI variables must not leak in
        if name.startswith("GITHUB_") or name in ("GH_TOKEN", "CI"):
            monkeypatch.delenv(name)
    root = make_project(tmp_path / "proj")
    monkeypatch.chdir(root)
    record_experiment(root, "exp-1", {"train.lr": 0.5}, "2026-12-05T10:00:00Z")
    record_experiment(root, "exp-2", {"train.lr": 0.01, "train.epochs": 10}, "2026-12-05T11:00:00Z")
    return root


def test_dry_run_adds_the_experiments_table_only_when_asked(exps, pivot):
    plain = pivot("ci", "comment", "--dry-run")
    assert plain.exit_code == 0, plain.output
    assert HEADING not in plain.output
    shown = pivot("ci", "comment", "--dry-run", "--exps")
    assert shown.exit_code == 0, shown.output
    report, table = shown.output.split(HEADING + "\n\n")
    assert "#### Stages" in report  # the section comes after the rest of the report
    assert table == pivot("exp", "show", "--md").output + "\n"
    assert "| exp-2 |" in table and "| 0.01 | 10 |" in table


def test_the_pull_request_comment_and_job_summary_carry_the_table(exps, pivot, tmp_path, monkeypatch):
    with FakeGitHub() as gh:
        env, summary = gh.pull_request_env(tmp_path)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        result = pivot("ci", "comment", "--exps", "--base", "HEAD")
        assert result.exit_code == 0, result.output
        (comment,) = gh.comments
    body = comment["body"]
    assert HEADING in body and "| exp-1 |" in body and "| exp-2 |" in body
    assert HEADING in summary.read_text()


def test_a_project_without_experiments_says_so(tmp_path, monkeypatch, pivot):
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    root = make_project(tmp_path / "proj")
    monkeypatch.chdir(root)
    shown = pivot("ci", "comment", "--dry-run", "--exps")
    assert shown.exit_code == 0, shown.output
    assert f"{HEADING}\n\nNo experiments here (`pivot exp pull` brings those pushed to a remote)." in shown.output
