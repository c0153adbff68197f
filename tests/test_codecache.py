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
    path = tmp_path / "dataclasses.codes"
    monkeypatch.setattr(codecache, "_PATH", str(path))
    monkeypatch.setattr(codecache, "_stored", {})
    monkeypatch.setattr(codecache, "_used", set())
    monkeypatch.setattr(codecache, "_file", None)
    monkeypatch.setattr(codecache, "_base", 0)
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


def _next_command() -> None:
    """As the next command starts: nothing compiled in this process, the file's index read."""
    codecache._stored.clear()
    codecache._used.clear()
    codecache._load()


def _index(path) -> tuple[bytes, dict]:
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    return marshal.loads(data[8 : 8 + size])


def test_a_class_made_from_kept_code_behaves_as_one_compiled_anew(cache_file):
    first = _make("pivot.codecache_probe")
    codecache._write()
    assert cache_file.exists()

    _next_command()
    kept = set(codecache._stored)
    again = _make("pivot.codecache_probe")

    assert kept and kept <= codecache._used  # every method came from the file
    assert all(isinstance(codecache._stored[key], types.CodeType) for key in codecache._used)
    assert again(1, 2) == again(1, 2) and again(1) != again(2)
    assert repr(again(1, 2)) == repr(first(1, 2)) == "Point(x=1, y=2)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        again(1).x = 3  # type: ignore[misc]


def test_nothing_is_written_where_python_writes_no_bytecode(cache_file, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    _make("pivot.codecache_probe")
    codecache._write()
    assert not cache_file.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"not marshal at all",
        b"",
        (99).to_bytes(8, "little") + marshal.dumps((b"\x00\x00\r\n", {})),  # a length past the end
        len(marshal.dumps(("Python 0.1", {}))).to_bytes(8, "little") + marshal.dumps(("Python 0.1", {})),
    ],
)
def test_a_damaged_or_foreign_file_is_ignored(cache_file, content):
    cache_file.write_bytes(content)
    assert codecache._read()[0] == {}
    _next_command()
    point = _make("pivot.codecache_probe")  # compiled as usual
    assert repr(point(1)) == "Point(x=1, y=0)"


def test_the_callers_own_classes_are_compiled_as_usual_and_never_stored(cache_file):
    point = _make("stages")
    assert point(1, 2).x == 1
    assert codecache._stored == {} and codecache._used == set()


def test_a_damaged_entry_is_compiled_anew_and_only_the_used_entries_are_unmarshalled(cache_file):
    _make("pivot.codecache_probe")
    codecache._write()
    _, index = _index(cache_file)
    damaged = next(iter(index))
    data = bytearray(cache_file.read_bytes())
    base = 8 + int.from_bytes(data[:8], "little")
    offset, length = index[damaged]
    data[base + offset : base + offset + length] = b"\x00" * length  # not a code object any more
    cache_file.write_bytes(bytes(data))

    _next_command()
    unused = max(codecache._stored) + b"!"  # an entry no class asks for
    codecache._stored[unused] = (0, 1)
    point = _make("pivot.codecache_probe")

    assert point(1, 2) == point(1, 2) and repr(point(3)) == "Point(x=3, y=0)"
    assert isinstance(codecache._stored[damaged], types.CodeType)  # compiled again, kept for the next write
    assert codecache._stored[unused] == (0, 1)  # never unmarshalled
    codecache._stored.pop(unused)
    codecache._write()
    assert set(_index(cache_file)[1]) == set(index)  # the damaged one written back sound


def test_the_file_serves_every_interpreter_of_its_bytecode_format(cache_file):
    # Two venvs of one minor version on one checkout share it, as they share .pyc files.
    _make("pivot.codecache_probe")
    codecache._write()
    key, index = _index(cache_file)
    assert key == importlib.util.MAGIC_NUMBER and codecache._read()[0] == index
    head = marshal.dumps((b"\x00\x00\r\n", index))  # another bytecode format
    cache_file.write_bytes(len(head).to_bytes(8, "little") + head)
    assert codecache._read()[0] == {}


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
