"""The sticky PR comment client against a GitHub REST server of our own on 127.0.0.1."""

from __future__ import annotations

import json
import socket

import pytest
from fake_github import FakeGitHub

from pivot.report import github

MARKER = "<!-- pivot-report: pivot -->"


@pytest.fixture
def gh():
    with FakeGitHub() as server:
        yield server


def context(gh: FakeGitHub, **changes) -> github.Context:
    values = {"api_url": gh.url, "repository": gh.repository, "pr_number": gh.pr, "token": gh.token}
    return github.Context(**{**values, **changes})


class Sleeps(list):
    """Records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def upsert(gh: FakeGitHub, body: str, **kwargs) -> github.Result:
    kwargs.setdefault("sleep", Sleeps())
    return github.upsert_comment(context(gh), MARKER, body, **kwargs)


def test_first_run_creates_and_second_run_updates_the_same_comment(gh):
    gh.add_comment("LGTM")
    first = upsert(gh, f"{MARKER}\naccuracy 0.90")
    second = upsert(gh, f"{MARKER}\naccuracy 0.95")

    assert first.action == "created" and first.warning is None
    assert second.action is github.Action.UPDATED
    assert second.url == first.url and first.url.startswith("https://github.com/acme/models/pull/7#issuecomment-")
    ours = gh.with_marker(MARKER)
    assert len(ours) == 1 and ours[0]["body"] == f"{MARKER}\naccuracy 0.95"
    assert len(gh.comments) == 2


def test_a_marker_on_page_two_of_150_comments_is_found(gh):
    for i in range(150):
        gh.add_comment(f"{MARKER}\nold report" if i == 120 else f"comment {i}")

    result = upsert(gh, f"{MARKER}\nnew report")

    assert result.action == "updated"
    assert len(gh.comments) == 150 and gh.comments[120]["body"] == f"{MARKER}\nnew report"
    pages = [seen.path for seen in gh.seen if seen.method == "GET"]
    assert pages == [
        "/repos/acme/models/issues/7/comments?per_page=100",
        "/repos/acme/models/issues/7/comments?per_page=100&page=2",
    ]


def test_another_marker_title_is_a_different_comment(gh):
    gh.add_comment("<!-- pivot-report: nightly -->\nother")
    assert upsert(gh, f"{MARKER}\nx").action == "created"
    assert len(gh.comments) == 2


def test_requests_carry_the_token_and_the_api_headers(gh):
    upsert(gh, f"{MARKER}\nx")

    assert [seen.method for seen in gh.seen] == ["GET", "POST"]
    for seen in gh.seen:
        assert seen.headers["authorization"] == f"Bearer {gh.token}"
        assert seen.headers["accept"] == "application/vnd.github+json"
        assert seen.headers["x-github-api-version"] == "2022-11-28"
        assert seen.headers["user-agent"].startswith("pivot/")
    assert json.loads(gh.seen[1].body) == {"body": f"{MARKER}\nx"}


def test_a_502_is_retried_then_succeeds(gh):
    gh.fail(502, method="GET")
    sleeps = Sleeps()

    result = upsert(gh, f"{MARKER}\nx", sleep=sleeps)

    assert result.action == "created"
    assert sleeps == [1.0]
    assert [seen.method for seen in gh.seen] == ["GET", "GET", "POST"]


def test_a_429_waits_as_long_as_retry_after_says(gh):
    gh.fail(429, headers={"Retry-After": "0"}, times=2)
    sleeps = Sleeps()
    assert upsert(gh, f"{MARKER}\nx", sleep=sleeps).action == "created"
    assert sleeps == [0.0, 0.0]


def test_a_rate_limited_403_is_retried_and_long_waits_are_capped(gh):
    gh.fail(403, headers={"x-ratelimit-remaining": "0", "Retry-After": "3600"}, message="API rate limit exceeded")
    sleeps = Sleeps()
    assert upsert(gh, f"{MARKER}\nx", sleep=sleeps).action == "created"
    assert sleeps == [30.0]


def test_a_secondary_rate_limit_403_without_headers_is_retried(gh):
    gh.fail(403, message="You have exceeded a secondary rate limit")
    sleeps = Sleeps()
    assert upsert(gh, f"{MARKER}\nx", sleep=sleeps).action == "created"
    assert sleeps == [1.0]


def test_a_server_that_keeps_failing_is_an_error_after_bounded_retries(gh):
    gh.fail(500, times=10, message=f"oops, your token is {gh.token}")
    sleeps = Sleeps()

    with pytest.raises(github.GitHubError) as caught:
        upsert(gh, f"{MARKER}\nx", sleep=sleeps)

    assert len(gh.seen) == 5 and sleeps == [1.0, 2.0, 4.0, 8.0]
    text = str(caught.value)
    assert "kept failing on GET /repos/acme/models/issues/7/comments (500" in text
    assert gh.token not in text and gh.token not in repr(caught.value)
    assert caught.value.exit_code == 1


@pytest.mark.parametrize("status", [403, 404])
def test_a_refusal_falls_back_with_a_warning(gh, status):
    gh.fail(status, method="POST", message=f"Resource not accessible by integration {gh.token}")

    result = upsert(gh, f"{MARKER}\nx")

    assert result.action == "fallback" and result.url is None
    assert f"POST /repos/acme/models/issues/7/comments: {status}" in result.warning
    assert "fork" in result.warning and "pull-requests: write" in result.warning
    assert gh.token not in result.warning
    assert gh.comments == []


def test_a_bad_token_falls_back_too(gh):
    result = github.upsert_comment(context(gh, token="wrong-token"), MARKER, "x", sleep=Sleeps())
    assert result.action == "fallback" and "401 Bad credentials" in result.warning


def test_a_validation_error_is_not_retried(gh):
    gh.fail(422, method="POST", message="Validation Failed")
    with pytest.raises(github.GitHubError, match=r"refused POST .*422 Validation Failed"):
        upsert(gh, f"{MARKER}\nx")
    assert len(gh.seen) == 2


def test_a_refused_connection_is_retried_then_an_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = github.Context(f"http://127.0.0.1:{port}", "acme/models", 7, "ghs_secret_abc")
    sleeps = Sleeps()
    with pytest.raises(github.GitHubError, match="kept failing") as caught:
        github.upsert_comment(ctx, MARKER, "x", sleep=sleeps, retry=github.RetryPolicy(attempts=3))
    assert len(sleeps) == 2 and "ghs_secret_abc" not in str(caught.value)


def test_a_next_page_on_another_host_is_not_followed(gh):
    for i in range(101):
        gh.add_comment(f"comment {i}")
    gh.link_host = "example.invalid"  # the token must never travel to a host we did not choose

    with pytest.raises(github.GitHubError, match="another host"):
        upsert(gh, f"{MARKER}\nx")
    assert len(gh.seen) == 1


def test_the_token_is_not_in_the_context_repr(gh):
    assert gh.token not in repr(context(gh))
    assert gh.token not in repr(github.detect(_env(gh, "/nonexistent")))


def test_a_body_over_the_limit_is_truncated_with_a_note_and_keeps_the_marker():
    rows = "\n".join(f"| metrics.json | m{i} | 0.1 | 0.2 | 0.1 |" for i in range(3000))
    body = f"{MARKER}\n### pivot\n{rows}"
    assert len(body) > github.COMMENT_LIMIT

    fitted = github.fit_body(body, MARKER)

    assert len(fitted) <= github.COMMENT_LIMIT
    assert fitted.startswith(f"{MARKER}\n### pivot\n")
    assert "truncated" in fitted and f"{len(body):,} characters" in fitted
    assert "\n| metrics.json | m" in fitted and fitted.split("\n\n> **Note:**")[0].endswith("|")


def test_truncation_counts_characters_outside_the_bmp_twice():
    body = MARKER + "\n" + "🙂" * 40_000
    fitted = github.fit_body(body, MARKER)
    assert len(fitted.encode("utf-16-le")) // 2 <= github.COMMENT_LIMIT
    assert fitted.startswith(MARKER) and "truncated" in fitted


def test_a_short_body_is_left_alone_and_a_missing_marker_added():
    assert github.fit_body(f"{MARKER}\nok", MARKER) == f"{MARKER}\nok"
    assert github.fit_body("ok", MARKER) == f"{MARKER}\nok"


def test_an_oversized_report_is_posted_truncated(gh):
    upsert(gh, MARKER + "\n" + "x" * 100 + "\n" + "y" * 70_000)
    (posted,) = gh.comments
    assert len(posted["body"]) <= github.COMMENT_LIMIT and "truncated" in posted["body"]


def test_the_step_summary_is_appended(tmp_path):
    path = tmp_path / "summary.md"
    path.write_text("# earlier step\n")
    github.append_step_summary(path, "report one\n")
    github.append_step_summary(path, "report two")
    assert path.read_text() == "# earlier step\nreport one\n\nreport two\n\n"


def _env(gh: FakeGitHub, event_path, **extra) -> dict[str, str]:
    return {
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": gh.repository,
        "GITHUB_TOKEN": gh.token,
        "GITHUB_API_URL": gh.url + "/",
        **extra,
    }


def test_detect_reads_the_pull_request_from_the_event(gh, tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))

    found = github.detect(_env(gh, event))

    assert found.context == github.Context(gh.url, gh.repository, 7, gh.token)


def test_detect_takes_gh_token_and_defaults_the_api_url(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"issue": {"number": 3, "pull_request": {"url": "x"}}}))
    env = {"GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "a/b", "GH_TOKEN": "t"}
    assert github.detect(env).context == github.Context("https://api.github.com", "a/b", 3, "t")


@pytest.mark.parametrize(
    ("event", "drop", "reason"),
    [
        (None, "GITHUB_EVENT_PATH", "not a GitHub Actions run"),
        ({"ref": "refs/heads/main"}, None, "push event is not a pull request"),
        ({"pull_request": {"number": 7}}, "GITHUB_TOKEN", "no token"),
        ({"pull_request": {"number": 7}}, "GITHUB_REPOSITORY", "GITHUB_REPOSITORY"),
    ],
)
def test_detect_says_why_there_is_no_pull_request(gh, tmp_path, event, drop, reason):
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    env = _env(gh, path, GITHUB_EVENT_NAME="push")
    env.pop(drop, None)

    found = github.detect(env)

    assert found.context is None and reason in found.reason


def test_an_unwritable_step_summary_is_a_clear_error(tmp_path):
    with pytest.raises(github.GitHubError, match="cannot write the job summary"):
        github.append_step_summary(tmp_path / "missing-dir" / "summary.md", "report")
