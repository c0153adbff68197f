"""references: which objects lock files and .pvt files name, with and without stage targets."""

from __future__ import annotations

import pytest

from pivot import errors
from pivot.base import project
from pivot.declare.stage import OutKind
from pivot.storage import hashing
from pivot.storage import lock as lock_mod
from pivot.storage.cache import Cache
from pivot.storage.hashing import FileEntry, HashInfo
from pivot.worktree import references, tracking

A, B, C, D = ("a" * 32, "b" * 32, "c" * 32, "d" * 32)


def _lock(outs=None, metrics=None, deps=None):
    return lock_mod.StageLock(
        code_fingerprint="f",
        code_manifest={},
        params={},
        deps=deps or {},
        outputs={
            **{path: lock_mod.LockedOutput(info, OutKind.OUT, True) for path, info in (outs or {}).items()},
            **{path: lock_mod.LockedOutput(info, OutKind.METRIC, False) for path, info in (metrics or {}).items()},
        },
    )


def _write_pvt(root, path, oid, nfiles=None):
    tracked = tracking.Tracked(path, path + ".pvt", HashInfo(oid, 3, nfiles))
    (root / tracked.pvt).parent.mkdir(parents=True, exist_ok=True)
    (root / tracked.pvt).write_text(tracking.render(tracked))


@pytest.fixture
def proj(tmp_path):
    proj = project.Project(tmp_path)
    project.ensure_dot_dir(proj)
    lock_mod.write(
        proj.lock_file("prepare"),
        _lock(outs={"clean.csv": HashInfo(A, 1)}, metrics={"m.json": HashInfo(B, 1)}, deps={"raw/in.csv": HashInfo(C, 1)}),
    )
    lock_mod.write(proj.lock_file("train"), _lock(outs={"model": HashInfo(D + ".dir", 2, 1)}, deps={"clean.csv": HashInfo(A, 1)}))
    _write_pvt(tmp_path, "raw", "e" * 32 + ".dir", nfiles=2)
    _write_pvt(tmp_path, "other.csv", "f" * 32)
    return proj


def test_everything_the_workspace_references(proj):
    refs = references.referenced(proj)
    assert refs == [
        references.Reference("clean.csv", A, "stage:prepare"),
        references.Reference("model", D + ".dir", "stage:train"),
        references.Reference("other.csv", "f" * 32, "track:other.csv.pvt"),
        references.Reference("raw", "e" * 32 + ".dir", "track:raw.pvt"),
    ]  # metrics are git's, not the cache's: m.json is not listed


def test_stage_targets_take_their_locks_and_the_tracked_paths_they_depend_on(proj):
    assert references.referenced(proj, ["prepare"]) == [
        references.Reference("clean.csv", A, "stage:prepare"),
        references.Reference("raw", "e" * 32 + ".dir", "track:raw.pvt"),  # raw/in.csv lies inside raw
    ]
    assert [r.path for r in references.referenced(proj, ["train"])] == ["model"]
    assert references.referenced(proj, ["never_ran"]) == []


def test_a_damaged_lock_is_an_error_not_an_empty_list(proj):
    proj.lock_file("train").write_text("<<<<<<< HEAD\n")
    with pytest.raises(errors.InputError, match=r"\.pivot/stages/train\.lock cannot be read"):
        references.referenced(proj)
    assert references.referenced(proj, ["prepare"])  # other targets still work


def test_expand_adds_the_members_of_directories_the_cache_holds(tmp_path):
    cache = Cache(tmp_path / "cache")
    data = tmp_path / "data"
    data.mkdir()
    (data / "x").write_text("x")
    (data / "y").write_text("y")
    entries = tuple(FileEntry(name, hashing.hash_file(data / name), 1) for name in ("x", "y"))
    info = hashing.dir_info(entries)
    cache.add(data, hashing.Hashed(info, entries))
    absent = "9" * 32 + ".dir"

    expanded = references.expand(cache, [info.oid, A, absent])
    assert expanded == {info.oid, A, absent, entries[0].oid, entries[1].oid}
    assert references.unreadable_manifests(cache, [info.oid, A, absent]) == {absent: False}

    manifest = cache.object_path(info.oid)
    manifest.chmod(0o644)
    manifest.write_text("[]")
    assert references.unreadable_manifests(cache, [info.oid]) == {info.oid: True}
    # Reading it removed the damaged manifest, so a fetch or a rerun can store it again.
    assert not manifest.exists()
    assert references.expand(cache, [info.oid]) == {info.oid}
    assert references.unreadable_manifests(cache, [info.oid]) == {info.oid: False}


def test_cached_objects_ignores_foreign_files_and_lists_manifests_first(tmp_path):
    cache = Cache(tmp_path / "cache")
    for oid in (A, B + ".dir"):
        path = cache.object_path(oid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("12")
    (cache.files_dir / "aa" / "notes.txt").write_text("not an object")
    (cache.files_dir / "README").write_text("not a shard")
    assert references.cached_objects(cache) == [
        references.CachedObject(B + ".dir", 2),
        references.CachedObject(A, 2),
    ]
    assert references.remove(cache, references.cached_objects(cache)) == []
    assert not (cache.files_dir / "bb").exists()  # emptied shards go too
    assert (cache.files_dir / "aa" / "notes.txt").exists()
