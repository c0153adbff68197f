"""Built-in loaders round-trip their values; CSV/Parquet name the extra when pandas is missing."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

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
