"""`pivot import-url URL [PATH]` and `pivot update`: data from a directory elsewhere or an HTTP
server on 127.0.0.1, tracked with its source; fetched again only when the source changed, and a
failed fetch leaves the data and its .pvt as they were."""

from __future__ import annotations

import functools
import http.server
import json
import os
import pathlib
import threading
from collections.abc import Iterator

import pytest
import yaml
from conftest import assert_clean_error


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def source(tmp_path) -> pathlib.Path:
    """Data outside the project: a file and a directory with a subdirectory."""
    root = tmp_path / "elsewhere"
    (root / "images" / "cats").mkdir(parents=True)
    (root / "labels.csv").write_text("id,label\n1,cat\n")
    (root / "images" / "a.png").write_bytes(b"\x89PNG a")
    (root / "images" / "cats" / "b.png").write_bytes(b"\x89PNG b")
    return root


@pytest.fixture
def proj(project, pivot) -> pathlib.Path:
    root = project({"pivot.yaml": "stages: {}\n"})
    ok(pivot("init"))
    return root


@pytest.fixture
def web(source) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving `source` (with Last-Modified, as most servers send)."""
    handler = functools.partial(_Quiet, directory=os.fspath(source))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _pvt(root: pathlib.Path, path: str) -> dict:
    return yaml.safe_load((root / f"{path}.pvt").read_text())


def test_a_file_and_a_directory_are_fetched_cached_and_recorded_with_their_source(proj, pivot, source):
    out = ok(pivot("import-url", str(source / "labels.csv")))
    assert out.startswith(f"labels.csv: fetched from {source / 'labels.csv'}\nTo commit: git add labels.csv.pvt .gitignore")
    assert (proj / "labels.csv").read_text() == "id,label\n1,cat\n"
    assert _pvt(proj, "labels.csv")["source"]["url"] == str(source / "labels.csv")
    ok(pivot("import-url", str(source / "images"), "data/images"))
    assert sorted(p.relative_to(proj / "data/images").as_posix() for p in (proj / "data/images").rglob("*.png")) == ["a.png", "cats/b.png"]
    assert _pvt(proj, "data/images")["nfiles"] == 2
    assert "data/images" in (proj / "data" / ".gitignore").read_text() or "/images" in (proj / "data" / ".gitignore").read_text()
    (proj / "labels.csv").unlink()
    ok(pivot("checkout"))  # like any tracked data: back from the cache
    assert (proj / "labels.csv").read_text() == "id,label\n1,cat\n"


def test_update_fetches_only_what_changed_at_its_source(proj, pivot, source):
    ok(pivot("import-url", str(source / "labels.csv")))
    ok(pivot("import-url", str(source / "images")))
    assert ok(pivot("update")) == (
        f"images: up to date with {source / 'images'}\nlabels.csv: up to date with {source / 'labels.csv'}\n"
    )
    (source / "images" / "cats" / "c.png").write_bytes(b"\x89PNG c")
    out = ok(pivot("update"))
    assert f"images: fetched from {source / 'images'}" in out and "labels.csv: up to date" in out
    assert (proj / "images" / "cats" / "c.png").exists() and _pvt(proj, "images")["nfiles"] == 3
    assert ok(pivot("update", "labels.csv")).startswith("labels.csv: up to date")


def test_over_http_and_again_when_the_server_says_it_changed(proj, pivot, web, source):
    ok(pivot("import-url", f"{web}/labels.csv", "labels.csv"))
    assert (proj / "labels.csv").read_text() == "id,label\n1,cat\n"
    assert ok(pivot("update")).startswith("labels.csv: up to date")
    (source / "labels.csv").write_text("id,label\n1,dog\n")
    os.utime(source / "labels.csv", (1_900_000_000, 1_900_000_000))  # the server's Last-Modified moves
    assert ok(pivot("update")).startswith("labels.csv: fetched from")
    assert (proj / "labels.csv").read_text() == "id,label\n1,dog\n"


def test_a_failed_fetch_leaves_the_data_and_its_pvt_as_they_were(proj, pivot, source):
    ok(pivot("import-url", str(source / "labels.csv")))
    before = (proj / "labels.csv.pvt").read_text()
    (source / "labels.csv").unlink()
    result = pivot("update")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "labels.csv: not updated: " in result.output and "there is nothing there" in result.output
    assert (proj / "labels.csv").read_text() == "id,label\n1,cat\n"
    assert (proj / "labels.csv.pvt").read_text() == before
    assert not list((proj / ".pivot" / "tmp" / "imports").iterdir())  # no half-fetched data left


def test_bad_input_is_refused_before_anything_is_fetched(proj, pivot, source):
    (proj / "mine.csv").write_text("keep me\n")
    assert_clean_error(pivot("import-url", str(source / "labels.csv"), "mine.csv"), "mine.csv exists", "-f")
    assert (proj / "mine.csv").read_text() == "keep me\n"
    ok(pivot("import-url", "-f", str(source / "labels.csv"), "mine.csv"))
    assert (proj / "mine.csv").read_text() == "id,label\n1,cat\n"
    assert_clean_error(pivot("import-url", str(source / "nothing.csv")), "there is nothing there")
    assert_clean_error(pivot("import-url", str(source / "labels.csv"), ".pivot/x"), "belongs to pivot or git")
    assert_clean_error(pivot("update", "nothing.csv"), "nothing.csv is not imported data")
    (proj / "raw.txt").write_text("r\n")
    ok(pivot("track", "raw.txt"))
    assert_clean_error(pivot("update", "raw.txt"), "raw.txt is tracked data, not imported")


def test_a_damaged_source_in_a_pvt_names_the_file(proj, pivot, source):
    ok(pivot("import-url", str(source / "labels.csv")))
    text = (proj / "labels.csv.pvt").read_text()
    (proj / "labels.csv.pvt").write_text(text.replace("  url:", "  where:"))
    assert_clean_error(pivot("update"), "labels.csv.pvt: 'source' must be a mapping with 'url' and 'checksum'")


def test_a_clone_without_the_data_is_told_to_update_and_update_fetches_it(proj, pivot, source, tmp_path, monkeypatch):
    import subprocess

    ok(pivot("import-url", str(source / "labels.csv")))
    subprocess.run(["git", "init", "-q"], cwd=proj, check=True)
    subprocess.run(["git", "add", "-A"], cwd=proj, check=True)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "data"], cwd=proj, check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(proj), str(clone)], check=True)
    monkeypatch.chdir(clone)  # no cache, no remote: only the source has the bytes
    result = pivot("checkout")
    assert result.exit_code == 1 and "fetch it from its source: 'pivot update labels.csv'" in result.output
    assert ok(pivot("update")).startswith("labels.csv: fetched from")  # missing here, though the source is unchanged
    assert (clone / "labels.csv").read_text() == "id,label\n1,cat\n"


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Serves one file, whose Last-Modified moves when `cut` is set, and then breaks off the body."""

    body = b"id,label\n1,cat\n"
    cut = False

    def log_message(self, *args: object) -> None:
        pass

    def _head(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body) * (1000 if self.cut else 1)))
        self.send_header("Last-Modified", "Mon, 07 Dec 2026 00:00:00 GMT" if self.cut else "Sun, 06 Dec 2026 00:00:00 GMT")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._head()

    def do_GET(self) -> None:
        self._head()
        self.wfile.write(self.body)  # short of the length announced once `cut`: the server died mid-way
        self.wfile.flush()
        self.close_connection = True


