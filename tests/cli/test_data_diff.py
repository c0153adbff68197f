"""`pivot diff [OLD] [NEW]`: the cached outputs and tracked data that differ between revisions,
or between one and the workspace, as `dvc diff` prints them (text, --json, --md)."""

from __future__ import annotations

import json
import subprocess

import pytest
from cli import revisions
from conftest import assert_clean_error


@pytest.fixture
def two_commits(project, pivot):
    return revisions.two_commits(project, pivot)


BETWEEN_COMMITS = """\
Modified:
    d/
    d/a.txt
    out.txt
    raw/
    raw/x.csv

files summary: 0 added, 0 deleted, 3 modified
"""


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow  # two runs and commits first: the quick subset stays under a minute
def test_two_revisions_list_each_changed_output_and_file_in_a_changed_directory(two_commits, pivot):
    assert ok(pivot("diff", "HEAD~1", "HEAD")) == BETWEEN_COMMITS
    assert ok(pivot("diff", "HEAD~1", "HEAD", "--targets", "raw")) == "Modified:\n    raw/\n    raw/x.csv\n\nfiles summary: 0 added, 0 deleted, 1 modified\n"
    # A target inside a directory keeps the directory's line and that file, not its siblings.
    (two_commits / "raw" / "y.csv").write_text("new\n")
    assert ok(pivot("diff", "--targets", "raw/x.csv")) == ""  # raw/ differs from HEAD only by y.csv
    assert "raw/y.csv" in ok(pivot("diff", "--targets", "raw"))


@pytest.mark.slow  # two runs and commits first: the quick subset stays under a minute
def test_the_workspace_against_head_shows_edits_not_yet_committed(two_commits, pivot):
    root = two_commits
    assert ok(pivot("diff")) == ""  # nothing differs: nothing printed
    (root / "raw" / "x.csv").write_text("edited\n")
    (root / "raw" / "new.csv").write_text("new\n")
    (root / "out.txt").unlink()
    assert ok(pivot("diff")) == (
        "Added:\n    raw/new.csv\n\nDeleted:\n    out.txt\n\nModified:\n    raw/\n    raw/x.csv\n\n"
        "files summary: 1 added, 1 deleted, 1 modified\n"
    )


@pytest.mark.slow  # two runs and commits first: the quick subset stays under a minute
def test_a_file_moved_inside_a_tracked_directory_is_a_rename(two_commits, pivot):
    root = two_commits
    (root / "raw" / "x.csv").rename(root / "raw" / "y.csv")
    out = ok(pivot("diff"))
    assert "Renamed:\n    raw/x.csv -> raw/y.csv\n" in out
    assert out.endswith("files summary: 0 added, 0 deleted, 1 renamed, 0 modified\n")


@pytest.mark.slow  # two runs and commits first: the quick subset stays under a minute
def test_json_and_markdown(two_commits, pivot):
    found = json.loads(ok(pivot("diff", "HEAD~1", "HEAD", "--json")))
    assert [item["path"] for item in found["modified"]] == ["d/", "d/a.txt", "out.txt", "raw/", "raw/x.csv"]
    assert found["added"] == found["deleted"] == found["renamed"] == found["not in cache"] == []
    old, new = found["modified"][2]["hash"]["old"], found["modified"][2]["hash"]["new"]
    assert old != new and len(old) == len(new) == 32
    table = ok(pivot("diff", "HEAD~1", "HEAD", "--md"))
    assert table.splitlines()[:3] == ["| Status | Path |", "|--------|------|", "| modified | d/ |"]


@pytest.mark.slow  # two runs and commits first: the quick subset stays under a minute
def test_a_directory_whose_file_list_is_not_in_the_cache_is_listed_alone(two_commits, pivot, tmp_path, monkeypatch):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(two_commits), str(clone)], check=True)
    monkeypatch.chdir(clone)  # a fresh clone: the locks and .pvt files, an empty cache
    out = ok(pivot("diff", "HEAD~1", "HEAD"))
    assert out == (
        "Modified:\n    d/\n    out.txt\n    raw/\n\nNot in cache:\n    d/\n    raw/\n\n"
        "files summary: 0 added, 0 deleted, 1 modified, 2 not in cache\n"
    )


@pytest.mark.slow  # two runs and commits first: the quick subset stays under a minute
def test_bad_input_is_refused_with_exit_2(two_commits, pivot, tmp_path, project):
    assert_clean_error(pivot("diff", "no-such-rev"), "unknown git revision 'no-such-rev'")
    assert_clean_error(pivot("diff", "--targets", "../elsewhere"), "pivot diff --targets ../elsewhere")
    result = pivot("diff", "--json", "--md")
    assert result.exit_code == 2 and "choose one" in result.output


def test_outside_a_git_repository_it_says_so(project, pivot):
    project({"pivot.yaml": "stages: {}\n"})
    assert_clean_error(pivot("diff"), "is not inside a git repository")


@pytest.mark.slow  # two runs and commits first: the quick subset stays under a minute
def test_the_library_returns_the_same_diff(two_commits):
    from pivot.api import Project

    found = Project.open(two_commits).data_diff("HEAD~1", "HEAD", ["d"])
    assert [change.path for change in found.modified] == ["d/", "d/a.txt"]
    assert not found.added and not found.deleted and found.new == "HEAD"



def test_before_the_first_commit_it_says_to_commit(project, pivot):
    root = project({"pivot.yaml": "stages: {}\n"})
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    assert_clean_error(pivot("diff"), "git revision 'HEAD' does not exist yet: the repository has no commits", "git commit")
