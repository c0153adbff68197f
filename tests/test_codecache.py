"""The compiled methods of pivot's dataclasses kept between commands (pivot.base.codecache): a
class made from the kept code behaves as one compiled anew; the file is written only where
bytecode may be written; a damaged or foreign file is ignored; the caller's own classes are
compiled as usual and never stored."""

from __future__ import annotations

import dataclasses
import marshal
import sys
import types

import pytest

from pivot.base import codecache

CLASS = '''
import dataclasses

@dataclasses.dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
'''


@pytest.fixture
def cache_file(tmp_path, monkeypatch):
    path = tmp_path / "dataclasses.marshal"
    monkeypatch.setattr(codecache, "_PATH", str(path))
    monkeypatch.setattr(codecache, "_stored", {})
    monkeypatch.setattr(codecache, "_used", set())
    monkeypatch.setattr(codecache, "_added", True)  # no exit handler from a test process
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return path


def _make(module_name: str) -> type:
    module = types.ModuleType(module_name)
    sys.modules[module_name] = module
    try:
        exec(CLASS, module.__dict__)
    finally:
        del sys.modules[module_name]
    return module.__dict__["Point"]


def test_a_class_made_from_kept_code_behaves_as_one_compiled_anew(cache_file):
    first = _make("pivot.codecache_probe")
    codecache._write()
    assert cache_file.exists()

    codecache._stored.clear()
    codecache._stored.update(codecache._read())  # as the next command starts
    kept = set(codecache._stored)
    again = _make("pivot.codecache_probe")

    assert kept and kept <= codecache._used  # every method came from the file
    assert again(1, 2) == again(1, 2) and again(1) != again(2)
    assert repr(again(1, 2)) == repr(first(1, 2)) == "Point(x=1, y=2)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        again(1).x = 3  # type: ignore[misc]


def test_nothing_is_written_where_python_writes_no_bytecode(cache_file, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _make("pivot.codecache_probe")
    codecache._write()
    assert not cache_file.exists()


@pytest.mark.parametrize("content", [b"not marshal at all", marshal.dumps(("Python 0.1", {"def f(): pass": None}))])
def test_a_damaged_or_foreign_file_is_ignored(cache_file, content):
    cache_file.write_bytes(content)
    assert codecache._read() == {}


def test_the_callers_own_classes_are_compiled_as_usual_and_never_stored(cache_file):
    point = _make("stages")
    assert point(1, 2).x == 1
    assert codecache._stored == {} and codecache._used == set()
