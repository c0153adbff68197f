"""`pivot gc -r` in one clone while another pushes: what the other clone just uploaded, or relies on
in a push still running, survives, and a third clone can pull it; on a directory remote and S3."""

from __future__ import annotations

import json
import os
import pathlib
import threading
import time

import pytest
import yaml

from pivot.remote import fs, inflight
from pivot.storage.cache import Cache

pytest_plugins = ("servers",)

BACKENDS = pytest.mark.parametrize("backend", ["dir", pytest.param("moto", marks=pytest.mark.slow)], indirect=True)


def _clone(base: pathlib.Path, name: str, backend, files: dict[str, str], monkeypatch) -> pathlib.Path:
    """A clone of the project at `base/name` with `files`, whose remote 'origin' is `backend`."""
    root = base / name
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    entry = {**backend.config, "url": backend.spec().url}  # absolute: every clone shares it
    (root / ".pivot").mkdir(exist_ok=True)
    (root / ".pivot" / "config.local.yaml").write_text(yaml.safe_dump({"remotes": {"origin": entry}, "default_remote": "origin"}))
    monkeypatch.chdir(root)
    return root


def _a_data(version: str) -> dict[str, str]:
    # 20 small files: a directory that goes up as a pack, with its pointer and manifest.
    return {"pivot.yaml": "stages: {}\n", **{f"raw/{i:02d}.txt": f"{version} {i}\n" for i in range(20)}, "model.bin": f"{version} model\n"}


def _remote_names(backend) -> set[str]:
    remote = fs.Remote(backend.spec())
    return set(remote.list_oids()) | set(remote.list_keys("packs/"))


def _pushed_by_a(tmp_path, backend, pivot, monkeypatch) -> tuple[pathlib.Path, set[str]]:
    a = _clone(tmp_path, "a", backend, _a_data("a"), monkeypatch)
    assert pivot("track", "raw", "model.bin").exit_code == 0
    pushed = pivot("push")
    assert pushed.exit_code == 0, pushed.output
    return a, _remote_names(backend)


def _gc_in_b(tmp_path, backend, pivot, monkeypatch, *args: str):
    _clone(tmp_path, "b", backend, {"pivot.yaml": "stages: {}\n", "other.txt": "b's own data\n"}, monkeypatch)
    assert pivot("track", "other.txt").exit_code == 0
    result = pivot("gc", "-r", "origin", "--yes", *args)
    assert result.exit_code == 0, result.output
    return result


def _pull_in_c(tmp_path, a: pathlib.Path, backend, pivot, monkeypatch) -> None:
    """A third clone of A's commit: its pivot.yaml and .pvt files, no cache, no data."""
    committed = {p.name: p.read_text() for p in a.iterdir() if p.suffix in (".yaml", ".pvt")}
    c = _clone(tmp_path, "c", backend, committed, monkeypatch)
    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    assert (c / "model.bin").read_text() == "a model\n"
    assert sorted(p.read_text() for p in (c / "raw").iterdir()) == sorted(f"a {i}\n" for i in range(20))


@BACKENDS
def test_gc_in_another_clone_keeps_what_was_just_pushed(backend, pivot, tmp_path, monkeypatch):
    a, from_a = _pushed_by_a(tmp_path, backend, pivot, monkeypatch)
    assert len(from_a) >= 4  # a file, a manifest, a pack and its pointer
    assert fs.Remote(backend.spec()).list_keys(inflight.PREFIX) == []  # the push removed its marker

    kept = _gc_in_b(tmp_path, backend, pivot, monkeypatch)

    objects = len(fs.Remote(backend.spec()).list_oids())
    assert f"kept {objects} objects uploaded in the last hour" in kept.output
    assert from_a <= _remote_names(backend)
    _pull_in_c(tmp_path, a, backend, pivot, monkeypatch)
    # Without the grace period, what no clone holds on to goes: the plain gc B ran before.
    gone = _gc_in_b(tmp_path, backend, pivot, monkeypatch, "--grace", "0")
    assert "Deleted 0 run-cache entries" not in gone.output
    assert not from_a & _remote_names(backend)


