from __future__ import annotations

import os
import pathlib

import pytest
import xxhash

from pivot import errors
from pivot.storage import hashing
from pivot.storage.hashing import FileEntry, HashInfo
from pivot.storage.state import Hasher


def _tree(root: pathlib.Path, files: dict[str, bytes]) -> pathlib.Path:
    root.mkdir(parents=True, exist_ok=True)
    for relpath, data in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _dir_oid(path: pathlib.Path) -> str:
    return Hasher(None).hash_path(path).info.oid


def test_same_content_gives_same_oid_in_any_file(tmp_path: pathlib.Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"hello\n")
    (tmp_path / "b.csv").write_bytes(b"hello\n")
    (tmp_path / "c.txt").write_bytes(b"hello!\n")

    oid = hashing.hash_file(tmp_path / "a.txt")

    assert oid == hashing.hash_file(tmp_path / "b.csv") == hashing.hash_bytes(b"hello\n")
    assert oid != hashing.hash_file(tmp_path / "c.txt")
    assert len(oid) == 32 and int(oid, 16) >= 0
    assert oid == xxhash.xxh3_128_hexdigest(b"hello\n")


def test_large_file_is_hashed_in_chunks_to_the_same_oid(tmp_path: pathlib.Path) -> None:
    data = os.urandom(3 * hashing.CHUNK_SIZE + 12345)
    (tmp_path / "big.bin").write_bytes(data)

    assert hashing.hash_file(tmp_path / "big.bin") == hashing.hash_bytes(data)


def test_directory_oid_changes_with_a_member_content_or_name(tmp_path: pathlib.Path) -> None:
    root = _tree(tmp_path / "d", {"a.txt": b"1", "sub/b.txt": b"2"})
    before = _dir_oid(root)

    (root / "sub/b.txt").write_bytes(b"3")
    changed_content = _dir_oid(root)
    (root / "sub/b.txt").rename(root / "sub/c.txt")
    changed_name = _dir_oid(root)

    assert len({before, changed_content, changed_name}) == 3
    assert all(oid.endswith(".dir") for oid in (before, changed_content, changed_name))


def test_directory_oid_ignores_mtimes_and_creation_order(tmp_path: pathlib.Path) -> None:
    one = _tree(tmp_path / "one", {"a": b"1", "b/c": b"2", "b/d": b"3"})
    two = _tree(tmp_path / "two", {"b/d": b"3", "a": b"1", "b/c": b"2"})
    os.utime(one / "b/c", ns=(1_000_000_123, 1_000_000_123))

    assert _dir_oid(one) == _dir_oid(two)


def test_directory_hash_lists_members_sorted_with_sizes(tmp_path: pathlib.Path) -> None:
    root = _tree(tmp_path / "d", {"z.txt": b"zz", "a/b.txt": b"b", "a.txt": b"aaa"})

    hashed = Hasher(None).hash_path(root)

    assert hashed.entries is not None
    assert [e.relpath for e in hashed.entries] == ["a.txt", "a/b.txt", "z.txt"]
    assert hashed.entries[0] == FileEntry("a.txt", hashing.hash_bytes(b"aaa"), 3)
    assert hashed.info == hashing.dir_info(hashed.entries)
    assert (hashed.info.size, hashed.info.nfiles, hashed.info.is_dir) == (6, 3, True)


def test_empty_directory_is_a_directory_with_no_members(tmp_path: pathlib.Path) -> None:
    (tmp_path / "empty").mkdir()

    hashed = Hasher(None).hash_path(tmp_path / "empty")

    assert hashed.entries == ()
    assert hashed.info == HashInfo(hashing.hash_bytes(b"[]") + ".dir", 0, 0)


def test_file_hash_info_is_not_a_directory(tmp_path: pathlib.Path) -> None:
    (tmp_path / "f").write_bytes(b"abc")

    hashed = Hasher(None).hash_path(tmp_path / "f")

    assert hashed.entries is None
    assert hashed.info == HashInfo(hashing.hash_bytes(b"abc"), 3)
    assert not hashed.info.is_dir and hashed.info.nfiles is None


def test_walk_follows_file_symlinks_but_not_directory_symlinks(tmp_path: pathlib.Path) -> None:
    outside = _tree(tmp_path / "outside", {"x.txt": b"x", "deep/y.txt": b"y"})
    root = _tree(tmp_path / "d", {"real.txt": b"r"})
    (root / "link.txt").symlink_to(outside / "x.txt")
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    (root / "loop").symlink_to(root, target_is_directory=True)

    hashed = Hasher(None).hash_path(root)

    assert hashed.entries is not None
    assert [(e.relpath, e.oid) for e in hashed.entries] == [
        ("link.txt", hashing.hash_bytes(b"x")),
        ("real.txt", hashing.hash_bytes(b"r")),
    ]


def test_manifest_is_canonical_whatever_the_entry_order() -> None:
    entries = [
        FileEntry("b/c", "1" * 32, 5),
        FileEntry("a", "2" * 32, 7),
        FileEntry("é", "3" * 32, 0),
    ]

    data = hashing.manifest_bytes(entries)

    assert data == hashing.manifest_bytes(list(reversed(entries)))
    assert data.isascii() and b" " not in data
    assert hashing.parse_manifest(data) == tuple(sorted(entries, key=lambda e: e.relpath))
    assert hashing.dir_info(entries).oid == hashing.hash_bytes(data) + ".dir"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b'{"a": 1}',
        b'[["a", "' + b"0" * 32 + b'"]]',
        b'[["a", "xyz", 1]]',
        b'[["a", "' + b"0" * 32 + b'", -1]]',
        b'[["a", "' + b"0" * 32 + b'", true]]',
        b'[["../escape", "' + b"0" * 32 + b'", 1]]',
        b'[["/etc/passwd", "' + b"0" * 32 + b'", 1]]',
        b'[["a//b", "' + b"0" * 32 + b'", 1]]',
        b'[["a", "' + b"0" * 32 + b'", 1], ["a", "' + b"1" * 32 + b'", 2]]',
    ],
)
def test_parse_manifest_rejects_garbage_with_cache_error(data: bytes) -> None:
    with pytest.raises(errors.CacheError):
        hashing.parse_manifest(data)
