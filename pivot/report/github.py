"""One sticky pull-request comment on GitHub: which pull request this Actions run is for (from its
environment and event file), the comment body cut to GitHub's limit, and the update-or-create of
the comment that carries pivot's marker, which stays one comment when an answer is lost on the
way back; also the job summary. The HTTP requests themselves (retries, pages, redaction) are
`pivot.report.github_client`'s.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import pathlib
import time
from collections.abc import Callable, Mapping

from pivot import errors
from pivot.report.github_client import (
    Client,
    Context,
    GitHubError,
    NoAccess,
    RetryPolicy,
    Written,
    kept_failing,
)

__all__ = [
    "COMMENT_LIMIT",
    "DEFAULT_API_URL",
    "Action",
    "Context",
    "Detection",
    "GitHubError",
    "Result",
    "RetryPolicy",
    "append_step_summary",
    "detect",
    "fit_body",
    "retry_policy",
    "upsert_comment",
]

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_VARIABLE = "PIVOT_GITHUB_TIMEOUT"
COMMENT_LIMIT = 65_536  # GitHub rejects a longer issue comment body (422)


@dataclasses.dataclass(frozen=True, slots=True)
class Detection:
    """The pull request to comment on, or why there is none (a sentence for the user)."""

    context: Context | None
    reason: str = ""


class Action(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    FALLBACK = "fallback"


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    action: Action
    url: str | None = None
    warning: str | None = None


def detect(env: Mapping[str, str]) -> Detection:
    """The pull request of this GitHub Actions run, from its environment and event file."""
    event_path = env.get("GITHUB_EVENT_PATH")
    if not event_path:
        return Detection(None, "this is not a GitHub Actions run (GITHUB_EVENT_PATH is not set)")
    number = _pr_number(event_path)
    if number is None:
        name = env.get("GITHUB_EVENT_NAME")
        return Detection(
            None, f"the {name} event is not a pull request" if name else "this run is not for a pull request"
        )
    repository = env.get("GITHUB_REPOSITORY", "")
    if "/" not in repository:
        return Detection(None, "GITHUB_REPOSITORY is not set to owner/repo")
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
    if not token:
        return Detection(None, "no token: pass GITHUB_TOKEN (or GH_TOKEN) to this step's env")
    api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    return Detection(Context(api_url, repository, number, token))


def _pr_number(event_path: str) -> int | None:
    try:
        event = json.loads(pathlib.Path(event_path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(event, dict):
        return None
    pull = event.get("pull_request")
    if isinstance(pull, dict) and isinstance(pull.get("number"), int):
        return int(pull["number"])
    # An issue_comment event on a pull request carries the PR as an issue.
    issue = event.get("issue")
    if isinstance(issue, dict) and issue.get("pull_request") and isinstance(issue.get("number"), int):
        return int(issue["number"])
    return None


def retry_policy(env: Mapping[str, str]) -> RetryPolicy:
    """The default policy, with the request timeout from PIVOT_GITHUB_TIMEOUT (seconds) if set:
    a slow GitHub Enterprise server may need more than the default."""
    value = env.get(TIMEOUT_VARIABLE, "").strip()
    if not value:
        return RetryPolicy()
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise errors.InputError(
            f"{TIMEOUT_VARIABLE} is {value!r}; it must be a number of seconds greater than 0",
            hint=f"unset {TIMEOUT_VARIABLE} to wait the default {RetryPolicy().timeout:g} seconds",
        )
    return RetryPolicy(timeout=seconds)


def upsert_comment(
    ctx: Context,
    marker: str,
    body: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    retry: RetryPolicy | None = None,
) -> Result:
    """Update the PR comment that contains `marker`, or create it; a refusal becomes FALLBACK."""
    policy = retry or RetryPolicy()
    client = Client(ctx, sleep, policy)
    try:
        return _upsert(client, marker, fit_body(body, marker), policy, sleep)
    except NoAccess as exc:
        return Result(Action.FALLBACK, warning=exc.message)


def _upsert(client: Client, marker: str, text: str, policy: RetryPolicy, sleep: Callable[[float], None]) -> Result:
    """Look the comment up, then create or update it; a write whose answer is lost is never sent
    again blindly: GitHub may have applied it, so after the wait the comments are listed again
    (every page) and the next write follows from what is there, which keeps it one comment."""
    created = False  # a create of this run may have landed even though its answer was lost
    lost = False
    attempt = 1
    while True:
        found = client.find_comment(marker)
        if found is not None and lost and found.body == text:
            return _result(created, found.url)  # the lost write had landed
        if found is None:
            outcome, created = client.create(text, attempt), True
        else:
            outcome = client.update(found.id, text, attempt)
        if isinstance(outcome, Written):
            return _result(created, outcome.url)
        if attempt >= policy.attempts:
            raise kept_failing(outcome, policy.attempts)
        sleep(outcome.wait)
        lost, attempt = True, attempt + 1


def _result(created: bool, url: str | None) -> Result:
    return Result(Action.CREATED if created else Action.UPDATED, url)


def fit_body(body: str, marker: str, limit: int = COMMENT_LIMIT) -> str:
    """`body` cut to GitHub's limit with a note saying so; the marker always stays."""
    if marker not in body:
        body = f"{marker}\n{body}"
    if _length(body) <= limit:
        return body
    note = (
        f"\n\n> **Note:** this report was truncated: it has {_length(body):,} characters and "
        f"a GitHub comment holds {limit:,}. Run `pivot ci comment --dry-run` for all of it.\n"
    )
    budget = limit - _length(note)
    head = body[:budget]
    while _length(head) > budget:  # characters outside the BMP count twice
        head = head[: budget - (_length(head) - len(head))]
    line_start = head.rfind("\n")
    if line_start > len(head) - 2000:
        head = head[:line_start]  # end on a whole line, not half a table row
    if marker not in head:
        head = f"{marker}\n{head[: len(head) - len(marker) - 1]}"
    return head + note


def _length(text: str) -> int:
    """Length as GitHub counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def append_step_summary(path: str | os.PathLike[str], markdown: str) -> None:
    """Append to the job summary file GitHub Actions renders on the run's page."""
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown.rstrip("\n") + "\n\n")
    except OSError as exc:
        raise GitHubError(f"cannot write the job summary {path}: {exc.strerror or exc}") from None
