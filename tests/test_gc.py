"""pivot gc: what is kept (locks, .pvt files, directory members), what goes, --dry-run, -r."""

from __future__ import annotations

import os
import time

import pytest
import yaml
from conftest import assert_clean_error

from pivot.storage import hashing
from pivot.worktree import references

STAGES = '''
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams


class Params(StageParams):
    factor: int = 2


class Made(TypedDict):
    doubled: Annotated[str, outputs.Out("doubled.txt", loaders.Text())]
    parts: Annotated[pathlib.Path, outputs.Out("parts", loaders.PathOnly())]
    score: Annotated[dict, outputs.Metric("metrics.json")]


def make(params: Params, text: Annotated[str, outputs.Dep("data.csv", loaders.Text())]) -> Made:
    parts = pathlib.Path("parts")
    parts.mkdir(exist_ok=True)
    (parts / "a.txt").write_text("fixed\\n")
    (parts / "b.txt").write_text(text * params.factor + "b")
    return {"doubled": text * params.factor, "parts": parts, "score": {"factor": params.factor}}
'''

PIPELINE = {
    "stages.py": STAGES,
    "pivot.yaml": "stages:\n  make:\n    python: stages.make\n",
    "data.csv": "a\n",
    "raw/one.txt": "1\n",
    "raw/two.txt": "2\n",
}


def _objects(root):
    return sorted(p.parent.name + p.name for p in (root / ".pivot" / "cache" / "files").glob("*/*"))