@BACKENDS
def test_gc_keeps_what_a_push_in_progress_relies_on_even_past_the_grace_period(backend, pivot, tmp_path, monkeypatch):
    a, from_a = _pushed_by_a(tmp_path, backend, pivot, monkeypatch)
    cache = Cache(a / ".pivot" / "cache")
    oids = [p.parent.name + p.name for p in (a / ".pivot" / "cache" / "files").glob("*/*")]
    remote = fs.Remote(backend.spec())

    # A pushes again: it found its objects on the remote and relies on them without uploading.
    with inflight.announced(remote, cache.tmp_dir, oids, []):
        kept = _gc_in_b(tmp_path, backend, pivot, monkeypatch, "--grace", "0")

    on_remote = len(remote.list_oids())  # the model and the manifest; the members are in the pack
    assert f"kept {on_remote} objects that a push in progress from another clone relies on" in kept.output
    assert from_a <= _remote_names(backend)
    _pull_in_c(tmp_path, a, backend, pivot, monkeypatch)


@pytest.mark.parametrize("backend", ["dir"], indirect=True)
def test_the_marker_of_a_push_that_died_long_ago_is_ignored_and_removed(backend, pivot, tmp_path, monkeypatch):
    a, from_a = _pushed_by_a(tmp_path, backend, pivot, monkeypatch)
    remote = fs.Remote(backend.spec())
    oids = [p.parent.name + p.name for p in (a / ".pivot" / "cache" / "files").glob("*/*")]
    marker = tmp_path / "marker.json"
    marker.write_text(json.dumps({"started": 0, "oids": oids, "runs": []}))
    key = f"{inflight.PREFIX}{'0' * 32}.json"
    remote.put_key(marker, key)
    old = time.time() - inflight.MARKER_TTL - 3600
    os.utime(pathlib.Path(backend.spec().url) / key, (old, old))

    gone = _gc_in_b(tmp_path, backend, pivot, monkeypatch, "--grace", "0")

    assert "relies on" not in gone.output
    assert not from_a & _remote_names(backend)
    assert remote.list_keys(inflight.PREFIX) == []


def test_a_bad_grace_period_is_named(project, pivot, tmp_path):
    project({"pivot.yaml": "stages: {}\n", ".pivot/config.yaml": f"remotes:\n  origin:\n    url: {tmp_path / 'r'}\ngc:\n  grace_period: soon\n"})
    bad_config = pivot("gc", "-r", "origin", "--yes")
    bad_option = pivot("gc", "-r", "origin", "--yes", "--grace", "-5m")
    for result, where in ((bad_config, ".pivot/config.yaml: gc.grace_period"), (bad_option, "--grace")):
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert where in result.output and "1h, 30m" in result.output


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
@BACKENDS
def test_a_push_that_starts_while_gc_deletes_waits_and_uploads_what_gc_took(backend, pivot, tmp_path, monkeypatch):
    """The push's marker went up after gc's last look, so gc deletes what the push would have
    found 'already there': the push must wait for gc to finish and compare after it."""
    a, from_a = _pushed_by_a(tmp_path, backend, pivot, monkeypatch)
    remote = fs.Remote(backend.spec())
    oids = remote.list_oids()
    results = []

    with inflight.collecting(remote, tmp_path / "gc-tmp"):
        pushing = threading.Thread(target=lambda: results.append(pivot("push")))
        pushing.start()
        deadline = time.monotonic() + 30
        while not remote.list_keys(inflight.PREFIX) and time.monotonic() < deadline:
            time.sleep(0.05)  # until the push's marker is up: it now waits for this gc
        assert remote.list_keys(inflight.PREFIX)
        assert not remote.delete(oids)  # gc deletes, not knowing about the push
        time.sleep(0.3)
        assert pushing.is_alive()
    pushing.join(60)

    (pushed,) = results
    assert pushed.exit_code == 0, pushed.output
    assert "waiting for a pivot gc -r on 'origin'" in pushed.output
    assert from_a <= _remote_names(backend)  # uploaded again
    _pull_in_c(tmp_path, a, backend, pivot, monkeypatch)
