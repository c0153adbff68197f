"""GitHub's REST API over the standard library, and the only module that reaches GitHub: the
requests for a pull request's comments (every page), redirects kept to the same host, and the token
redacted from every message. Reads are retried with backoff on 5xx, rate limits and network errors;
a write is sent once, and one whose answer is lost comes back as `Lost`, because GitHub may have
applied it: the caller looks at the comments again before writing anything more.
"""

from __future__ import annotations

import dataclasses
import email.utils
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pivot import __version__, errors
from pivot.base import redaction

_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')


class GitHubError(errors.PivotError):
    """GitHub kept failing, or refused the request for a reason a retry cannot fix (exit 1)."""


class NoAccess(GitHubError):
    """401/403/404: the token may not comment here, e.g. the read-only token of a fork's PR."""


@dataclasses.dataclass(frozen=True, slots=True)
class Context:
    api_url: str
    repository: str  # "owner/repo"
    pr_number: int
    token: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5  # the first try and 4 retries
    first_backoff: float = 1.0  # doubled per retry when GitHub gives no Retry-After
    max_wait: float = 30.0  # a Retry-After of an hour must not hold a CI job that long
    timeout: float = 30.0  # seconds one request may take; past it, its answer counts as lost


@dataclasses.dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str
    url: str | None  # as GitHub gave it, token redacted


@dataclasses.dataclass(frozen=True, slots=True)
class Written:
    """GitHub answered a create or an update: the comment's address."""

    url: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Lost:
    """A request that failed on the wire or got a retryable answer (timeout, reset, 5xx, rate
    limit); for a write, GitHub may or may not have applied it."""

    request: str  # "POST /repos/o/r/issues/7/comments"
    failure: str  # what went wrong, token redacted
    wait: float  # seconds to wait before the next request


@dataclasses.dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        # urllib forwards Authorization on redirects; never let it carry the token to another host.
        if _origin(newurl) != _origin(req.full_url):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc


