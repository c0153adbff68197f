"""The lock memo (.pivot/tmp/locks.memo) saves parsing lock files between commands, and never
serves a lock that changed: an edit, a git checkout or a damaged memo all mean the file is read."""

from __future__ import annotations

import os
import pickle
import time

from conftest import TRAIN_STAGES

PIPELINE = "stages:\n  train:\n    python: stages.train\n"
RUN = ("run", "--executor", "inprocess")


def _age_locks(root):
    """Make the lock files look written a while ago, as they are by the next command a user types."""
    past = time.time_ns() - 5_000_000_000
    for lock in (root / ".pivot" / "stages").glob("*.lock"):
        os.utime(lock, ns=(past, past))


def _memoized_run(project, pivot):
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    assert pivot(*RUN).exit_code == 0
    _age_locks(root)
    assert "up to date" in pivot("status").output  # parses the lock and memoizes it
    memo = root / ".pivot" / "tmp" / "locks.memo"
    _, entries = pickle.loads(memo.read_bytes())
    assert any(path.endswith("train.lock") for path in entries)
    return root, memo


def test_a_lock_edited_in_place_is_read_again(project, pivot):
    root, _ = _memoized_run(project, pivot)
    lock = root / ".pivot" / "stages" / "train.lock"
    text = lock.read_text()
    assert "lr: 0.1" in text
    with open(lock, "r+") as handle:  # same inode, same size: only the mtime tells
        handle.write(text.replace("lr: 0.1", "lr: 0.2"))

    shown = pivot("status").output
    assert shown.startswith("train") and "Parameters changed" in shown


def test_a_lock_replaced_by_a_checkout_is_read_again(project, pivot):
    root, _ = _memoized_run(project, pivot)
    lock = root / ".pivot" / "stages" / "train.lock"
    replacement = lock.with_name("train.lock.new")
    replacement.write_text(lock.read_text().replace("lr: 0.1", "lr: 0.3"))
    stamp = lock.stat()
    os.utime(replacement, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # even the same mtime and size
    os.replace(replacement, lock)

    assert "Parameters changed" in pivot("status").output


def test_a_deleted_lock_means_never_run(project, pivot):
    root, _ = _memoized_run(project, pivot)
    (root / ".pivot" / "stages" / "train.lock").unlink()
    assert "Never run" in pivot("status").output


def test_a_damaged_memo_is_ignored_and_rewritten(project, pivot):
    _, memo = _memoized_run(project, pivot)
    memo.write_bytes(b"\x80\x05not a pickle")
    assert "up to date" in pivot("status").output
    _, entries = pickle.loads(memo.read_bytes())
    assert entries


def _written_lock(project, pivot):
    """A lock as a run wrote it, and a fresh reader for the memo beside it."""
    from pivot.storage import lock as lock_mod
    from pivot.storage.lockmemo import LockReader

    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    assert pivot(*RUN).exit_code == 0
    path = root / ".pivot" / "stages" / "train.lock"
    memo = root / ".pivot" / "tmp" / "locks.memo"
    memo.unlink(missing_ok=True)
    return path, lock_mod.read(path), lambda: LockReader(memo)


def test_a_lock_the_command_wrote_is_kept_once_settled(project, pivot):
    from pivot.storage import lock as lock_mod

    path, lock, reader = _written_lock(project, pivot)
    first = reader()
    lock_mod.write(path, lock)
    first.wrote(path, lock)
    time.sleep(0.15)  # past the racy window: the stat taken after writing can vouch for it now
    first.save()
    memo = path.parent.parent / "tmp" / "locks.memo"
    _, entries = pickle.loads(memo.read_bytes())
    assert entries[os.fspath(path)][1] == lock
    assert reader().read(path) == lock


def test_a_lock_rewritten_after_the_command_wrote_it_is_read_again(project, pivot):
    from pivot.storage import lock as lock_mod

    path, lock, reader = _written_lock(project, pivot)
    first = reader()
    lock_mod.write(path, lock)
    first.wrote(path, lock)
    path.write_text(path.read_text().replace("lr: 0.1", "lr: 0.7"))  # someone else's write
    time.sleep(0.15)
    first.save()
    assert reader().read(path).params == {"lr": 0.7}
