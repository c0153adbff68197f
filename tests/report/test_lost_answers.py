"""The sticky comment stays one comment when GitHub's answer to a write is lost: a 5xx after the
write took effect, an answer that never comes in time, or a 5xx before it did."""

from __future__ import annotations

import pytest
from fake_github import FakeGitHub

from pivot import errors
from pivot.report import github

MARKER = "<!-- pivot-report: pivot -->"
REPORT = f"{MARKER}\naccuracy 0.95"


@pytest.fixture
def gh():
    with FakeGitHub() as server:
        yield server


class Sleeps(list):
    """Records the waits instead of waiting; `then` runs at the first wait (something another
    user does meanwhile)."""

    def __init__(self, then=None) -> None:
        super().__init__()
        self.then = then

    def __call__(self, seconds: float) -> None:
        if self.then is not None and not self:
            self.then()
        self.append(seconds)


def upsert(gh: FakeGitHub, sleeps: Sleeps | None = None, **policy) -> github.Result:
    ctx = github.Context(gh.url, gh.repository, gh.pr, gh.token)
    retry = github.RetryPolicy(**policy)
    return github.upsert_comment(ctx, MARKER, REPORT, sleep=Sleeps() if sleeps is None else sleeps, retry=retry)


def methods(gh: FakeGitHub) -> list[str]:
    return [seen.method for seen in gh.seen]


def the_one_comment(gh: FakeGitHub) -> dict:
    (comment,) = gh.with_marker(MARKER)
    assert comment["body"] == REPORT
    return comment


def test_a_create_answered_502_after_it_was_made_is_found_not_made_again(gh):
    gh.fail(502, method="POST", applied=True)
    sleeps = Sleeps()

    result = upsert(gh, sleeps)

    comment = the_one_comment(gh)
    assert result == github.Result(github.Action.CREATED, comment["html_url"])
    assert methods(gh) == ["GET", "POST", "GET"]  # the second look finds it; nothing more to write
    assert sleeps == [1.0]


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_create_whose_answer_never_comes_in_time_is_found_not_made_again(gh):
    gh.stall(method="POST")

    result = upsert(gh, timeout=0.5)

    comment = the_one_comment(gh)
    assert result == github.Result(github.Action.CREATED, comment["html_url"])
    assert methods(gh) == ["GET", "POST", "GET"]


def test_a_create_answered_502_before_it_was_made_is_made_after_a_second_look(gh):
    gh.fail(502, method="POST")

    result = upsert(gh)

    assert result.action is github.Action.CREATED and result.url == the_one_comment(gh)["html_url"]
    assert methods(gh) == ["GET", "POST", "GET", "POST"]


def test_a_rate_limited_create_looks_again_before_the_next_one(gh):
    gh.fail(429, method="POST", headers={"Retry-After": "3"})
    sleeps = Sleeps()

    assert upsert(gh, sleeps).action is github.Action.CREATED

    the_one_comment(gh)
    assert methods(gh) == ["GET", "POST", "GET", "POST"] and sleeps == [3.0]


def test_a_create_that_keeps_failing_is_an_error_and_every_try_follows_a_fresh_look(gh):
    gh.fail(502, method="POST", times=10, message=f"proxy saw {gh.token}")
    sleeps = Sleeps()

    with pytest.raises(github.GitHubError) as caught:
        upsert(gh, sleeps, attempts=3)

    assert gh.comments == []
    assert methods(gh) == ["GET", "POST"] * 3 and sleeps == [1.0, 2.0]
    assert "kept failing on POST /repos/acme/models/issues/7/comments (502" in str(caught.value)
    assert gh.token not in str(caught.value) and caught.value.exit_code == 1


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_timed_out_create_that_never_landed_is_made_once(gh):
    gh.stall(method="POST", applied=False)

    assert upsert(gh, timeout=0.5).action is github.Action.CREATED

    the_one_comment(gh)
    assert methods(gh) == ["GET", "POST", "GET", "POST"]


def test_an_update_answered_502_after_it_was_made_is_not_sent_again(gh):
    gh.add_comment("LGTM")
    old = gh.add_comment(f"{MARKER}\naccuracy 0.90")
    gh.fail(502, method="PATCH", applied=True)

    result = upsert(gh)

    assert result == github.Result(github.Action.UPDATED, old["html_url"])
    assert the_one_comment(gh)["id"] == old["id"] and len(gh.comments) == 2
    assert methods(gh) == ["GET", "PATCH", "GET"]


def test_an_update_answered_502_before_it_was_made_is_sent_again(gh):
    old = gh.add_comment(f"{MARKER}\naccuracy 0.90")
    gh.fail(502, method="PATCH")

    assert upsert(gh) == github.Result(github.Action.UPDATED, old["html_url"])

    assert the_one_comment(gh)["id"] == old["id"]
    assert methods(gh) == ["GET", "PATCH", "GET", "PATCH"]


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_comment_deleted_while_its_lost_update_waited_is_made_again(gh):
    old = gh.add_comment(f"{MARKER}\naccuracy 0.90")
    gh.stall(method="PATCH", applied=False)

    result = upsert(gh, Sleeps(then=gh.comments.clear), timeout=0.5)

    assert result.action is github.Action.CREATED
    assert the_one_comment(gh)["id"] != old["id"]
    assert methods(gh) == ["GET", "PATCH", "GET", "POST"]


def test_the_second_look_reads_every_page(gh):
    for i in range(120):
        gh.add_comment(f"comment {i}")
    gh.fail(502, method="POST", applied=True)

    assert upsert(gh).action is github.Action.CREATED

    assert len(gh.with_marker(MARKER)) == 1 and len(gh.comments) == 121
    assert methods(gh) == ["GET", "GET", "POST", "GET", "GET"]


def test_the_request_timeout_comes_from_the_environment():
    assert github.retry_policy({}) == github.RetryPolicy()
    assert github.retry_policy({"PIVOT_GITHUB_TIMEOUT": " 2.5 "}) == github.RetryPolicy(timeout=2.5)


@pytest.mark.parametrize("value", ["soon", "0", "-3", "inf", "nan"])
def test_a_timeout_that_is_not_a_positive_number_is_an_input_error(value):
    with pytest.raises(errors.InputError) as caught:
        github.retry_policy({"PIVOT_GITHUB_TIMEOUT": value})
    assert caught.value.exit_code == 2
    assert f"PIVOT_GITHUB_TIMEOUT is {value!r}" in caught.value.message and "seconds" in caught.value.message
