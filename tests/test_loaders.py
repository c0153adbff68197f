"""Built-in loaders round-trip their values; CSV/Parquet name the extra when pandas is missing."""

from __future__ import annotations

import datetime
import pathlib
import subprocess
import sys

import pytest
import yaml

from pivot import errors, loaders


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


def test_jsonl_round_trips_records_one_per_line(tmp_path):
    records = [{"name": "café", "tags": ["a\u2028b"], "n": 1.5}, [1, 2], "plain", None]
    path = tmp_path / "r.jsonl"
    loaders.JSONL().save(records, path)
    assert len(path.read_text(encoding="utf-8").split("\n")) == 5  # four lines and the final newline
    assert loaders.JSONL().load(path) == records
    path.write_text('{"a": 1}\r\n\r\n{"a": 2}\r\n')  # CRLF and blank lines, as editors leave them
    assert loaders.JSONL().load(path) == [{"a": 1}, {"a": 2}]


def test_jsonl_refuses_a_value_that_is_not_a_list_of_records(tmp_path):
    for value in ({"a": 1}, "text"):
        with pytest.raises(errors.LoaderError, match="JSONL saves a list of records"):
            loaders.JSONL().save(value, tmp_path / "r.jsonl")
    assert not (tmp_path / "r.jsonl").exists()


def test_dataframe_jsonl_round_trips_rows_as_records(tmp_path):
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"word": ["alpha", "beta"], "length": [5, 4]})
    loaders.DataFrameJSONL().save(frame, tmp_path / "f.jsonl")
    assert (tmp_path / "f.jsonl").read_text().splitlines() == ['{"word":"alpha","length":5}', '{"word":"beta","length":4}']
    assert loaders.DataFrameJSONL().load(tmp_path / "f.jsonl").equals(frame)
    with pytest.raises(errors.LoaderError, match=r"saves a pandas DataFrame; got a list \(JSONL saves a list of records\)"):
        loaders.DataFrameJSONL().save([{"word": "alpha"}], tmp_path / "f.jsonl")
    assert loaders.DataFrameJSONL().load(tmp_path / "f.jsonl").equals(frame)  # the refused save changed nothing


def test_empty_values_save_and_load_back_empty(tmp_path):
    pytest.importorskip("pandas")
    assert loaders.JSONL().empty() == []
    for loader in (loaders.JSONL(), loaders.DataFrameJSONL()):
        loader.save(loader.empty(), tmp_path / "e.jsonl")
        loaded = loader.load(tmp_path / "e.jsonl")
        assert len(loaded) == 0 and type(loaded) is type(loader.empty())


class _Unpicklable:
    def __reduce__(self):
        raise TypeError("this object cannot be pickled")


class _Unprintable:
    def __str__(self):
        raise RuntimeError("no text for this value")


def _failing_values():
    pandas = pytest.importorskip("pandas")
    return [
        (loaders.JSONL(), [{"a": 1}] * 1000 + [{"b": {1, 2}}], "r.jsonl"),  # fails after 1000 lines
        (loaders.JSON(), {"a": {1, 2}}, "v.json"),
        (loaders.YAML(), {"a": object()}, "v.yaml"),
        (loaders.Pickle(), [b"x" * 1_000_000, _Unpicklable()], "v.pkl"),  # fails after a megabyte
        (loaders.CSV(), pandas.DataFrame({"a": [1, _Unprintable()]}), "f.csv"),
    ]


def test_a_save_that_fails_midway_leaves_the_previous_file_intact(tmp_path):
    for loader, value, name in _failing_values():
        path = tmp_path / name
        path.write_bytes(b"previous content\n")
        with pytest.raises(Exception):  # noqa: B017 - each library fails its own way
            loader.save(value, path)
        assert path.read_bytes() == b"previous content\n", type(loader).__name__
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(name for _, _, name in _failing_values())  # no temp files


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_figures_save_as_valid_png_svg_pdf_without_timestamps(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    def figure():
        fig = Figure()
        fig.subplots().plot([1, 3, 2])
        return fig

    for name in ("f.png", "f.svg", "f.pdf", "again.svg"):
        loaders.MatplotlibFigure(dpi=30, bbox_inches="tight").save(figure(), tmp_path / name)
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF-")
    assert b"/CreationDate" not in (tmp_path / "f.pdf").read_bytes()
    assert b"<dc:date>" not in (tmp_path / "f.svg").read_bytes()
    assert (tmp_path / "f.svg").read_bytes() == (tmp_path / "again.svg").read_bytes()  # ids do not vary either


def test_a_figure_cannot_be_loaded(tmp_path):
    with pytest.raises(NotImplementedError, match="MatplotlibFigure cannot load"):
        loaders.MatplotlibFigure().load(tmp_path / "f.png")


def test_the_new_loaders_import_in_either_order():
    """A worker unpickles a stage's loaders, importing pivot.loaders_more before pivot.loaders."""
    code = (
        "import pivot.loaders_more, sys\n"
        "from pivot.loaders import JSONL, DataFrameJSONL, MatplotlibFigure, Loader\n"
        "assert issubclass(JSONL, Loader) and JSONL is pivot.loaders_more.JSONL\n"
        "print('matplotlib' in sys.modules, 'pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False False", done.stderr
    with pytest.raises(AttributeError, match="no attribute 'NoSuchLoader'"):
        _ = loaders.NoSuchLoader


def test_a_custom_loader_saves_atomically_through_writing(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("previous\n")
    with pytest.raises(RuntimeError), loaders.writing(path) as tmp:
        assert tmp.parent == path.parent and tmp.suffix == ".txt"
        tmp.write_text("half of the new")
        raise RuntimeError("the loader fails half-way")
    assert path.read_text() == "previous\n"
    with loaders.writing(path) as tmp:
        tmp.write_text("new\n")
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["lines.txt"]
