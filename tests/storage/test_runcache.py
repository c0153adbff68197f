"""The run-cache store: canonical entries under their key, refused when damaged or misplaced."""

from __future__ import annotations

import json
import pathlib

import pytest

from pivot import errors
from pivot.storage import runcache
from pivot.storage.hashing import HashInfo
from pivot.storage.runcache import RunCache, RunEntry

OID = "0" * 32


def _entry(lr: float = 0.1) -> RunEntry:
    inputs = {"code": "c", "params": {"lr": lr}, "deps": {"data.txt": OID}, "outs": [["m", "outs", True, "x"]]}
    return RunEntry("train", inputs, {"m": HashInfo(OID, 3)}, {"metrics.json": HashInfo("1" * 32, 9)})


def test_an_entry_reads_back_as_written_under_the_key_of_its_inputs(tmp_path: pathlib.Path):
    store = RunCache(tmp_path / "runs")
    key = store.write(_entry())
    assert key == runcache.key_of(_entry().inputs)
    assert store.path(key) == tmp_path / "runs" / key[:2] / key[2:]
    assert store.read(key) == _entry()
    assert store.read(runcache.key_of(_entry(0.5).inputs)) is None
    assert list(store.keys()) == [key]


def test_the_key_ignores_key_order_but_not_values_or_types():
    a = {"params": {"a": 1, "b": 2}, "code": "c"}
    assert runcache.key_of(a) == runcache.key_of({"code": "c", "params": {"b": 2, "a": 1}})
    assert runcache.key_of(a) != runcache.key_of({"params": {"a": 1.0, "b": 2}, "code": "c"})


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-5],
        lambda data: json.dumps({**json.loads(data), "schema": 99}),
        lambda data: data.replace('"lr":0.1', '"lr":0.2'),  # another run's inputs, misplaced
        lambda data: data.replace(OID, "../../" + OID[6:]),
        lambda data: "\xff",
    ],
)
def test_a_damaged_or_misplaced_entry_is_refused(tmp_path: pathlib.Path, damage):
    store = RunCache(tmp_path / "runs")
    key = store.write(_entry())
    path = store.path(key)
    path.write_text(damage(path.read_text()))
    with pytest.raises(errors.CacheError, match="is damaged"):
        store.read(key)
    assert list(store.entries()) == [(key, None)]


def test_keys_skip_temp_files_and_foreign_names_and_bad_keys_name_no_path(tmp_path: pathlib.Path):
    store = RunCache(tmp_path / "runs")
    key = store.write(_entry())
    (store.path(key).parent / f".{key[2:]}.x.tmp").write_text("partial")
    (tmp_path / "runs" / "zz").mkdir()
    (tmp_path / "runs" / "README").write_text("hi")
    assert list(store.keys()) == [key]
    with pytest.raises(errors.CacheError):
        store.path("../" + key)
    assert store.clear() == 1
    assert list(store.keys()) == []
