"""Lock files are canonical (sorted, relative POSIX paths) and a damaged one (a power cut can leave one: they are
not synced) means "never ran"."""

from __future__ import annotations

import pytest
import yaml

from pivot.declare.stage import OutKind
from pivot.storage import lock
from pivot.storage.hashing import HashInfo


def _lock(**changes):
    values = dict(
        code_fingerprint="f" * 32,
        code_manifest={"stages.train": "a" * 32},
        params={"lr": 0.05, "epochs": 200},
        deps={"data/b.csv": HashInfo("b" * 32, 3), "data/a.csv": HashInfo("c" * 32, 4)},
        outputs={
            "models": lock.LockedOutput(HashInfo("d" * 32 + ".dir", 10, nfiles=2), OutKind.OUT, True),
            "metrics.json": lock.LockedOutput(HashInfo("e" * 32, 5), OutKind.METRIC, False),
        },
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
    with pytest.raises(yaml.YAMLError):
        lock.write(path, bad)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.lock"]


# A lock as pivot wrote it before kinds were recorded: cached outputs under `outs`, the others
# (Metric, or any output with cache=False) under `metrics`.
A, B, C = "a" * 32, "b" * 32, "c" * 32
SCHEMA_1 = (
    "{schema: 1, code: {fingerprint: f, manifest: {}}, params: {}, deps: {},"
    f" outs: {{curve.json: {{hash: {A}, size: 15}}}},"
    f" metrics: {{conf.yaml: {{hash: {B}, size: 18}}, metrics.json: {{hash: {C}, size: 17}}}}}}"
)


def test_a_schema_1_lock_guesses_kinds_until_a_pipeline_declares_them():
    old = lock.parse(SCHEMA_1)
    assert not old.kinds_recorded
    assert set(old.cached) == {"curve.json"} and set(old.uncached) == {"conf.yaml", "metrics.json"}
    assert set(old.of_kind(OutKind.METRIC)) == {"conf.yaml", "metrics.json"}  # as pivot read it then
    declared = old.with_declared_kinds({"conf.yaml": OutKind.OUT, "curve.json": OutKind.PLOT})
    assert declared.of_kind(OutKind.METRIC) == {"metrics.json": HashInfo(C, 17)}
    assert set(declared.of_kind(OutKind.PLOT)) == {"curve.json"}
    assert declared.cached == old.cached and declared.uncached == old.uncached


def test_recorded_kinds_are_never_replaced_by_a_declaration(tmp_path):
    path = tmp_path / "x.lock"
    lock.write(path, _lock())
    recorded = lock.read(path)
    assert recorded.kinds_recorded
    assert recorded.with_declared_kinds({"metrics.json": OutKind.OUT}) == recorded


def test_an_unknown_kind_or_schema_reads_as_never_run(tmp_path):
    path = tmp_path / "x.lock"
    lock.write(path, _lock())
    text = path.read_text()
    assert lock.parse(text.replace("kind: metric", "kind: chart")) is None
    assert lock.parse(text.replace("cache: false", "cache: maybe")) is None
    assert lock.parse(text.replace("schema: 2", "schema: 3")) is None


STAGES = '''
from typing import Annotated
from pivot import loaders, outputs


def shout(text: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out("out.txt", loaders.Text())]:
    return text.upper()
'''


@pytest.mark.parametrize("left", ["", "schema: 2\ncode:\n  fingerp"])
def test_a_lock_a_power_cut_damaged_reads_as_never_run_and_is_written_again(project, pivot, left):
    # Locks are replaced atomically but not synced: after a power cut one may be empty or cut short.
    root = project({"stages.py": STAGES, "pivot.yaml": "stages:\n  shout:\n    python: stages.shout\n", "in.txt": "hi"})
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    written = (root / ".pivot/stages/shout.lock").read_text()
    (root / ".pivot/stages/shout.lock").write_text(left)
    again = pivot("run", "--executor", "inprocess")
    assert again.exit_code == 0, again.output
    assert "shout: restored from run cache (Never run)" in again.output  # its recorded run is reused
    assert (root / ".pivot/stages/shout.lock").read_text() == written
    assert "shout  up to date" in pivot("status").output
