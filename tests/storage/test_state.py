from __future__ import annotations

import os
import pathlib
import time

import pytest

from pivot import errors
from pivot.storage import hashing
from pivot.storage.state import Hasher, StateDB

# A file modified in the same filesystem clock tick as it was hashed is "racy" and never trusted
# by the memo, so tests that rely on a memo hit give their files an mtime safely in the past.
_LONG_AGO_NS = time.time_ns() - 60 * 1_000_000_000 + 123_456_789


def _write_old(path: pathlib.Path, data: bytes) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, ns=(_LONG_AGO_NS, _LONG_AGO_NS))
    return path


def _overwrite_keeping_stat(path: pathlib.Path, data: bytes) -> None:
    """New bytes in the same inode, same size, mtime put back: stat cannot tell the difference."""
    before = path.stat()
    assert len(data) == before.st_size
    path.write_bytes(data)  # truncates and rewrites in place: the inode is kept
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


@pytest.fixture
def hasher(tmp_path: pathlib.Path):
    state = StateDB(tmp_path / ".pivot" / "state.db")
    yield Hasher(state)
    state.close()


def test_unchanged_file_is_never_read_again(tmp_path: pathlib.Path, hasher: Hasher) -> None:
    # The stat-memo contract: same (inode, mtime_ns, size) means same content, without reading.
    # We make that observable by changing the bytes behind the memo's back: the OLD hash comes
    # back, which is only possible if the file was not read.
    path = _write_old(tmp_path / "data.bin", b"a" * 100)
    first = hasher.hash_file(path)

    _overwrite_keeping_stat(path, b"b" * 100)

    assert hasher.hash_file(path) == first
    assert first.oid == hashing.hash_bytes(b"a" * 100)
    assert Hasher(None).hash_file(path).oid == hashing.hash_bytes(b"b" * 100)


def test_same_size_change_with_new_mtime_is_hashed_again(tmp_path, hasher: Hasher) -> None:
    path = _write_old(tmp_path / "data.bin", b"a" * 100)
    hasher.hash_file(path)

    path.write_bytes(b"b" * 100)
    os.utime(path, ns=(_LONG_AGO_NS + 1_000, _LONG_AGO_NS + 1_000))

    assert hasher.hash_file(path).oid == hashing.hash_bytes(b"b" * 100)


def test_file_replaced_by_rename_is_hashed_again(tmp_path, hasher: Hasher) -> None:
    path = _write_old(tmp_path / "data.bin", b"a" * 100)
    hasher.hash_file(path)

    replacement = _write_old(tmp_path / "new.bin", b"b" * 100)  # same size and mtime, new inode
    os.replace(replacement, path)

    assert hasher.hash_file(path).oid == hashing.hash_bytes(b"b" * 100)


def test_file_written_moments_ago_is_not_trusted_by_the_memo(tmp_path, hasher: Hasher) -> None:
    # A second write within the same clock tick would keep mtime: too fresh to memoize.
    path = tmp_path / "fresh.bin"
    path.write_bytes(b"a" * 100)
    hasher.hash_file(path)

    _overwrite_keeping_stat(path, b"b" * 100)

    assert hasher.hash_file(path).oid == hashing.hash_bytes(b"b" * 100)


def test_directory_members_are_memoized_and_changes_found(tmp_path, hasher: Hasher) -> None:
    root = tmp_path / "d"
    for index in range(1500):  # more than one sqlite batch
        _write_old(root / f"sub{index % 7}" / f"{index}.txt", b"%06d" % index)
    first = hasher.hash_path(root)

    _overwrite_keeping_stat(root / "sub0" / "0.txt", b"XXXXXX")  # unseen by design
    (root / "sub1" / "1.txt").write_bytes(b"YYYYYY")  # new mtime: must be seen

    second = hasher.hash_path(root)
    assert first.entries is not None and second.entries is not None
    changed = [a.relpath for a, b in zip(first.entries, second.entries, strict=True) if a != b]
    assert changed == ["sub1/1.txt"]


def test_memo_persists_across_instances(tmp_path: pathlib.Path) -> None:
    path = _write_old(tmp_path / "data.bin", b"a" * 10)
    db = tmp_path / ".pivot" / "state.db"
    first = StateDB(db)
    Hasher(first).hash_file(path)
    first.close()

    _overwrite_keeping_stat(path, b"b" * 10)
    second = StateDB(db)
    try:
        assert Hasher(second).hash_file(path).oid == hashing.hash_bytes(b"a" * 10)
    finally:
        second.close()


