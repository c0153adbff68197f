"""`pivot ci comment` in real git repositories, posting to a GitHub REST server of our own."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import assert_clean_error
from fake_github import FakeGitHub

STAGES = """
from typing import Annotated, TypedDict
from pivot import loaders, outputs
from pivot.stage_def import StageParams


class TrainParams(StageParams):
    learning_rate: float = 0.01


class TrainOutputs(TypedDict):
    metrics: Annotated[dict, outputs.Metric("metrics.json")]


def train(params: TrainParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> TrainOutputs:
    return {"metrics": {"accuracy": round(1 - params.learning_rate, 4)}}
"""

PIPELINE = "stages:\n  train:\n    python: stages.train\n    params:\n      learning_rate: {lr}\n"
MARKER = "<!-- pivot-report: pivot -->"


def git(root, *args) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def change(root, pivot, lr, message=None):
    """Set the learning rate, run the pipeline, and commit when given a message."""
    (root / "pivot.yaml").write_text(PIPELINE.format(lr=lr))
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    if message:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", message)


@pytest.fixture(autouse=True)
def outside_actions(monkeypatch):
    """Our own CI runs in GitHub Actions; its variables must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith("GITHUB_") or name in ("GH_TOKEN", "CI"):
            monkeypatch.delenv(name)


@pytest.fixture
def repo(project, pivot, tmp_path):
    """main at learning_rate 0.05 pushed to a bare origin; the PR branch `feature` at 0.001."""
    root = project({"stages.py": STAGES, "data.txt": "abc", "pivot.yaml": PIPELINE.format(lr=0.05)})
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("__pycache__/\n")
    change(root, pivot, 0.05, "first")
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(root, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(root, "push", "-q", "origin", "main")
    git(root, "checkout", "-q", "-b", "feature")
    change(root, pivot, 0.001, "try a smaller learning rate")
    return root


@pytest.fixture
def gh():
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def pull_request(gh, tmp_path, monkeypatch):
    """The environment of a GitHub Actions run for pull request #7 against main."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": gh.pr}}))
    values = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": gh.repository,
        "GITHUB_TOKEN": gh.token,
        "GITHUB_API_URL": gh.url,
        "GITHUB_BASE_REF": "main",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary.md"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def assert_no_token(result, gh):
    for text in (result.stdout, result.stderr, str(result.exception or "")):
        assert gh.token not in text


def test_run_twice_in_a_pull_request_leaves_one_up_to_date_comment(repo, pivot, gh, pull_request):
    first = pivot("ci", "comment")
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Created comment https://github.com/acme/models/pull/7#issuecomment-")

    change(repo, pivot, 0.2, "try a larger one")
    second = pivot("ci", "comment")

    assert second.exit_code == 0, second.output
    url = first.stdout.split()[-1]
    assert second.stdout == f"Updated comment {url}\n"
    (comment,) = gh.with_marker(MARKER)
    assert comment["body"].startswith(MARKER) and "| train | learning_rate | 0.05 | 0.2 |" in comment["body"]
    assert len(gh.comments) == 1
    for seen in gh.seen:
        assert seen.headers["authorization"] == f"Bearer {gh.token}"
    assert_no_token(first, gh)
    assert_no_token(second, gh)


def test_the_report_is_appended_to_the_job_summary(repo, pivot, gh, pull_request):
    summary = repo.parent / "step_summary.md"
    summary.write_text("## tests passed\n")

    assert pivot("ci", "comment").exit_code == 0

    text = summary.read_text()
    assert text.startswith("## tests passed\n" + MARKER + "\n")
    assert "| train | learning_rate | 0.05 | 0.001 |" in text
    assert gh.comments[0]["body"].rstrip() == text.removeprefix("## tests passed\n").rstrip()


def test_a_title_is_its_own_comment(repo, pivot, gh, pull_request):
    assert pivot("ci", "comment").exit_code == 0
    assert pivot("ci", "comment", "--title", "nightly").exit_code == 0
    assert len(gh.comments) == 2 and len(gh.with_marker("<!-- pivot-report: nightly -->")) == 1


def test_a_fork_pull_request_warns_and_still_writes_the_summary(repo, pivot, gh, pull_request):
    gh.fail(403, method="POST", message="Resource not accessible by integration")

    result = pivot("ci", "comment")

    assert result.exit_code == 0, result.output
    assert "warning: no pull-request comment" in result.stderr and "403" in result.stderr
    assert "fork" in result.stderr
    assert gh.comments == []
    assert MARKER in (repo.parent / "step_summary.md").read_text()
    assert_no_token(result, gh)


def assert_one_comment_and_the_summary(repo, gh, result, verb):
    """Exit 0, `verb` and the address of the one comment with the marker, the report in the summary."""
    assert result.exit_code == 0, result.output
    (comment,) = gh.with_marker(MARKER)
    assert result.stdout == f"{verb} comment {comment['html_url']}\n"
    summary = (repo.parent / "step_summary.md").read_text()
    assert summary.count(MARKER) == 1 and summary.rstrip() == comment["body"].rstrip()


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
@pytest.mark.parametrize("applied", [False, True], ids=["502-before-creating", "502-after-creating"])
def test_a_create_answered_502_leaves_one_comment(repo, pivot, gh, pull_request, applied):
    gh.fail(502, method="POST", headers={"Retry-After": "0"}, applied=applied)

    result = pivot("ci", "comment")

    assert_one_comment_and_the_summary(repo, gh, result, "Created")
    assert len(gh.comments) == 1
    assert [seen.method for seen in gh.seen] == ["GET", "POST", "GET"] + ([] if applied else ["POST"])


@pytest.mark.slow  # waits for a real timeout and the backoff after it
def test_a_create_whose_answer_never_comes_leaves_one_comment(repo, pivot, gh, pull_request, monkeypatch):
    monkeypatch.setenv("PIVOT_GITHUB_TIMEOUT", "0.5")
    gh.stall(method="POST")

    result = pivot("ci", "comment")

    assert_one_comment_and_the_summary(repo, gh, result, "Created")
    assert len(gh.comments) == 1


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_an_update_answered_502_after_it_was_made_leaves_one_comment(repo, pivot, gh, pull_request):
    assert pivot("ci", "comment").exit_code == 0
    (repo.parent / "step_summary.md").unlink()
    change(repo, pivot, 0.2, "try a larger one")
    gh.fail(502, method="PATCH", headers={"Retry-After": "0"}, applied=True)

    result = pivot("ci", "comment")

    assert_one_comment_and_the_summary(repo, gh, result, "Updated")
    assert "| train | learning_rate | 0.05 | 0.2 |" in gh.comments[0]["body"]
    assert [seen.method for seen in gh.seen[-3:]] == ["GET", "PATCH", "GET"]


def test_a_create_that_keeps_failing_is_exit_1_and_posts_nothing(repo, pivot, gh, pull_request):
    gh.fail(502, method="POST", headers={"Retry-After": "0"}, times=20)

    result = pivot("ci", "comment")

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "GitHub kept failing on POST /repos/acme/models/issues/7/comments (502" in result.stderr
    assert "githubstatus.com" in result.stderr
    assert gh.comments == [] and [seen.method for seen in gh.seen] == ["GET", "POST"] * 5
    assert MARKER in (repo.parent / "step_summary.md").read_text()


def test_a_timeout_that_is_not_a_number_is_an_input_error(repo, pivot, gh, pull_request, monkeypatch):
    monkeypatch.setenv("PIVOT_GITHUB_TIMEOUT", "30s")
    assert_clean_error(pivot("ci", "comment"), "PIVOT_GITHUB_TIMEOUT is '30s'", "number of seconds")
    assert gh.seen == []


def test_github_that_keeps_failing_is_exit_1_without_the_token(repo, pivot, gh, pull_request):
    gh.fail(503, headers={"Retry-After": "0"}, message=f"upstream saw Bearer {gh.token}", times=20)

    result = pivot("ci", "comment")

    assert result.exit_code == 1
    assert "GitHub kept failing on GET" in result.stderr and "503" in result.stderr
    assert "Traceback" not in result.output
    assert_no_token(result, gh)
    assert MARKER in (repo.parent / "step_summary.md").read_text()  # written before posting


def test_outside_github_actions_it_prints_the_report_and_says_no_comment_was_posted(repo, pivot):
    result = pivot("ci", "comment")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(MARKER + "\n")
    assert "Compared with `HEAD`" in result.stdout
    assert "No comment was posted: this is not a GitHub Actions run" in result.stderr


def test_a_push_run_writes_the_summary_and_says_why_no_comment(repo, pivot, gh, tmp_path, monkeypatch):
    event = tmp_path / "push.json"
    event.write_text(json.dumps({"ref": "refs/heads/main"}))
    summary = tmp_path / "summary.md"
    for name, value in {
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": gh.repository,
        "GITHUB_TOKEN": gh.token,
        "GITHUB_API_URL": gh.url,
        "GITHUB_STEP_SUMMARY": str(summary),
    }.items():
        monkeypatch.setenv(name, value)

    result = pivot("ci", "comment")

    assert result.exit_code == 0
    assert "No comment was posted: the push event is not a pull request" in result.stderr
    assert MARKER in result.stdout and MARKER in summary.read_text()
    assert gh.seen == []


def test_a_pull_request_without_a_token_prints_the_report(repo, pivot, gh, pull_request, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    result = pivot("ci", "comment")
    assert result.exit_code == 0 and MARKER in result.stdout
    assert "No comment was posted: no token" in result.stderr
    assert gh.seen == []


def test_gh_token_is_accepted(repo, pivot, gh, pull_request, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("GH_TOKEN", gh.token)
    assert pivot("ci", "comment").stdout.startswith("Created comment")


def test_dry_run_prints_and_posts_nothing(repo, pivot, gh, pull_request):
    result = pivot("ci", "comment", "--dry-run", "--title", "exp")

    assert result.exit_code == 0
    assert result.stdout.startswith("<!-- pivot-report: exp -->\n")
    assert gh.seen == [] and not (repo.parent / "step_summary.md").exists()


def test_the_default_base_on_a_pull_request_is_the_merge_base(repo, pivot, gh, pull_request):
    branch_point = git(repo, "rev-parse", "HEAD~1")
    # main moves on after the branch was made; the PR's own change is what the report shows.
    git(repo, "checkout", "-q", "main")
    change(repo, pivot, 0.9, "main moves on")
    git(repo, "push", "-q", "origin", "main")
    git(repo, "fetch", "-q", "origin")
    git(repo, "checkout", "-q", "feature")
    change(repo, pivot, 0.001)

    result = pivot("ci", "comment", "--dry-run")

    assert f"Compared with `{branch_point[:8]}`" in result.stdout
    assert "| train | learning_rate | 0.05 | 0.001 |" in result.stdout


def test_a_missing_base_branch_is_fetched(repo, pivot, gh, pull_request):
    git(repo, "update-ref", "-d", "refs/remotes/origin/main")
    result = pivot("ci", "comment", "--dry-run")
    assert result.exit_code == 0, result.output
    assert git(repo, "rev-parse", "origin/main") == git(repo, "rev-parse", "main")


def test_a_base_branch_that_cannot_be_fetched_says_to_use_fetch_depth_0(repo, pivot, gh, pull_request, monkeypatch):
    monkeypatch.setenv("GITHUB_BASE_REF", "release")
    assert_clean_error(pivot("ci", "comment"), "origin/release is not in this checkout", "fetch-depth: 0")


def test_a_shallow_checkout_says_to_use_fetch_depth_0(repo, pivot, gh, pull_request, tmp_path, monkeypatch):
    git(repo, "push", "-q", "origin", "feature")
    origin = (tmp_path / "origin.git").as_uri()
    git(tmp_path, "clone", "-q", "--depth", "1", "--single-branch", "--branch", "feature", origin, "shallow")
    monkeypatch.chdir(tmp_path / "shallow")

    result = pivot("ci", "comment")

    assert_clean_error(result, "history is shallow", "fetch-depth: 0")
    assert gh.seen == []


def test_an_unknown_base_is_an_input_error(repo, pivot, gh, pull_request):
    assert_clean_error(pivot("ci", "comment", "--base", "no-such-rev"), "unknown git revision 'no-such-rev'")
    assert gh.seen == []


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
@pytest.mark.parametrize(("status", "code"), [(422, 1), (403, 0)], ids=["refused-error", "no-access-fallback"])
def test_a_refusal_that_echoes_the_token_never_prints_it(repo, pivot, gh, pull_request, status, code):
    gh.fail(status, message=f"request with Authorization: Bearer {gh.token} token {gh.token} refused", times=5)

    result = pivot("ci", "comment")

    assert result.exit_code == code, result.output
    assert str(status) in result.stderr and "Traceback" not in result.output
    assert_no_token(result, gh)
    assert gh.token not in (repo.parent / "step_summary.md").read_text()


def test_data_adds_what_changed_in_the_cache_since_the_base(repo, pivot, gh, pull_request):
    result = pivot("ci", "comment", "--dry-run", "--data")
    assert result.exit_code == 0, result.output
    assert "#### Data\n\nNo cached output or tracked data changed.\n" in result.stdout  # metrics.json is git's
    (repo / "raw.csv").write_text("a,b\n1,2\n")
    assert pivot("track", "raw.csv").exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "data")
    result = pivot("ci", "comment", "--dry-run", "--data")
    assert result.exit_code == 0, result.output
    assert "#### Data\n\n| Status | Path |\n|--------|------|\n| added | raw.csv |\n" in result.stdout
    assert "#### Data" not in pivot("ci", "comment", "--dry-run").stdout  # only when asked
