"""`pivot install`: git hooks that keep the data in step with git, seen through git itself: a
branch checkout brings that branch's outputs back, a push uploads the cache first (and a failed
upload stops it), a commit shows the status; a hook pivot did not write is never replaced."""

from __future__ import annotations

import pathlib
import subprocess

import pytest
from conftest import assert_clean_error

PIPELINE = "stages:\n  make:\n    cmd: cat in.txt > out.txt\n    deps: [in.txt]\n    outs: [out.txt]\n"
GIT_ID = ("-c", "user.email=t@example.com", "-c", "user.name=t")


def git(root: pathlib.Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *GIT_ID, *args], cwd=root, check=check, capture_output=True, text=True, timeout=120)


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def repo(project, pivot, tmp_path) -> pathlib.Path:
    """A run project on branch main, committed, with a directory remote as its default."""
    root = project({"pivot.yaml": PIPELINE, "in.txt": "one\n"})
    git(root, "init", "-q", "-b", "main")
    ok(pivot("run"))
    ok(pivot("remote", "add", "-d", "origin", str(tmp_path / "remote")))
    return root


@pytest.mark.slow  # git runs pivot in each hook: seconds
def test_a_branch_checkout_brings_that_branchs_outputs_back(repo, pivot):
    assert ok(pivot("install")).splitlines()[0] == "post-checkout: pivot checkout (.git/hooks/post-checkout)"
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    git(repo, "checkout", "-q", "-b", "two")
    (repo / "in.txt").write_text("two\n")
    ok(pivot("run"))
    git(repo, "commit", "-qam", "two")
    git(repo, "checkout", "-q", "main")
    assert (repo / "out.txt").read_text() == "one\n"  # the hook checked main's output out
    git(repo, "checkout", "-q", "two")
    assert (repo / "out.txt").read_text() == "two\n"


@pytest.mark.slow  # git runs pivot in each hook: seconds
def test_a_push_uploads_the_cache_first_and_a_failed_upload_stops_it(repo, pivot, tmp_path):
    ok(pivot("install"))
    git(repo, "add", "-A")
    done = git(repo, "commit", "-qm", "one")
    assert "make" in done.stdout + done.stderr  # the pre-commit hook showed the status
    git(tmp_path, "init", "-q", "--bare", "up.git")
    git(repo, "remote", "add", "up", str(tmp_path / "up.git"))
    git(repo, "push", "-q", "up", "main")
    assert list((tmp_path / "remote" / "files").rglob("*"))  # pivot push ran before git's
    ok(pivot("remote", "modify", "origin", "url", str(tmp_path / "in.txt-is-a-file" / "x")))
    (tmp_path / "in.txt-is-a-file").write_text("not a directory\n")
    git(repo, "commit", "-q", "--allow-empty", "-m", "again")
    refused = git(repo, "push", "-q", "up", "main", check=False)
    assert refused.returncode != 0  # the upload failed: git did not push
    assert git(tmp_path / "up.git", "rev-parse", "main").stdout != git(repo, "rev-parse", "main").stdout


def test_without_a_default_remote_there_is_no_pre_push_hook(project, pivot):
    root = project({"pivot.yaml": PIPELINE, "in.txt": "one\n"})
    git(root, "init", "-q")
    out = ok(pivot("install"))
    assert "pre-push: not installed: no default remote" in out
    assert not (root / ".git" / "hooks" / "pre-push").exists()
    assert (root / ".git" / "hooks" / "post-checkout").stat().st_mode & 0o111


def test_a_hook_pivot_did_not_write_is_left_alone(repo, pivot):
    mine = repo / ".git" / "hooks" / "pre-commit"
    mine.write_text("#!/bin/sh\nmake lint\n")
    assert_clean_error(pivot("install"), "pre-commit exists and pivot did not write it", "pivot status")
    assert mine.read_text() == "#!/bin/sh\nmake lint\n"
    assert not (repo / ".git" / "hooks" / "post-checkout").exists()  # nothing written at all


def test_installing_again_rewrites_pivots_own_hooks(repo, pivot):
    ok(pivot("install"))
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(hook.read_text() + "# an old version\n")
    ok(pivot("install"))
    assert "# an old version" not in hook.read_text()


def test_outside_a_git_repository_it_says_so(project, pivot):
    project({"pivot.yaml": PIPELINE})
    assert_clean_error(pivot("install"), "is not inside a git repository")


@pytest.mark.slow  # git runs pivot in each hook: seconds
def test_a_project_below_the_repositorys_top_is_checked_out_there(tmp_path, pivot, monkeypatch):
    top = tmp_path / "repo"
    root = top / "ml"
    root.mkdir(parents=True)
    (root / "pivot.yaml").write_text(PIPELINE)
    (root / "in.txt").write_text("one\n")
    git(top, "init", "-q", "-b", "main")
    monkeypatch.chdir(root)
    ok(pivot("run"))
    ok(pivot("install"))
    git(top, "add", "-A")
    git(top, "commit", "-qm", "one")
    (root / "out.txt").unlink()
    git(top, "checkout", "-q", "-b", "other")
    assert (root / "out.txt").read_text() == "one\n"