def _run(pivot):
    result = pivot("run", "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    return result


def _set_factor(root, factor):
    (root / "pivot.yaml").write_text(f"stages:\n  make:\n    python: stages.make\n    params:\n      factor: {factor}\n")


@pytest.fixture(autouse=True)
def team_key(monkeypatch):
    monkeypatch.setenv("PIVOT_RUN_CACHE_KEY", "the-team-key-0123456789")  # run-cache entries are pushed


def test_gc_keeps_everything_referenced(project, pivot):
    root = project(PIPELINE)
    assert pivot("track", "data.csv", "raw").exit_code == 0
    _run(pivot)
    before = _objects(root)
    # data.csv, raw/ (manifest + 2 members), doubled.txt, parts/ (manifest + 2 members), and
    # metrics.json (cached for the run cache)
    assert len(before) == 9

    result = pivot("gc")
    assert result.exit_code == 0, result.output
    assert result.output == "Removed 0 objects (0 B) from the cache, kept 9 objects\n"
    assert _objects(root) == before
    assert "0 ran, 1 skipped" in _run(pivot).output


def test_gc_deletes_the_old_outputs_of_a_rerun_and_the_run_stays_a_noop(project, pivot):
    root = project(PIPELINE)
    _run(pivot)
    first = set(_objects(root))
    _set_factor(root, 3)
    _run(pivot)
    current = set(_objects(root))
    orphans = current - set(references.expand(_cache(root), {r.oid for r in references.referenced(_proj(root))}))
    # the old doubled.txt, the old parts manifest and its old b.txt, both metrics.json (no lock
    # references a metric: they are cached for the run cache only); parts/a.txt is shared
    assert len(orphans) == 5 and len(orphans & first) == 4
    # The run cache holds on to them: the first run's outputs stay restorable.
    kept = pivot("gc")
    assert kept.output.startswith("Removed 0 objects (")

    result = pivot("gc", "--drop-run-cache")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Deleted 2 run-cache entries\nRemoved 5 objects (")
    assert set(_objects(root)) == current - orphans
    assert "0 ran, 1 skipped" in _run(pivot).output
    assert (root / "doubled.txt").read_text() == "a\n" * 3


def test_gc_keeps_what_the_run_cache_needs_to_restore_an_earlier_run(project, pivot):
    root = project(PIPELINE)
    _run(pivot)
    first = (root / "doubled.txt").read_text(), (root / "metrics.json").read_text()
    _set_factor(root, 3)
    _run(pivot)
    assert pivot("gc").output.startswith("Removed 0 objects")
    _set_factor(root, 2)
    assert "make: restored from run cache (Parameters changed)" in _run(pivot).output
    assert ((root / "doubled.txt").read_text(), (root / "metrics.json").read_text()) == first


def test_dry_run_lists_and_deletes_nothing(project, pivot):
    root = project(PIPELINE)
    _run(pivot)
    _set_factor(root, 3)
    _run(pivot)
    before = _objects(root)
    (root / ".pivot" / "cache" / "runs").rename(root / "runs-aside")  # as if never recorded
    result = pivot("gc", "--dry-run")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len([line for line in lines if line.startswith("would remove ")]) == 5
    assert lines[0].startswith("would remove ") and lines[0].split()[2].endswith(".dir")  # manifests first
    assert lines[-1].startswith("Would remove 5 objects (") and lines[-1].endswith("keep 4 objects")
    assert _objects(root) == before
    assert pivot("gc", "--dry-run", "--drop-run-cache").output.splitlines()[-1] == lines[-1]


def test_stale_temp_files_go_and_fresh_ones_stay(project, pivot):
    root = project(PIPELINE)
    _run(pivot)
    tmp = root / ".pivot" / "cache" / "tmp"
    tmp.mkdir(exist_ok=True)
    (tmp / "old.tmp").write_text("x" * 10)
    (tmp / "new.tmp").write_text("y")
    day_and_more = time.time() - 25 * 3600
    os.utime(tmp / "old.tmp", (day_and_more, day_and_more))

    assert "would remove tmp/old.tmp" in pivot("gc", "-n").output
    result = pivot("gc")
    assert result.output == "Removed 0 objects and 1 stale temp file (10 B) from the cache, kept 5 objects\n"
    assert sorted(p.name for p in tmp.iterdir()) == ["new.tmp"]


def test_a_damaged_lock_stops_gc_before_it_deletes_anything(project, pivot):
    root = project(PIPELINE)
    _run(pivot)
    _set_factor(root, 3)
    _run(pivot)
    before = _objects(root)
    lock = root / ".pivot" / "stages" / "make.lock"
    lock.write_text("<<<<<<< HEAD\n" + lock.read_text() + "=======\n>>>>>>> other\n")
    assert_clean_error(pivot("gc"), ".pivot/stages/make.lock cannot be read", "merge-conflict")
    assert _objects(root) == before


def test_a_damaged_manifest_stops_gc(project, pivot):
    root = project(PIPELINE)
    _run(pivot)
    manifest = next((root / ".pivot" / "cache" / "files").glob("*/*.dir"))
    manifest.chmod(0o644)
    manifest.write_text("[]")
    before = _objects(root)
    result = pivot("gc")
    assert result.exit_code == 1 and "is damaged" in result.output and "nothing was deleted" in result.output
    # The damaged manifest was removed on reading; a second gc must still not take the
    # directory's files for unreferenced objects.
    again = pivot("gc")
    assert again.exit_code == 1 and "is not in the cache" in again.output
    assert _objects(root) == [oid for oid in before if not oid.endswith(".dir")]
    assert pivot("run", "-f", "--executor", "inprocess").exit_code == 0
    assert pivot("gc").exit_code == 0


def test_gc_without_a_pivot_directory(project, pivot):
    project({"pivot.yaml": "stages: {}\n"})
    result = pivot("gc")
    assert result.exit_code == 0 and "Nothing to collect" in result.output


def test_stage_targets_are_not_options_of_gc(project, pivot):
    project(PIPELINE)
    assert pivot("gc", "make").exit_code == 2


# ---------------------------------------------------------------------- -r, against a directory remote


def _remote_objects(shared):
    return sorted(p.parent.name + p.name for p in (shared / "files").glob("*/*"))


def test_remote_gc_asks_then_deletes_only_unreferenced_objects(project, pivot, tmp_path):
    root = project(PIPELINE)
    shared = tmp_path / "shared"
    assert pivot("track", "raw").exit_code == 0
    _run(pivot)
    pivot("remote", "add", "-d", "origin", str(shared))
    assert pivot("push").exit_code == 0
    _set_factor(root, 3)  # a second run: the first run's outputs become stray on the remote
    _run(pivot)
    assert pivot("push").exit_code == 0
    current = {ref.oid for ref in references.referenced(_proj(root))}
    kept = references.expand(_cache(root), current)
    stray = set(_remote_objects(shared)) - kept
    assert stray  # the first run's doubled.txt, b.txt and parts manifest

    # The run cache would keep every run's outputs: let it go, as far as the remote is concerned.
    assert "Would delete 0 objects from 'origin'" in pivot("gc", "-r", "origin", "--grace", "0", "-n").output
    dry = pivot("gc", "-r", "origin", "--grace", "0", "-n", "--drop-run-cache")
    assert dry.exit_code == 0, dry.output
    assert f"Would delete 2 run-cache entries and {len(stray)} objects from 'origin', keep {len(kept)} objects" in dry.output
    refused = pivot("gc", "-r", "origin", "--grace", "0", "--drop-run-cache")  # no input: the confirmation is declined
    assert refused.exit_code == 1
    assert set(_remote_objects(shared)) == kept | stray

    done = pivot("gc", "-r", "origin", "--grace", "0", "--yes", "--drop-run-cache")
    assert done.exit_code == 0, done.output
    assert set(_remote_objects(shared)) == kept
    assert not list((shared / "runs").glob("*/*"))
    assert kept <= set(_objects(root))  # the local cache is left alone
    assert len(list((root / ".pivot" / "cache" / "runs").glob("*/*"))) == 2  # and its run cache


def test_remote_gc_keeps_the_entries_held_here_and_deletes_the_others_before_their_objects(project, pivot, tmp_path):
    root = project(PIPELINE)
    shared = tmp_path / "shared"
    _run(pivot)
    pivot("remote", "add", "-d", "origin", str(shared))
    _set_factor(root, 3)
    _run(pivot)
    assert pivot("push").exit_code == 0
    entries = sorted((root / ".pivot" / "cache" / "runs").glob("*/*"))
    assert len(entries) == 2
    first = next(e for e in entries if '"factor":2' in e.read_text())
    first.unlink()  # as if only a teammate had recorded the factor=2 run

    done = pivot("gc", "-r", "origin", "--grace", "0", "--yes")
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Deleted 1 run-cache entry and 4 objects from 'origin'")
    left = [p.parent.name + p.name for p in (shared / "runs").glob("*/*")]
    assert left == [p.parent.name + p.name for p in entries if p != first]
    # what the remaining entry names is all still there
    import json

    kept = json.loads((shared / "runs" / left[0][:2] / left[0][2:]).read_text())["entry"]  # signed: in an envelope
    oids = {item["hash"] for section in ("outs", "metrics") for item in kept[section].values()}
    assert oids <= set(_remote_objects(shared))


def test_remote_gc_reads_the_manifests_the_local_cache_lacks_from_the_remote(project, pivot, tmp_path):
    root = project(PIPELINE)
    shared = tmp_path / "shared"
    _run(pivot)
    pivot("remote", "add", "-d", "origin", str(shared))
    assert pivot("push").exit_code == 0
    before = _remote_objects(shared)
    for manifest in (root / ".pivot" / "cache" / "files").glob("*/*.dir"):
        manifest.unlink()  # a fresh clone, or an old commit's directory (gc -A)
    result = pivot("gc", "-r", "origin", "--grace", "0", "--yes")
    assert result.exit_code == 0, result.output
    # The parts/ directory (its manifest and both files) and doubled.txt stay: read from the
    # remote's manifest. (The run-cache entry, no longer whole here, goes with its metric's copy.)
    lock = yaml.safe_load((root / ".pivot/stages/make.lock").read_text())
    cached = {out["hash"] for out in lock["outs"].values() if out["cache"]}
    parts = lock["outs"]["parts"]["hash"]
    members = {entry.oid for entry in hashing.parse_manifest((shared / "files" / parts[:2] / parts[2:]).read_bytes())}
    after = _remote_objects(shared)
    assert cached | members <= set(after) and len(members) == 2, (before, after)
    assert not list((root / ".pivot" / "cache" / "files").glob("*/*.dir"))  # read, not kept
    before = after
    damaged = next(shared.glob("files/*/*.dir"))
    damaged.chmod(0o644)
    damaged.write_text("[]")
    refused = pivot("gc", "-r", "origin", "--grace", "0", "--yes")
    assert refused.exit_code == 1 and "Traceback" not in refused.output, refused.output
    assert _remote_objects(shared) == before  # nothing deleted on a manifest it cannot trust


def _proj(root):
    from pivot.base import project

    return project.Project(root)


def _cache(root):
    from pivot.storage.cache import Cache

    return Cache(root / ".pivot" / "cache")


def test_remote_gc_keeps_the_packs_referenced_directories_need(project, pivot, tmp_path):
    """30 tracked files go up as a pack; an edit of one makes a second directory that reuses it;
    gc keeps that pack while a kept pointer names it, and deletes it once none does."""
    root = project({"pivot.yaml": "stages: {}\n", **{f"raw/{i}.txt": f"{i}\n" for i in range(30)}})
    shared = tmp_path / "shared"
    pivot("remote", "add", "-d", "origin", str(shared))

    def track_and_push():
        assert pivot("track", "raw").exit_code == 0
        assert pivot("push").exit_code == 0
        return next(ref.oid for ref in references.referenced(_proj(root)))

    def on_remote():
        return sorted(p.name for p in (shared / "packs").iterdir() if p.is_file()), sorted(p.name for p in (shared / "packs" / "dirs").iterdir())

    first = track_and_push()
    (root / "raw" / "0.txt").write_text("edited\n")
    second = track_and_push()
    (pack,), pointers = on_remote()
    assert pointers == sorted([first, second])

    dry = pivot("gc", "-r", "origin", "--grace", "0", "-n")
    assert dry.exit_code == 0, dry.output
    assert f"would delete {first}" in dry.output and f"would delete packs/dirs/{first}" in dry.output
    assert "Would delete 0 packs and 1 pack pointer, keep 1 pack" in dry.output
    assert on_remote() == ([pack], pointers)
    done = pivot("gc", "-r", "origin", "--grace", "0", "--yes")
    assert done.exit_code == 0, done.output
    assert on_remote() == ([pack], [second])

    for i in range(30):
        (root / "raw" / f"{i}.txt").write_text(f"new {i}\n")
    third = track_and_push()
    assert len(on_remote()[0]) == 2
    done = pivot("gc", "-r", "origin", "--grace", "0", "--yes")
    assert done.exit_code == 0, done.output
    packs_left, pointers_left = on_remote()
    assert pack not in packs_left and len(packs_left) == 1 and pointers_left == [third]
    assert "Deleted 1 pack and 1 pack pointer" in done.output

    import shutil

    shutil.rmtree(root / ".pivot" / "cache")
    shutil.rmtree(root / "raw")
    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    assert (root / "raw" / "7.txt").read_text() == "new 7\n"
