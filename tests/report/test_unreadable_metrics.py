"""metrics show and metrics diff never leave a metrics file out silently: a missing file, broken
JSON/YAML or a file that is not a mapping of names to values is a row (text, markdown), an "error"
entry (JSON) and a warning on stderr naming the file and what to do, and the command exits 1."""

from __future__ import annotations

import json
import shutil

import pytest
import test_diffs
from test_diffs import commit, git

# The diff tests' project as the fixture `ran`: run and committed at learning_rate 0.05, then run at 0.001.
ran = test_diffs.repo


BROKEN = [
    ("metrics.json", '{"accuracy": 0.9,', "invalid JSON: Expecting property name enclosed in double quotes"),
    ("metrics.json", "[0.9, 0.8]", "holds a list, not a mapping of names to values"),
    ("metrics.json", "0.93", "holds a float, not a mapping of names to values"),
    ("extra.yaml", "rows: [1, 2\n", "invalid YAML: while parsing a flow sequence"),
    ("extra.yaml", "- 1\n- 2\n", "holds a list, not a mapping of names to values"),
]


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
@pytest.mark.parametrize(("path", "text", "reason"), BROKEN)
def test_show_reports_a_broken_file_in_every_format_and_exits_1(ran, pivot, path, text, reason):
    (ran / path).write_text(text)
    plain = pivot("metrics", "show")
    assert plain.exit_code == 1
    row = next(line for line in plain.stdout.splitlines() if line.startswith(path))
    assert row.split()[1] == "error" and reason in row
    assert f"warning: {path} (workspace): {reason}" in plain.stderr
    assert "fix the file, or rerun its stage: pivot run train" in plain.stderr
    assert "Traceback" not in plain.output
    shown = pivot("metrics", "show", "--json")
    assert shown.exit_code == 1
    data = json.loads(shown.stdout)
    assert data[path]["error"]["msg"].startswith(reason)
    other = "extra.yaml" if path == "metrics.json" else "metrics.json"
    assert "error" not in data[other] and data[other]  # the readable file is still shown
    md = pivot("metrics", "show", "--md")
    assert md.exit_code == 1 and f"| {path} | error | {reason}" in md.stdout


def test_show_reports_a_missing_file_and_which_stage_makes_it(ran, pivot):
    (ran / "metrics.json").unlink()
    result = pivot("metrics", "show")
    assert result.exit_code == 1
    assert "metrics.json  error   the file is missing" in result.stdout.splitlines()
    assert "warning: metrics.json (workspace): the file is missing; run its stage: pivot run train" in result.stderr


def test_show_of_readable_files_exits_0_and_warns_nothing(ran, pivot):
    result = pivot("metrics", "show")
    assert result.exit_code == 0 and result.stderr == ""


def test_diff_reports_a_broken_workspace_file_next_to_the_old_values(ran, pivot):
    (ran / "metrics.json").write_text("not json")
    result = pivot("metrics", "diff", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["metrics.json"]["accuracy"] == {"old": 0.95, "new": None, "diff": None}
    assert data["metrics.json"]["error"]["old"] is None
    assert data["metrics.json"]["error"]["new"].startswith("invalid JSON: Expecting value")
    assert "warning: metrics.json (workspace): invalid JSON" in result.stderr
    plain = pivot("metrics", "diff")
    assert plain.exit_code == 1
    row = next(line for line in plain.stdout.splitlines() if " error " in line)
    assert row.split()[:3] == ["metrics.json", "error", "-"] and "invalid JSON" in row


def test_diff_reports_a_file_broken_at_the_revision(ran, pivot):
    (ran / "metrics.json").write_text("{broken")
    commit(ran, "a broken metrics file")
    assert pivot("run", "--executor", "inprocess").exit_code == 0  # the stage writes a good one again
    result = pivot("metrics", "diff", "--md")
    assert result.exit_code == 1
    assert "| metrics.json | error | invalid JSON: Expecting property name" in result.stdout
    assert "(as committed at HEAD) | - | - |" in result.stdout
    assert "| metrics.json | accuracy | - | 0.999 |" in result.stdout
    assert "warning: metrics.json (HEAD): invalid JSON" in result.stderr
    assert "its values at HEAD are left out of the comparison; commit a fixed file" in result.stderr


def test_diff_reports_a_metrics_file_its_lock_lists_but_neither_git_nor_the_cache_has(ran, pivot):
    git(ran, "rm", "-q", "--cached", "extra.yaml")
    git(ran, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "forgot the metrics file")
    shutil.rmtree(ran / ".pivot" / "cache")  # else its value is read from there (tests/report/test_cached_metrics.py)
    result = pivot("metrics", "diff", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["extra.yaml"]["error"] == {
        "old": "not committed at HEAD nor in the cache, though its lock lists it",
        "new": None,
    }
    assert "commit metrics files with their locks" in result.stderr


def test_the_pull_request_report_shows_the_unreadable_file(ran, pivot):
    (ran / "metrics.json").write_text("[]")
    result = pivot("ci", "comment", "--dry-run", "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert "| metrics.json | error | - | holds a list, not a mapping of names to values | - |" in result.stdout