def test_a_download_broken_off_midway_changes_nothing(proj, pivot):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/labels.csv"
        ok(pivot("import-url", url))
        before = (proj / "labels.csv.pvt").read_text()
        _Flaky.cut = True
        result = pivot("update")
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "labels.csv" in result.output and "not completed" in result.output
        assert (proj / "labels.csv").read_text() == "id,label\n1,cat\n"
        assert (proj / "labels.csv.pvt").read_text() == before
        assert not list((proj / ".pivot" / "tmp" / "imports").iterdir())
    finally:
        _Flaky.cut = False
        server.shutdown()
        server.server_close()


def test_ls_url_lists_what_an_import_would_fetch(pivot, source, web):
    assert ok(pivot("ls-url", str(source))).splitlines() == ["              images/", "          15  labels.csv"]
    deep = ok(pivot("ls-url", "-R", "--json", str(source)))
    assert [(e["path"], e["size"]) for e in json.loads(deep)] == [("images/a.png", 6), ("images/cats/b.png", 6), ("labels.csv", 15)]
    assert ok(pivot("ls-url", f"{web}/labels.csv")).split() == ["15", "labels.csv"]
    assert_clean_error(pivot("ls-url", str(source / "nothing")), "there is nothing there")


def test_a_relative_local_source_is_kept_relative_to_its_pvt_and_found_from_anywhere(proj, pivot, source, monkeypatch):
    (proj / "data").mkdir()
    monkeypatch.chdir(proj / "data")
    relative = os.path.relpath(source / "labels.csv")
    ok(pivot("import-url", relative))
    assert _pvt(proj, "data/labels.csv")["source"]["url"] == os.path.relpath(source / "labels.csv", proj / "data")
    monkeypatch.chdir(proj)  # elsewhere in the project
    (source / "labels.csv").write_text("id,label\n1,owl\n")
    os.utime(source / "labels.csv", (1_900_000_000, 1_900_000_000))
    assert ok(pivot("update")).startswith("data/labels.csv: fetched from")
    assert (proj / "data" / "labels.csv").read_text() == "id,label\n1,owl\n"


def test_one_source_failing_does_not_stop_the_others(proj, pivot, source):
    ok(pivot("import-url", str(source / "labels.csv")))
    ok(pivot("import-url", str(source / "images")))
    (source / "labels.csv").unlink()
    (source / "images" / "new.png").write_bytes(b"\x89PNG new")
    result = pivot("update")
    assert result.exit_code == 1
    assert "images: fetched from" in result.output and (proj / "images" / "new.png").exists()
    assert "labels.csv: not updated" in result.output and "1 of 2 not updated" in result.output


def test_get_url_downloads_from_anywhere_and_tracks_nothing(pivot, source, web, tmp_path, monkeypatch):
    here = tmp_path / "downloads"  # no project, no git
    here.mkdir()
    monkeypatch.chdir(here)
    assert ok(pivot("get-url", str(source), "copy")).strip() == f"{source} -> copy"
    assert (here / "copy" / "images" / "cats" / "b.png").is_file() and (here / "copy" / "labels.csv").is_file()
    ok(pivot("get-url", f"{web}/labels.csv", "labels.csv"))
    assert (here / "labels.csv").read_text() == (source / "labels.csv").read_text()
    assert not list(here.rglob("*.pvt")) and not (here / ".pivot").exists()
    assert_clean_error(pivot("get-url", f"{web}/labels.csv", "labels.csv"), "labels.csv exists", "-f")
    (here / "labels.csv").write_text("mine\n")
    assert_clean_error(pivot("get-url", "-f", str(source / "nothing"), "labels.csv"), "there is nothing there")
    assert (here / "labels.csv").read_text() == "mine\n"  # a failed download leaves it as it was
    assert sorted(p.name for p in here.iterdir()) == ["copy", "labels.csv"]  # and no temp left behind
