"""metrics history through the CLI, in a real git repository of several commits: each metric at
each of the last N first-parent commits, read from git (the workspace is never looked at)."""

from __future__ import annotations

import json

import mermaid_grammar as grammar
import pytest
from conftest import assert_clean_error
from test_diffs import PIPELINE, STAGES, commit, git

RATES = (0.5, 0.25, 0.125, 0.0625)


@pytest.fixture
def repo(project, pivot):
    """Four commits, each a run at the next learning rate (accuracy 1 - rate), then a fifth that
    changes only a README; the workspace is then broken, which history must not notice."""
    root = project({"stages.py": STAGES, "data.txt": "abc", "pivot.yaml": PIPELINE.format(lr=RATES[0])})
    git(root, "init", "-q", "-b", "main")
    for rate in RATES:
        (root / "pivot.yaml").write_text(PIPELINE.format(lr=rate))
        assert pivot("run", "--executor", "inprocess").exit_code == 0
        commit(root, f"train at {rate}")
    (root / "README.md").write_text("notes\n")
    commit(root, "a README | with a pipe and a subject long enough to be cut short in the table")
    (root / "metrics.json").write_text("{broken")
    return root


def shas(root, count):
    import subprocess

    out = subprocess.run(["git", "log", "--first-parent", f"-{count}", "--format=%H"], cwd=root, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_table_has_a_row_per_commit_newest_first_and_a_column_per_metric(repo, pivot):
    result = pivot("metrics", "history", "-n", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines[0].split()
    assert header[:3] == ["Commit", "Date", "Subject"]
    assert header[-4:] == ["extra.yaml:rows", "metrics.json:accuracy", "metrics.json:name", "metrics.json:params.learning_rate"]
    assert len(lines) == 4
    newest, second, third = shas(repo, 3)
    assert lines[1].startswith(newest[:7]) and "a README | with a pipe and a subject long enough…" in lines[1]
    assert lines[1].split()[-4:] == ["3", "0.9375", "model-a", "0.0625"]  # the last run's, committed before the README
    assert lines[2].startswith(second[:7]) and lines[2].split()[-4:] == ["3", "0.9375", "model-a", "0.0625"]
    assert lines[3].startswith(third[:7]) and lines[3].split()[-4:] == ["3", "0.875", "model-a", "0.125"]
    rounded = pivot("metrics", "history", "-n", "1", "--precision", "2", "accuracy").stdout.splitlines()
    assert rounded[1].split()[-1] == "0.94"  # as metrics show rounds; --json keeps every digit


def test_json_is_a_list_of_commits_with_nested_metrics(repo, pivot):
    result = pivot("metrics", "history", "--json", "accuracy")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [entry["commit"] for entry in data] == shas(repo, 5)
    assert [entry["metrics"] for entry in data][1:] == [{"metrics.json": {"accuracy": 1 - rate}} for rate in reversed(RATES)]
    assert data[-1]["subject"] == "train at 0.5" and data[-1]["date"][:4].isdigit()


def test_markdown_has_the_table_and_a_mermaid_chart_per_numeric_metric(repo, pivot):
    result = pivot("metrics", "history", "--md", "-n", "4", "metrics.json:accuracy", "rows", "name")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("| Commit | Date | Subject | metrics.json:accuracy | extra.yaml:rows | metrics.json:name |\n")
    assert "a README \\| with a pipe" in result.stdout
    charts = grammar.check(result.stdout)
    assert [chart.title for chart in charts] == ["metrics.json:accuracy", "extra.yaml:rows"]  # a name draws nothing
    oldest_first = shas(repo, 4)[::-1]
    assert charts[0].x_band == [sha[:7] for sha in oldest_first]
    assert charts[0].plots[0][2] == [0.75, 0.875, 0.9375, 0.9375]


def test_a_commit_without_the_metrics_file_shows_a_dash_and_null(repo, pivot):
    git(repo, "checkout", "metrics.json")  # only extra.yaml is broken in this commit
    (repo / "extra.yaml").write_text("rows: [1, 2\n")
    commit(repo, "break extra.yaml")
    result = pivot("metrics", "history", "-n", "2", "rows")
    assert result.exit_code == 0, result.output
    assert [line.split()[-1] for line in result.stdout.splitlines()] == ["extra.yaml:rows", "-", "3"]
    data = json.loads(pivot("metrics", "history", "-n", "2", "--json", "rows").stdout)
    assert data[0]["metrics"] == {"extra.yaml": {"rows": None}}
    assert data[0]["unreadable"]["extra.yaml"].startswith("invalid YAML")


def test_a_commit_before_any_run_has_no_values(project, pivot):
    root = project({"stages.py": STAGES, "data.txt": "abc", "pivot.yaml": PIPELINE.format(lr=0.5)})
    git(root, "init", "-q", "-b", "main")
    commit(root, "the pipeline, not run yet")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    commit(root, "first run")
    data = json.loads(pivot("metrics", "history", "--json", "accuracy").stdout)
    assert [entry["metrics"] for entry in data] == [{"metrics.json": {"accuracy": 0.5}}, {"metrics.json": {"accuracy": None}}]


def test_history_follows_first_parents_only(repo, pivot):
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "side.txt").write_text("x")
    commit(repo, "on the side branch")
    git(repo, "checkout", "-q", "main")
    (repo / "main.txt").write_text("y")
    commit(repo, "on main")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "merge", "-q", "--no-ff", "side", "-m", "merge side")
    subjects = [entry["subject"] for entry in json.loads(pivot("metrics", "history", "--json", "-n", "3").stdout)]
    assert subjects == ["merge side", "on main", "a README | with a pipe and a subject long enough to be cut short in the table"]


def test_a_project_in_a_subdirectory_of_the_repository(tmp_path, monkeypatch, pivot):
    root = tmp_path / "proj"
    sub = root / "ml"
    sub.mkdir(parents=True)
    (sub / "stages.py").write_text(STAGES)
    (sub / "data.txt").write_text("abc")
    (sub / "pivot.yaml").write_text(PIPELINE.format(lr=0.5))
    monkeypatch.chdir(sub)
    git(root, "init", "-q", "-b", "main")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    commit(root, "in a subdirectory")
    data = json.loads(pivot("metrics", "history", "--json", "accuracy").stdout)
    assert data[0]["metrics"] == {"metrics.json": {"accuracy": 0.5}}


def test_an_unknown_metric_is_exit_2_with_the_closest_name(repo, pivot):
    assert_clean_error(pivot("metrics", "history", "acuracy"), "no metric 'acuracy'", "did you mean 'accuracy'?")


def test_a_metric_only_in_files_unreadable_in_the_range_says_so(repo, pivot):
    git(repo, "checkout", "metrics.json")
    (repo / "extra.yaml").write_text("rows: [1, 2\n")
    commit(repo, "break extra.yaml")
    assert_clean_error(pivot("metrics", "history", "-n", "1", "rows"), "no metric 'rows'", "(extra.yaml could not be read")


def test_outside_git_and_without_commits_is_exit_2(project, pivot):
    root = project({"stages.py": STAGES, "data.txt": "abc", "pivot.yaml": PIPELINE.format(lr=0.5)})
    assert_clean_error(pivot("metrics", "history"), "is not inside a git repository", "git init")
    git(root, "init", "-q")
    assert_clean_error(pivot("metrics", "history"), "no commits", "git commit")


def test_json_and_md_together_is_a_usage_error(repo, pivot):
    assert_clean_error(pivot("metrics", "history", "--json", "--md"), "choose one of --json and --md")
