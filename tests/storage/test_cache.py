from __future__ import annotations

import os
import pathlib
import stat

import pytest

from pivot import errors
from pivot.storage import hashing
from pivot.storage.cache import Cache, LinkType, parse_cache_type
from pivot.storage.state import Hasher, StateDB

TREE = {
    "a.txt": b"alpha\n",
    "same_as_a.txt": b"alpha\n",
    "nested/deeper/b.bin": bytes(range(256)) * 40,
    "nested/c.csv": b"x,y\n1,2\n",
    "empty.txt": b"",
}


@pytest.fixture
def hasher(tmp_path: pathlib.Path):
    state = StateDB(tmp_path / ".pivot" / "state.db")
    yield Hasher(state)
    state.close()


def _cache(tmp_path: pathlib.Path, *kinds: LinkType) -> Cache:
    return Cache(tmp_path / ".pivot" / "cache", kinds or (LinkType.REFLINK, LinkType.COPY))


def _tree(root: pathlib.Path, files: dict[str, bytes] = TREE) -> pathlib.Path:
    root.mkdir(parents=True)
    for relpath, data in files.items():
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_bytes(data)
    return root


def _read_tree(root: pathlib.Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def _add(cache: Cache, hasher: Hasher, path: pathlib.Path) -> hashing.Hashed:
    hashed = hasher.hash_path(path)
    cache.add(path, hashed)
    return hashed


def _leftovers(directory: pathlib.Path) -> list[str]:
    return [name for name in os.listdir(directory) if "pivot-" in name]


def _corrupt(cache: Cache, oid: str) -> None:
    obj = cache.object_path(oid)
    data = obj.read_bytes()
    obj.chmod(0o644)
    obj.write_bytes(bytes([data[0] ^ 0xFF]) + data[1:])


# ---------------------------------------------------------------------- cache.type


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (LinkType.REFLINK, LinkType.COPY)),
        ("copy", (LinkType.COPY,)),
        ("hardlink", (LinkType.HARDLINK,)),
        ("reflink,copy", (LinkType.REFLINK, LinkType.COPY)),
        ("symlink, copy", (LinkType.SYMLINK, LinkType.COPY)),
        (
            "reflink,hardlink,symlink,copy",
            (LinkType.REFLINK, LinkType.HARDLINK, LinkType.SYMLINK, LinkType.COPY),
        ),
        ("Copy,copy", (LinkType.COPY,)),
        (["hardlink", "copy"], (LinkType.HARDLINK, LinkType.COPY)),
    ],
)
def test_parse_cache_type_accepts_dvc_syntax(value, expected) -> None:
    assert parse_cache_type(value) == expected


@pytest.mark.parametrize("value", ["", "softlink", "reflink,,copy", "copy,junk"])
def test_parse_cache_type_rejects_unknown_names(value: str) -> None:
    with pytest.raises(errors.ConfigError) as caught:
        parse_cache_type(value)

    message = str(caught.value)
    assert repr(value) in message
    assert "reflink, copy, hardlink, symlink" in message


# ---------------------------------------------------------------------- add / checkout


