"""The compiled methods of pivot's dataclasses kept between commands (pivot.base.codecache): a
class made from the kept code behaves as one compiled anew; the file is written only where
bytecode may be written; a damaged or foreign file is ignored; the caller's own classes are
compiled as usual and never stored."""

from __future__ import annotations

import dataclasses
import importlib.util
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
    monkeypatch.setattr(codecache, "_loaded", True)  # the file is the fixture's, read by each test
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


def test_a_damaged_entry_is_compiled_anew_and_only_the_used_entries_are_unmarshalled(cache_file):
    _make("pivot.codecache_probe")
    codecache._write()
    key, entries = marshal.loads(cache_file.read_bytes())
    assert all(isinstance(data, bytes) for data in entries.values())  # kept marshalled in the file
    damaged = next(iter(entries))
    entries[damaged] = b"\x00 not a code object"
    entries["def never_used(): pass"] = marshal.dumps(compile("def never_used(): pass", "<string>", "exec"))
    cache_file.write_bytes(marshal.dumps((key, entries)))

    codecache._stored.clear()
    codecache._stored.update(codecache._read())
    point = _make("pivot.codecache_probe")

    assert point(1, 2) == point(1, 2) and repr(point(3)) == "Point(x=3, y=0)"
    assert isinstance(codecache._stored[damaged], types.CodeType)  # compiled again, kept for the next write
    assert isinstance(codecache._stored["def never_used(): pass"], bytes)  # never unmarshalled


def test_the_file_serves_every_interpreter_of_its_bytecode_format(cache_file):
    # Two venvs of one minor version on one checkout share it, as they share .pyc files.
    _make("pivot.codecache_probe")
    codecache._write()
    key, entries = marshal.loads(cache_file.read_bytes())
    assert key == importlib.util.MAGIC_NUMBER and codecache._read() == entries
    cache_file.write_bytes(marshal.dumps((b"\x00\x00\r\n", entries)))  # another bytecode format
    assert codecache._read() == {}


def _fresh(code: str) -> str:
    """`code` run by a fresh interpreter (pivot and dataclasses not imported yet); its output."""
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_pivot_imports_nothing_else_and_its_classes_still_use_the_cache():
    # The pivot program starts its fork server right after `import pivot`: nothing may delay it.
    out = _fresh(
        "import sys, pivot\n"
        "print('dataclasses' in sys.modules, 'typing' in sys.modules)\n"
        "from pivot.base import codecache\n"
        "from pivot.base import project\n"  # a module of dataclasses: the import patches them
        "import dataclasses\n"
        "print(dataclasses.exec is codecache._exec, any(f is codecache._Patcher for f in sys.meta_path))\n"
        "print(project.Project(__import__('pathlib').Path('/x')).root)\n"
    )
    assert out.split("\n")[:3] == ["False False", "True False", "/x"]


def test_dataclasses_imported_before_pivot_are_patched_at_once_and_the_callers_classes_work():
    out = _fresh(
        "import dataclasses, sys\n"
        "import pivot\n"
        "from pivot.base import codecache\n"
        "@dataclasses.dataclass(frozen=True)\n"
        "class Mine:\n"
        "    x: int\n"
        "print(dataclasses.exec is codecache._exec, Mine(1), Mine(1) == Mine(1), codecache._used == set())\n"
    )
    assert out.strip() == "True Mine(x=1) True True"
