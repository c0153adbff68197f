"""`pivot gc` with DVC's history flags: what the locks and .pvt files of other commits (a
revision, every branch tip, every tag, every commit) reference stays, in the local cache and on
a remote; without them only the workspace counts."""

from __future__ import annotations

import pytest
from cli import revisions
from cli.revisions import git
from conftest import assert_clean_error


@pytest.fixture
def two_commits(project, pivot):
    return revisions.two_commits(project, pivot)  # HEAD~1: out.txt "one", raw/x.csv "r1"; HEAD: "two", "r2"


def _gets_old(pivot, tmp_path) -> bool:
    """Whether HEAD~1's output and tracked data can still be had (no remote: the cache only)."""
    result = pivot("get", "--rev", "HEAD~1", "out.txt", "raw", "d", "-f", "-o", str(tmp_path / "old"))
    return result.exit_code == 0 and (tmp_path / "old/out.txt").read_text() == "one\n"


@pytest.mark.slow  # four projects of two commits each
@pytest.mark.parametrize(
    ("flags", "setup"),
    [(("--rev", "HEAD~1"), None), (("-A",), None), (("-a",), ("branch", "old", "HEAD~1")), (("-T",), ("tag", "v1", "HEAD~1"))],
)
def test_the_named_commits_keep_their_objects(two_commits, pivot, tmp_path, flags, setup):
    if setup:
        git(two_commits, *setup)
    result = pivot("gc", *flags)
    assert result.exit_code == 0, result.output
    assert "Keeping what" in result.output and "of the history reference" in result.output
    assert _gets_old(pivot, tmp_path)
    assert pivot("gc").exit_code == 0  # the workspace alone: HEAD~1's objects go
    assert not _gets_old(pivot, tmp_path)


def test_branch_tips_are_not_the_whole_history(two_commits, pivot, tmp_path):
    assert pivot("gc", "--all-branches").exit_code == 0  # main's tip is HEAD: HEAD~1's objects go
    assert not _gets_old(pivot, tmp_path)
    assert pivot("get", "--rev", "HEAD", "out.txt", "-o", str(tmp_path / "now.txt")).exit_code == 0


@pytest.mark.slow  # pushes, gc on the remote, a fetch back
def test_a_remote_gc_keeps_what_the_named_commits_reference(two_commits, pivot, tmp_path):
    root = two_commits
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "store")).exit_code == 0
    git(root, "checkout", "-q", "HEAD~1")
    assert pivot("push").exit_code == 0  # HEAD~1's objects on the remote
    git(root, "checkout", "-q", "-")
    assert pivot("push").exit_code == 0
    assert pivot("gc").exit_code == 0  # HEAD~1's objects, its directory's manifest too, leave the local cache
    result = pivot("gc", "-r", "origin", "-y", "--grace", "0", "--rev", "HEAD~1")  # its manifest is read there
    assert result.exit_code == 0, result.output
    for oid_dir in (root / ".pivot/cache/files").iterdir():  # an empty local cache: only the remote has them
        for obj in oid_dir.iterdir():
            obj.chmod(0o644)
            obj.unlink()
    assert _gets_old(pivot, tmp_path)  # fetched from the remote, which kept them


def test_an_unknown_revision_deletes_nothing(two_commits, pivot, tmp_path):
    assert_clean_error(pivot("gc", "--rev", "nope"), "unknown git revision 'nope'")
    assert _gets_old(pivot, tmp_path)


def test_every_version_of_one_file_in_the_history_is_kept(project, pivot, tmp_path):
    root = project({".pivot/config.yaml": "{}\n"})
    git(root, "init", "-q")
    for version in ("first", "second", "third"):  # the same .pvt path in every commit, another object each
        (root / "data.txt").write_text(f"{version}\n")
        assert pivot("track", "data.txt").exit_code == 0
        revisions.commit(root, version)
    result = pivot("gc", "-A")
    assert result.exit_code == 0 and "Keeping what 3 commits" in result.output, result.output
    for back, version in (("HEAD~2", "first"), ("HEAD~1", "second")):
        got = pivot("get", "--rev", back, "data.txt", "-o", str(tmp_path / f"{version}.txt"))
        assert got.exit_code == 0, got.output
        assert (tmp_path / f"{version}.txt").read_text() == f"{version}\n"


def test_a_damaged_history_stops_gc_before_anything_is_deleted(two_commits, pivot, tmp_path):
    root = two_commits
    tree = git(root, "rev-parse", "HEAD~1^{tree}").strip()
    loose = root / ".git" / "objects" / tree[:2] / tree[2:]
    loose.chmod(0o644)
    loose.unlink()  # the old commit's tree is gone: git cannot list its files
    before = sorted(p.name for p in (root / ".pivot/cache/files").rglob("*") if p.is_file())
    assert_clean_error(pivot("gc", "-A"), "git cannot list the files of every commit asked for")
    assert sorted(p.name for p in (root / ".pivot/cache/files").rglob("*") if p.is_file()) == before
