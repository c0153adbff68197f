"""A small GitHub REST server for the tests: issue comments in memory, paging, auth, failures on cue
(also a request that takes effect but whose answer is lost: an error instead of it, or none in time)."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclasses.dataclass(frozen=True, slots=True)
class Seen:
    method: str
    path: str  # with the query
    headers: dict[str, str]  # lower-case names
    body: str


@dataclasses.dataclass(frozen=True, slots=True)
class Failure:
    method: str | None  # None: any request
    status: int | None  # None: no answer until the server stops (the client times out first)
    headers: dict[str, str]
    message: str
    applied: bool  # the request takes effect first: only its answer is lost


class FakeGitHub:
    """`with FakeGitHub() as gh:` serves gh.url until the block ends."""

    def __init__(self, token: str = "ghs_test_token_0123456789", repository: str = "acme/models", pr: int = 7) -> None:
        self.token = token
        self.repository = repository
        self.pr = pr
        self.comments: list[dict[str, Any]] = []
        self.seen: list[Seen] = []
        self.link_host: str | None = None  # set to make the Link header point at another host
        self._failures: list[Failure] = []
        self._next_id = 1000
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # releases the requests held by `stall`
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def pull_request_env(self, folder: pathlib.Path, **extra: str) -> tuple[dict[str, str], pathlib.Path]:
        """What GitHub Actions sets in a pull request's job, pointed at this server, with the
        event file and the job summary (returned) in `folder`."""
        event = folder / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": self.pr}}))
        summary = folder / "summary.md"
        env = {
            "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": self.repository, "GITHUB_TOKEN": self.token, "GITHUB_API_URL": self.url,
            "GITHUB_STEP_SUMMARY": str(summary), **extra,
        }
        return env, summary

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def add_comment(self, body: str) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            comment = {"id": self._next_id, "body": body, "html_url": self._html_url(self._next_id)}
            self.comments.append(comment)
            return comment

    def fail(
        self,
        status: int,
        *,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        message: str = "failure on cue",
        times: int = 1,
        applied: bool = False,
    ) -> None:
        """The next `times` requests (of `method`) get `status` instead of an answer; `applied`
        ones take effect all the same, as when a proxy loses GitHub's answer."""
        self._failures.extend([Failure(method, status, headers or {}, message, applied)] * times)

    def stall(self, *, method: str | None = None, applied: bool = True, times: int = 1) -> None:
        """The next `times` requests (of `method`) get no answer until the server stops, so the
        client times out; `applied` ones take effect before the wait."""
        self._failures.extend([Failure(method, None, {}, "stalled", applied)] * times)

    def with_marker(self, marker: str) -> list[dict[str, Any]]:
        return [c for c in self.comments if marker in c["body"]]

    def _html_url(self, comment_id: int) -> str:
        return f"https://github.com/{self.repository}/pull/{self.pr}#issuecomment-{comment_id}"

    # Called by the handler thread.
    def handle(self, method: str, target: str, headers: dict[str, str], body: str) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.seen.append(Seen(method, target, headers, body))
            failure = next((f for f in self._failures if f.method in (None, method)), None)
            if failure is not None:
                self._failures.remove(failure)
        if failure is None:
            return self._answer(method, target, headers, body)
        answer = self._answer(method, target, headers, body) if failure.applied else None
        if failure.status is None:
            self._stopping.wait(timeout=60)
            return answer or (504, {}, {"message": "Gateway Timeout"})
        return failure.status, failure.headers, {"message": failure.message}

    def _answer(self, method: str, target: str, headers: dict[str, str], body: str) -> tuple[int, dict[str, str], Any]:
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {}, {"message": "Bad credentials"}
        parts = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qs(parts.query)
        issue_comments = f"/repos/{self.repository}/issues/{self.pr}/comments"
        if parts.path == issue_comments and method == "GET":
            return self._list(query, self.link_host or headers.get("host", ""))
        if parts.path == issue_comments and method == "POST":
            return 201, {}, self.add_comment(json.loads(body)["body"])
        prefix = f"/repos/{self.repository}/issues/comments/"
        if parts.path.startswith(prefix) and method == "PATCH":
            return self._update(int(parts.path[len(prefix) :]), json.loads(body)["body"])
        return 404, {}, {"message": "Not Found"}

    def _list(self, query: dict[str, list[str]], host: str) -> tuple[int, dict[str, str], Any]:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = int(query.get("page", ["1"])[0])
        with self._lock:
            items = self.comments[(page - 1) * per_page : page * per_page]
            last = max(1, -(-len(self.comments) // per_page))
        headers = {}
        if page < last:
            base = f"http://{host}/repos/{self.repository}/issues/{self.pr}/comments"
            headers["Link"] = (
                f'<{base}?per_page={per_page}&page={page + 1}>; rel="next", '
                f'<{base}?per_page={per_page}&page={last}>; rel="last"'
            )
        return 200, headers, items

    def _update(self, comment_id: int, body: str) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            for comment in self.comments:
                if comment["id"] == comment_id:
                    comment["body"] = body
                    return 200, {}, comment
        return 404, {}, {"message": "Not Found"}


class _Handler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, extra, data = self.server.fake.handle(self.command, self.path, headers, body)  # type: ignore[attr-defined]
        payload = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # a client that timed out on a stalled request has gone

    do_GET = do_POST = do_PATCH = _serve

    def log_message(self, format: str, *args: object) -> None:
        pass