class Client:
    """The comment requests of one pull request: reads retried per `RetryPolicy`, writes sent once."""

    def __init__(self, ctx: Context, sleep: Callable[[float], None], retry: RetryPolicy) -> None:
        self._ctx = ctx
        self._sleep = sleep
        self._retry = retry
        self._opener = urllib.request.build_opener(_SameOriginRedirects)

    def find_comment(self, marker: str) -> Comment | None:
        """The oldest comment of the PR whose body contains `marker`, read from every page."""
        for comment in self._comments():
            body = comment.get("body") or ""
            if marker in body:
                return Comment(int(comment["id"]), body, self._shown(_html_url(comment)))
        return None

    def create(self, body: str, attempt: int = 1) -> Written | Lost:
        """One POST, never retried here: after a lost answer the comment may exist all the same."""
        path = f"/repos/{self._ctx.repository}/issues/{self._ctx.pr_number}/comments"
        return self._write("POST", self._url(path), {"body": body}, attempt)

    def update(self, comment_id: int, body: str, attempt: int = 1) -> Written | Lost:
        """One PATCH; after a lost answer the caller checks that the comment still exists."""
        path = f"/repos/{self._ctx.repository}/issues/comments/{comment_id}"
        return self._write("PATCH", self._url(path), {"body": body}, attempt)

    def _comments(self) -> Iterator[dict[str, Any]]:
        """Every comment of the PR, oldest first, following `Link: rel="next"` to the last page."""
        path = f"/repos/{self._ctx.repository}/issues/{self._ctx.pr_number}/comments"
        url: str | None = self._url(path) + "?per_page=100"
        while url:
            response = self._get(url)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubError(f"GitHub answered GET {path} with something that is not a list of comments")
            yield from page
            url = _next_link(response.headers.get("link", ""))
            if url and _origin(url) != _origin(self._ctx.api_url):
                raise GitHubError(f"GitHub's next page of {path} points to another host; not following it")

    def _url(self, path: str) -> str:
        return self._ctx.api_url + path

    def _get(self, url: str) -> _Response:
        """A read, retried on 5xx, rate limits and network errors; 401/403/404 raise NoAccess."""
        attempt = 1
        while True:
            outcome = self._attempt("GET", url, None, attempt)
            if isinstance(outcome, _Response):
                return outcome
            if attempt >= self._retry.attempts:
                raise kept_failing(outcome, self._retry.attempts)
            self._sleep(outcome.wait)
            attempt += 1

    def _write(self, method: str, url: str, payload: dict[str, Any], attempt: int) -> Written | Lost:
        outcome = self._attempt(method, url, payload, attempt)
        if isinstance(outcome, Lost):
            return outcome
        return Written(self._shown(_html_url(outcome.json())))

    def _attempt(self, method: str, url: str, payload: dict[str, Any] | None, attempt: int) -> _Response | Lost:
        """One request: the answer, or `Lost` with the wait before the next try (the `attempt`-th
        backoff unless GitHub says how long); a refusal no retry can fix raises."""
        request = f"{method} {_path(url)}"
        try:
            response = self._send(method, url, payload)
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, cut short
            failure = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
            return Lost(request, self._redact(failure), self._backoff(attempt))
        if response.status < 300:
            return response
        if not _retryable(response):
            raise self._refusal(method, url, response)
        asked = _server_wait(response)
        wait = self._backoff(attempt) if asked is None else min(asked, self._retry.max_wait)
        return Lost(request, self._describe(response), wait)

    def _send(self, method: str, url: str, payload: dict[str, Any] | None) -> _Response:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(url, data=data, method=method, headers=self._headers(data is not None))
        try:
            with self._opener.open(request, timeout=self._retry.timeout) as answer:
                return _Response(answer.status, _lower(answer.headers), answer.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return _Response(exc.code, _lower(exc.headers), exc.read())

    def _headers(self, has_body: bool) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self._ctx.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"pivot/{__version__}",
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _backoff(self, attempt: int) -> float:
        return min(self._retry.first_backoff * float(2 ** (attempt - 1)), self._retry.max_wait)

    def _refusal(self, method: str, url: str, response: _Response) -> GitHubError:
        text = f"GitHub refused {method} {_path(url)}: {self._describe(response)}"
        if response.status in (401, 403, 404):
            return NoAccess(
                self._redact(
                    f"no pull-request comment: {text}. A pull request from a fork gets a read-only token; "
                    "otherwise give the workflow `permissions: pull-requests: write`"
                )
            )
        return GitHubError(self._redact(text))

    def _describe(self, response: _Response) -> str:
        data = response.json()
        message = data.get("message") if isinstance(data, dict) else None
        text = str(response.status)
        if isinstance(message, str) and message:
            text += f" {message[:200]}"
        return self._redact(text)

    def _shown(self, url: str | None) -> str | None:
        """The comment's address as the server gave it, which pivot prints: never with the token."""
        return None if url is None else self._redact(url)

    def _redact(self, text: str) -> str:
        return redaction.redact_text(text, [self._ctx.token])


def kept_failing(lost: Lost, attempts: int) -> GitHubError:
    return GitHubError(
        f"GitHub kept failing on {lost.request} ({lost.failure}) after {attempts} attempts",
        hint="GitHub may be having an outage (https://www.githubstatus.com); re-run the job later",
    )


def _retryable(response: _Response) -> bool:
    """5xx, 429, and a 403 that is a rate limit (primary or secondary) rather than a refusal."""
    if response.status >= 500 or response.status == 429:
        return True
    if response.status != 403:
        return False
    headers = response.headers
    data = response.json()
    message = data.get("message", "") if isinstance(data, dict) else ""
    return (
        headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers or "rate limit" in str(message).lower()
    )


def _server_wait(response: _Response) -> float | None:
    """Seconds GitHub asks us to wait before retrying, if it says."""
    headers = response.headers
    retry_after = _seconds(headers.get("retry-after"))
    if retry_after is not None:
        return retry_after
    reset = headers.get("x-ratelimit-reset", "")
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        return max(0.0, float(reset) - time.time())
    return None


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _html_url(data: Any) -> str | None:
    url = data.get("html_url") if isinstance(data, dict) else None
    return url if isinstance(url, str) else None


def _next_link(header: str) -> str | None:
    for url, rel in _LINK.findall(header):
        if rel == "next":
            return str(url)
    return None


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()} if headers else {}


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path
