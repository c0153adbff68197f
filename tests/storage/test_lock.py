"""Lock files are canonical (sorted, relative POSIX paths) and a damaged one means "never ran"."""

from __future__ import annotations

from pivot.storage import lock
from pivot.storage.hashing import HashInfo


def _lock(**changes):
    values = dict(
        code_fingerprint="f" * 32,
        code_manifest={"stages.train": "a" * 32},
        params={"lr": 0.05, "epochs": 200},
        deps={"data/b.csv": HashInfo("b" * 32, 3), "data/a.csv": HashInfo("c" * 32, 4)},
        outs={"models": HashInfo("d" * 32 + ".dir", 10, nfiles=2)},
        metrics={"metrics.json": HashInfo("e" * 32, 5)},
    )
    values.update(changes)
    return lock.StageLock(**values)


def test_round_trip_and_canonical_text(tmp_path):
    first, second = tmp_path / "one.lock", tmp_path / "two.lock"
    lock.write(first, _lock())
    lock.write(second, _lock(params={"epochs": 200, "lr": 0.05}, deps=dict(reversed(list(_lock().deps.items())))))
    assert first.read_text() == second.read_text()
    assert lock.read(first) == _lock()
    text = first.read_text()
    assert text.index("data/a.csv") < text.index("data/b.csv")
    assert "nfiles: 2" in text


def test_missing_or_damaged_lock_reads_as_never_run(tmp_path):
    path = tmp_path / "x.lock"
    assert lock.read(path) is None
    path.write_text("code: [unclosed\n")
    assert lock.read(path) is None
    path.write_text("schema: 1\ncode: 7\n")
    assert lock.read(path) is None


def test_a_failed_write_leaves_the_old_lock(tmp_path):
    path = tmp_path / "x.lock"
    lock.write(path, _lock())
    before = path.read_text()
    bad = _lock(params={"unserializable": object()})
    try:
        lock.write(path, bad)
    except Exception:
        pass
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.lock"]
