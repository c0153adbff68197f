"""`pivot get --rev REV PATH...`: outputs, tracked data and committed files as they were at a
revision, from the cache or the remote, without touching the workspace's locks or files."""

from __future__ import annotations

import pathlib
import subprocess

import pytest
from cli import revisions
from cli.revisions import MAKE, commit, git
from conftest import assert_clean_error


@pytest.fixture
def two_commits(project, pivot) -> pathlib.Path:
    return revisions.two_commits(project, pivot)


def _snapshot(root: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts and "tmp" not in p.parts and "state.db" not in p.name}


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_outputs_tracked_data_and_committed_files_as_they_were(two_commits, pivot, tmp_path):
    root = two_commits
    before = _snapshot(root)
    out = tmp_path / "old"
    result = pivot("get", "--rev", "HEAD~1", "out.txt", "d", "raw", "raw/x.csv", "d/a.txt", "m.json", "make.sh", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "out.txt").read_text() == (out / "d/a.txt").read_text() == (out / "a.txt").read_text() == "one\n"
    assert (out / "raw/x.csv").read_text() == (out / "x.csv").read_text() == "r1\n"
    assert (out / "m.json").read_text().strip() == '{"n": 1}' and (out / "make.sh").read_text() == MAKE
    assert "m.json@HEAD~1 -> " in result.output and "(from git)" in result.output
    assert _snapshot(root) == before  # no lock, output or tracked file of the workspace changed
    assert git(root, "status", "--porcelain") == ""
    (out / "out.txt").write_text("edited")  # a copy, never a link into the cache
    assert pivot("get", "--rev", "HEAD~1", "out.txt", "-o", str(tmp_path / "again.txt")).exit_code == 0
    assert (tmp_path / "again.txt").read_text() == "one\n"


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_default_destination_is_the_name_in_the_current_directory(two_commits, pivot, monkeypatch):
    sub = two_commits / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert pivot("get", "--rev", "HEAD~1", "../raw/x.csv").exit_code == 0  # paths are typed from here
    assert (sub / "x.csv").read_text() == "r1\n"


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_a_destination_with_other_content_is_replaced_only_with_force(two_commits, pivot):
    root = two_commits
    assert_clean_error(pivot("get", "--rev", "HEAD~1", "out.txt"), "out.txt already exists with other content", "-f")
    assert (root / "out.txt").read_text() == "two\n"
    same = pivot("get", "--rev", "HEAD", "out.txt", "d")
    assert same.exit_code == 0 and same.output.count("(unchanged)") == 2
    lock = (root / ".pivot/stages/make.lock").read_bytes()
    forced = pivot("get", "--rev", "HEAD~1", "-f", "out.txt", "d")
    assert forced.exit_code == 0, forced.output
    assert (root / "out.txt").read_text() == (root / "d/a.txt").read_text() == "one\n"
    assert (root / ".pivot/stages/make.lock").read_bytes() == lock  # still records what HEAD made
    assert "will restore out.txt, d" in pivot("status").output  # HEAD's outputs are one checkout away


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_a_fresh_clone_gets_the_bytes_from_the_default_remote(two_commits, pivot, monkeypatch, tmp_path):
    root = two_commits
    store = tmp_path / "store"
    assert pivot("remote", "add", "-d", "origin", str(store)).exit_code == 0
    git(root, "checkout", "-q", "HEAD~1")
    assert pivot("push").exit_code == 0
    git(root, "checkout", "-q", "-")
    commit(root, "remote")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, capture_output=True)
    monkeypatch.chdir(clone)
    result = pivot("get", "--rev", "HEAD~2", "d", "raw", "-o", str(tmp_path / "got"))
    assert result.exit_code == 0, result.output
    assert result.output.count("(from the remote)") == 2
    assert (tmp_path / "got/d/a.txt").read_text() == "one\n" and (tmp_path / "got/raw/x.csv").read_text() == "r1\n"
    assert not (clone / "d").exists()  # the clone's workspace stays as it was


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_bad_input_is_exit_2_and_writes_nothing(two_commits, pivot, tmp_path):
    out = tmp_path / "nothing"
    assert_clean_error(pivot("get", "--rev", "no-such-branch", "out.txt", "-o", str(out)), "unknown git revision 'no-such-branch'")
    assert_clean_error(pivot("get", "--rev", "HEAD~1", "out.txt", "missing.csv", "-o", str(out)), "'missing.csv' is not at git revision 'HEAD~1'")
    assert_clean_error(pivot("get", "--rev", "HEAD~1", "d/zzz.txt"), "'d/zzz.txt' is not a file of 'd'")
    assert not out.exists()  # one bad path: nothing written, not even the good one