def test_file_add_then_checkout_roundtrip(tmp_path: pathlib.Path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    src = tmp_path / "model.bin"
    src.write_bytes(b"weights" * 1000)

    hashed = _add(cache, hasher, src)
    dest = tmp_path / "restored" / "model.bin"
    cache.checkout(hashed.info.oid, dest, hasher)

    obj = cache.object_path(hashed.info.oid)
    assert obj == tmp_path / ".pivot/cache/files" / hashed.info.oid[:2] / hashed.info.oid[2:]
    assert stat.S_IMODE(obj.stat().st_mode) == 0o444
    assert dest.read_bytes() == src.read_bytes()
    assert dest.stat().st_mode & stat.S_IWUSR  # the user may edit a restored copy
    assert not dest.is_symlink() and dest.stat().st_ino != obj.stat().st_ino
    assert os.listdir(cache.tmp_dir) == [] and _leftovers(dest.parent) == []


def test_nested_directory_add_then_checkout_roundtrip(tmp_path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    src = _tree(tmp_path / "data")

    hashed = _add(cache, hasher, src)
    cache.checkout(hashed.info.oid, tmp_path / "copy", hasher)

    assert _read_tree(tmp_path / "copy") == TREE
    assert hashed.info.nfiles == len(TREE)
    assert cache.read_manifest(hashed.info.oid) == hashed.entries
    assert hasher.hash_path(tmp_path / "copy").info == hashed.info


def test_empty_directory_roundtrip(tmp_path: pathlib.Path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    (tmp_path / "empty").mkdir()

    hashed = _add(cache, hasher, tmp_path / "empty")
    cache.checkout(hashed.info.oid, tmp_path / "restored", hasher)

    assert (tmp_path / "restored").is_dir() and os.listdir(tmp_path / "restored") == []
    assert cache.is_complete(hashed.info.oid)


def test_add_is_idempotent(tmp_path: pathlib.Path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    src = _tree(tmp_path / "data")
    hashed = _add(cache, hasher, src)
    objects = sorted(p for p in cache.files_dir.rglob("*") if p.is_file())
    before = {p: p.stat().st_ino for p in objects}

    cache.add(src, hashed)
    cache.add(src, hasher.hash_path(src))

    after = {p: p.stat().st_ino for p in cache.files_dir.rglob("*") if p.is_file()}
    assert after == before  # nothing rewritten
    assert len(objects) == len(set(TREE.values())) + 1  # deduplicated members + the manifest


def test_checkout_replaces_whatever_is_at_dest(tmp_path: pathlib.Path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    file_oid = _add(cache, hasher, _tree(tmp_path / "f", {"x": b"file"}) / "x").info.oid
    dir_oid = _add(cache, hasher, _tree(tmp_path / "data")).info.oid
    dest = _tree(tmp_path / "dest", {"stale.txt": b"old", "sub/more.txt": b"old"})

    cache.checkout(dir_oid, dest, hasher)  # a directory over a different directory
    assert _read_tree(dest) == TREE
    cache.checkout(file_oid, dest, hasher)  # a file over a directory
    assert dest.read_bytes() == b"file"
    cache.checkout(dir_oid, dest, hasher)  # a directory over a file
    assert _read_tree(dest) == TREE
    assert _leftovers(tmp_path) == []


def test_checkout_leaves_matching_dest_alone(tmp_path: pathlib.Path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    src = _tree(tmp_path / "data")
    oid = _add(cache, hasher, src).info.oid
    inode = (src / "a.txt").stat().st_ino

    cache.checkout(oid, src, hasher)

    assert (src / "a.txt").stat().st_ino == inode


def test_corrupt_object_is_reported_and_dest_untouched(tmp_path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    src = tmp_path / "model.bin"
    src.write_bytes(b"good content")
    oid = _add(cache, hasher, src).info.oid
    _corrupt(cache, oid)
    dest = tmp_path / "dest.bin"
    dest.write_bytes(b"what the user had")

    with pytest.raises(errors.CacheError) as caught:
        cache.checkout(oid, dest, hasher)

    assert oid in str(caught.value) and str(dest) in str(caught.value)
    assert caught.value.hint is not None and "pivot pull" in caught.value.hint
    assert dest.read_bytes() == b"what the user had"
    assert not cache.exists(oid)  # dropped, so a pull can fetch a good copy
    assert _leftovers(tmp_path) == []
    with pytest.raises(errors.CacheError, match="not in the cache"):
        cache.checkout(oid, tmp_path / "new.bin", hasher)
    assert not (tmp_path / "new.bin").exists()


def test_corrupt_directory_member_is_named(tmp_path: pathlib.Path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    hashed = _add(cache, hasher, _tree(tmp_path / "data"))
    member = next(e for e in hashed.entries or () if e.relpath == "nested/c.csv")
    _corrupt(cache, member.oid)

    with pytest.raises(errors.CacheError) as caught:
        cache.checkout(hashed.info.oid, tmp_path / "dest", hasher)

    assert "nested/c.csv" in str(caught.value) and member.oid in str(caught.value)
    assert not (tmp_path / "dest").exists()
    assert _leftovers(tmp_path) == []
    assert not cache.is_complete(hashed.info.oid)


def test_missing_objects_raise_cache_error(tmp_path: pathlib.Path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    hashed = _add(cache, hasher, _tree(tmp_path / "data"))
    member = hashed.entries[0] if hashed.entries else None
    assert member is not None
    cache.object_path(member.oid).unlink()
    never_added = hashing.hash_bytes(b"never added")

    with pytest.raises(errors.CacheError) as caught:
        cache.checkout(never_added, tmp_path / "x.bin", hasher)
    assert never_added in str(caught.value) and "x.bin" in str(caught.value)
    with pytest.raises(errors.CacheError) as caught:
        cache.checkout(hashed.info.oid, tmp_path / "dest", hasher)
    assert member.oid in str(caught.value) and member.relpath in str(caught.value)
    with pytest.raises(errors.CacheError, match="not in the cache"):
        cache.checkout(hashing.hash_bytes(b"[]x") + ".dir", tmp_path / "d2", hasher)

    assert not (tmp_path / "x.bin").exists() and not (tmp_path / "dest").exists()
    assert _leftovers(tmp_path) == []


def test_manifest_is_stored_last_and_means_complete(tmp_path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    hashed = _add(cache, hasher, _tree(tmp_path / "data"))
    assert cache.is_complete(hashed.info.oid)
    member = hashed.entries[-1] if hashed.entries else None
    assert member is not None
    manifest = cache.object_path(hashed.info.oid)
    assert all(
        cache.object_path(e.oid).stat().st_mtime_ns <= manifest.stat().st_mtime_ns
        for e in hashed.entries or ()
    )

    cache.object_path(member.oid).unlink()

    assert cache.exists(hashed.info.oid) and not cache.is_complete(hashed.info.oid)
    cache.add(tmp_path / "data", hashed)  # re-adding fills the gap
    assert cache.is_complete(hashed.info.oid)


def test_corrupt_manifest_is_a_cache_error(tmp_path: pathlib.Path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    hashed = _add(cache, hasher, _tree(tmp_path / "data"))
    _corrupt(cache, hashed.info.oid)

    with pytest.raises(errors.CacheError, match="corrupted"):
        cache.read_manifest(hashed.info.oid)
    assert not cache.is_complete(hashed.info.oid)
    with pytest.raises(errors.CacheError):
        cache.checkout(hashed.info.oid, tmp_path / "dest", hasher)
    assert not (tmp_path / "dest").exists()


def test_file_changed_since_hashing_is_not_stored(tmp_path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    src = tmp_path / "out.txt"
    src.write_bytes(b"short")
    hashed = hasher.hash_path(src)
    src.write_bytes(b"much longer now")

    with pytest.raises(errors.CacheError, match="changed"):
        cache.add(src, hashed)

    assert not cache.exists(hashed.info.oid)
    assert os.listdir(cache.tmp_dir) == []


def test_object_ids_cannot_escape_the_cache(tmp_path: pathlib.Path) -> None:
    cache = _cache(tmp_path)

    for bad in ["../../etc/passwd", "0" * 31, "0" * 32 + ".dir/../x", "G" * 32]:
        with pytest.raises(errors.CacheError):
            cache.object_path(bad)


def test_verify_finds_corruption(tmp_path: pathlib.Path, hasher: Hasher) -> None:
    cache = _cache(tmp_path)
    hashed = _add(cache, hasher, _tree(tmp_path / "data"))
    assert cache.verify(hashed.info.oid)

    _corrupt(cache, (hashed.entries or ())[0].oid)

    assert not cache.verify(hashed.info.oid)


# ---------------------------------------------------------------------- link modes


def test_hardlink_mode_links_workspace_files_to_objects(tmp_path, hasher: Hasher) -> None:
    cache = _cache(tmp_path, LinkType.HARDLINK, LinkType.COPY)
    src = _tree(tmp_path / "data")

    hashed = _add(cache, hasher, src)

    for entry in hashed.entries or ():
        workspace = (src / entry.relpath).stat()
        assert workspace.st_ino == cache.object_path(entry.oid).stat().st_ino
        assert not workspace.st_mode & 0o222  # read-only, like DVC: edits must not hit the cache
    assert _read_tree(src) == TREE
    assert hasher.hash_path(src).info == hashed.info

    cache.checkout(hashed.info.oid, tmp_path / "restored", hasher)
    restored = (tmp_path / "restored" / "a.txt").stat()
    assert restored.st_ino == cache.object_path(hashed.entries[0].oid).stat().st_ino  # type: ignore[index]


def test_symlink_mode_links_workspace_files_to_objects(tmp_path, hasher: Hasher) -> None:
    cache = _cache(tmp_path, LinkType.SYMLINK, LinkType.COPY)
    src = tmp_path / "model.bin"
    src.write_bytes(b"weights")

    hashed = _add(cache, hasher, src)

    obj = cache.object_path(hashed.info.oid)
    assert src.is_symlink() and src.resolve() == obj.resolve()
    assert src.read_bytes() == b"weights"
    assert stat.S_IMODE(obj.stat().st_mode) == 0o444
    assert hasher.hash_path(src).info == hashed.info

    dest = tmp_path / "restored.bin"
    cache.checkout(hashed.info.oid, dest, hasher)
    assert dest.is_symlink() and dest.resolve() == obj.resolve()


def test_switching_to_hardlink_mode_relinks_existing_objects(tmp_path, hasher: Hasher) -> None:
    src = _tree(tmp_path / "data")
    hashed = _add(_cache(tmp_path, LinkType.COPY), hasher, src)

    _cache(tmp_path, LinkType.HARDLINK).add(src, hashed)

    entry = (hashed.entries or ())[0]
    obj = _cache(tmp_path).object_path(entry.oid)
    assert (src / entry.relpath).stat().st_ino == obj.stat().st_ino
    assert _leftovers(src) == []


def _reflinks_work(directory: pathlib.Path) -> bool:
    import fcntl

    (directory / "probe-src").write_bytes(b"probe")
    with open(directory / "probe-src", "rb") as src, open(directory / "probe-dst", "wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), 0x40049409, src.fileno())  # FICLONE
        except OSError:
            return False
    return True


def test_reflink_only_cache_type_clones_or_says_what_to_change(tmp_path, hasher: Hasher) -> None:
    cache = _cache(tmp_path, LinkType.REFLINK)
    src = tmp_path / "model.bin"
    src.write_bytes(b"weights")
    hashed = hasher.hash_path(src)

    if _reflinks_work(tmp_path):  # btrfs, XFS, ...: a clone, independent of the workspace
        cache.add(src, hashed)
        assert cache.verify(hashed.info.oid)
        assert cache.object_path(hashed.info.oid).stat().st_ino != src.stat().st_ino
    else:  # ext4, tmpfs, ...: no silent fallback to a mode the user did not ask for
        with pytest.raises(errors.CacheError) as caught:
            cache.add(src, hashed)
        assert "reflink" in str(caught.value) and "copy" in (caught.value.hint or "")
        assert not cache.exists(hashed.info.oid)
        assert os.listdir(cache.tmp_dir) == []


def test_prepared_cache_stores_as_an_unprepared_one(tmp_path, hasher: Hasher) -> None:
    """`prepare` (while stages run) makes the cache's directories and learns whether its
    filesystem clones: it leaves no probe behind, and a commit after it stores, links or refuses
    exactly as one without it."""
    src = tmp_path / "model.bin"
    src.write_bytes(b"weights")
    hashed = hasher.hash_path(src)
    for kinds in ((LinkType.REFLINK, LinkType.COPY), (LinkType.REFLINK,)):
        cache = _cache(tmp_path / "-".join(k.value for k in kinds), *kinds)
        cache.prepare()
        assert cache.files_dir.is_dir() and os.listdir(cache.tmp_dir) == []
        if kinds == (LinkType.REFLINK,) and not _reflinks_work(tmp_path):
            with pytest.raises(errors.CacheError) as caught:
                cache.add(src, hashed)
            assert "reflink" in str(caught.value) and "copy" in (caught.value.hint or "")
            continue
        cache.add(src, hashed)
        assert cache.verify(hashed.info.oid) and os.listdir(cache.tmp_dir) == []