def test_get_many_hits_only_when_inode_mtime_and_size_match(tmp_path: pathlib.Path) -> None:
    paths = [_write_old(tmp_path / f"f{i}", b"x" * i) for i in range(1000)]
    state = StateDB(tmp_path / "state.db")
    try:
        assert state.get_many([(p, p.stat()) for p in paths]) == [None] * len(paths)
        state.put_many([(p, p.stat(), f"{i:032x}") for i, p in enumerate(paths)])

        assert state.get_many([(p, p.stat()) for p in paths]) == [f"{i:032x}" for i in range(1000)]
        os.utime(paths[5], ns=(_LONG_AGO_NS + 7, _LONG_AGO_NS + 7))
        assert state.get(paths[5], paths[5].stat()) is None
        assert state.get(paths[6], paths[5].stat()) is None  # another file's stat
    finally:
        state.close()


def test_corrupt_state_db_is_rebuilt(tmp_path: pathlib.Path) -> None:
    db = tmp_path / "state.db"
    db.write_bytes(b"this is not a sqlite database" * 100)
    path = _write_old(tmp_path / "data.bin", b"abc")
    state = StateDB(db)
    try:
        hasher = Hasher(state)
        assert hasher.hash_file(path).oid == hashing.hash_bytes(b"abc")
        assert state.get(path, path.stat()) == hashing.hash_bytes(b"abc")
    finally:
        state.close()


def test_record_as_memoizes_under_the_path_a_rename_will_give(tmp_path, hasher: Hasher) -> None:
    built = _write_old(tmp_path / ".out.tmp", b"a" * 10)
    final = tmp_path / "out.bin"

    hasher.hash_path(built, record_as=final)
    os.replace(built, final)
    _overwrite_keeping_stat(final, b"b" * 10)

    assert hasher.hash_file(final).oid == hashing.hash_bytes(b"a" * 10)


def test_missing_path_raises_file_not_found(tmp_path, hasher: Hasher) -> None:
    with pytest.raises(FileNotFoundError):
        hasher.hash_path(tmp_path / "missing")


def test_hash_file_refuses_a_directory(tmp_path, hasher: Hasher) -> None:
    (tmp_path / "d").mkdir()

    with pytest.raises(IsADirectoryError):
        hasher.hash_file(tmp_path / "d")


def test_special_files_are_refused(tmp_path, hasher: Hasher) -> None:
    os.mkfifo(tmp_path / "fifo")

    with pytest.raises(errors.PathError, match="not a regular file"):
        hasher.hash_path(tmp_path / "fifo")


def test_state_db_may_be_used_from_a_callback_thread(tmp_path: pathlib.Path) -> None:
    import threading

    path = _write_old(tmp_path / "data.bin", b"abc")
    with StateDB(tmp_path / "state.db") as state:
        Hasher(state).hash_file(path)  # connects in this thread
        found: list[str | None] = []
        thread = threading.Thread(target=lambda: found.append(state.get(path, path.stat())))
        thread.start()
        thread.join()

    assert found == [hashing.hash_bytes(b"abc")]


def test_an_absent_memo_is_made_only_when_flushed_and_keeps_what_was_learned(tmp_path: pathlib.Path) -> None:
    # A first run hashes its stages' deps before any stage starts: the memo it learns into is made
    # on disk only once the stages run (flush), yet answers from what it learned meanwhile.
    db_path = tmp_path / ".pivot" / "state.db"
    state = StateDB(db_path)
    hasher = Hasher(state)
    path = _write_old(tmp_path / "data.bin", b"a" * 100)
    first = hasher.hash_file(path)
    assert not db_path.exists()

    _overwrite_keeping_stat(path, b"b" * 100)
    assert hasher.hash_file(path) == first  # answered from what it learned, not read again

    state.flush()
    assert db_path.exists()
    state.close()
    reopened = StateDB(db_path)
    assert Hasher(reopened).hash_file(path) == first  # the next command finds it in the memo
    reopened.close()


def test_what_an_absent_memo_learned_is_written_at_close(tmp_path: pathlib.Path) -> None:
    db_path = tmp_path / ".pivot" / "state.db"
    state = StateDB(db_path)
    path = _write_old(tmp_path / "data.bin", b"a" * 100)
    first = Hasher(state).hash_file(path)
    state.close()

    _overwrite_keeping_stat(path, b"b" * 100)
    reopened = StateDB(db_path)
    assert Hasher(reopened).hash_file(path) == first
    reopened.close()


def test_a_memo_nothing_was_learned_into_is_not_made(tmp_path: pathlib.Path) -> None:
    # `pivot status` of a project that never ran hashes nothing settled: it leaves no database.
    db_path = tmp_path / ".pivot" / "state.db"
    state = StateDB(db_path)
    fresh = tmp_path / "fresh.txt"
    fresh.write_text("just written")  # too fresh to be trusted: not memoized
    Hasher(state).hash_file(fresh)
    state.close()
    assert not db_path.exists()
