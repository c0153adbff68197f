"""Built-in loaders round-trip their values; CSV/Parquet name the extra when pandas is missing."""

from __future__ import annotations

import datetime
import pathlib
import subprocess
import sys

import pytest
import yaml

from pivot import loaders


@pytest.mark.parametrize(
    ("loader", "value", "name"),
    [
        (loaders.JSON(), {"a": [1, 2.5, None], "b": "x"}, "v.json"),
        (loaders.YAML(), {"a": [1, 2], "nested": {"k": True}}, "v.yaml"),
        (loaders.Text(), "line one\nline two\n", "v.txt"),
        (loaders.Pickle(), {"tuple": (1, 2), "set": {3}}, "v.pkl"),
    ],
)
def test_round_trip(tmp_path: pathlib.Path, loader, value, name):
    path = tmp_path / name
    loader.save(value, path)
    assert loader.load(path) == value


def test_path_only_hands_over_the_path(tmp_path):
    assert loaders.PathOnly().load(tmp_path / "x") == tmp_path / "x"


def test_csv_and_parquet_round_trip_a_dataframe(tmp_path):
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    for loader, name in ((loaders.CSV(), "f.csv"), (loaders.Parquet(), "f.parquet")):
        loader.save(frame, tmp_path / name)
        assert loader.load(tmp_path / name).equals(frame)
    assert (tmp_path / "f.csv").read_text().splitlines()[0] == "a,b"  # no index column by default


def test_without_pandas_the_error_names_the_extra(tmp_path):
    (tmp_path / "f.csv").write_text("a\n1\n")
    code = (
        "import sys, pathlib; sys.modules['pandas'] = None\n"  # as if pandas were not installed
        "from pivot import loaders\n"
        "try:\n"
        f"    loaders.CSV().load(pathlib.Path({str(tmp_path / 'f.csv')!r}))\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install 'pivot[pandas]'" in done.stdout, done.stdout + done.stderr


def test_importing_pivot_does_not_import_pandas():
    code = "import sys; import pivot.loaders, pivot.outputs, pivot.stage_def; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


YAML_VALUE = {
    "when": datetime.date(2024, 1, 2),
    "at": datetime.datetime(2024, 1, 2, 3, 4, 5),
    "numbers": [1, 2.5, -0.0, 1e20, float("inf"), None, True],
    "strings": {"accent": "héllo", "emoji": "😀", "multi": "line1\nline2\n", "yes": "yes", "zero": "012", "colon": "a: b"},
    "long": "word " * 40,
    "empty": [{}, []],
}


def test_yaml_writes_the_text_pure_python_wrote_and_reads_it_back(tmp_path):
    """The C emitter and parser (when PyYAML has them) change nothing a stage sees: the file is the
    text pure-Python PyYAML wrote before, and it loads back to the same value, dates as dates."""
    path = tmp_path / "v.yaml"
    loaders.YAML().save(YAML_VALUE, path)
    assert path.read_text(encoding="utf-8") == yaml.safe_dump(YAML_VALUE, sort_keys=False)
    loaded = loaders.YAML().load(path)
    assert loaded == YAML_VALUE
    assert type(loaded["when"]) is datetime.date and type(loaded["at"]) is datetime.datetime
    assert list(loaded) == list(YAML_VALUE)  # keys in the stage's order, not sorted


@pytest.mark.parametrize("text", ["when: 2024-01-02\n", "- 2024-01-02 03:04:05\n- '2024-01-02'\n", "42\n...\n", "just text\n"])
def test_yaml_reads_what_it_read_before(tmp_path, text):
    path = tmp_path / "v.yaml"
    path.write_text(text, encoding="utf-8")
    assert loaders.YAML().load(path) == yaml.safe_load(text)


@pytest.mark.parametrize("value", ["just text", 42, None, datetime.date(2024, 1, 2)])
def test_yaml_round_trips_a_lone_scalar(tmp_path, value):
    """The one difference in text, and the sign that libyaml's emitter wrote the file: no `...`
    document end marker after a lone scalar, which pure Python adds."""
    path = tmp_path / "v.yaml"
    loaders.YAML().save(value, path)
    assert loaders.YAML().load(path) == value
    if hasattr(yaml, "CSafeDumper"):
        assert path.read_text() == yaml.safe_dump(value).removesuffix("...\n")
        assert not path.read_text().endswith("...\n")

