"""Plot files as rows, in every format pivot reads, and DVC's defaults filled in as a chart
needs them: what `plots show` draws from a file depends on nothing else."""

from __future__ import annotations

import pytest

from pivot.declare import plotopts
from pivot.plots import data, model, resolve
from pivot.plots.model import PlotSpec, Series

ROWS = ({"epoch": 0, "loss": 1.5, "acc": 0.25}, {"epoch": 1, "loss": 0.5, "acc": 0.75})

FORMATS = {
    "loss.csv": b"epoch,loss,acc\n0,1.5,0.25\n1,0.5,0.75\n",
    "loss.tsv": b"epoch\tloss\tacc\n0\t1.5\t0.25\n1\t0.5\t0.75\n",
    "loss.json": b'[{"epoch": 0, "loss": 1.5, "acc": 0.25}, {"epoch": 1, "loss": 0.5, "acc": 0.75}]',
    "nested.json": b'{"train": [{"epoch": 0, "loss": 1.5, "acc": 0.25}, {"epoch": 1, "loss": 0.5, "acc": 0.75}], "test": []}',
    "loss.jsonl": b'{"epoch": 0, "loss": 1.5, "acc": 0.25}\n\n{"epoch": 1, "loss": 0.5, "acc": 0.75}\n',
    "loss.yaml": b"- {epoch: 0, loss: 1.5, acc: 0.25}\n- {epoch: 1, loss: 0.5, acc: 0.75}\n",
    "nested.yml": b"train:\n  - {epoch: 0, loss: 1.5, acc: 0.25}\n  - {epoch: 1, loss: 0.5, acc: 0.75}\n",
}


@pytest.mark.parametrize("path", FORMATS)
def test_every_format_gives_the_same_rows_with_numbers_as_numbers(path):
    assert data.parse(path, FORMATS[path]) == ROWS


def test_csv_text_stays_text_and_integers_stay_integers():
    rows = data.parse("m.csv", b"name,count,rate,big\ncat,3,-0.5,1e3\n")
    assert rows == ({"name": "cat", "count": 3, "rate": -0.5, "big": 1000.0},)
    assert isinstance(rows[0]["count"], int)


@pytest.mark.parametrize(
    ("path", "content", "reason"),
    [
        ("a.json", b"{not json", "a.json: invalid JSON"),
        ("a.json", b'{"loss": 0.5}', "a.json: holds no list of records"),
        ("a.jsonl", b'{"a": 1}\nnope\n', "a.jsonl: line 2 is not JSON"),
        ("a.yaml", b"- 1\n- 2\n", "a.yaml: record 0 is int, not a mapping"),
        ("a.csv", b"\xff\xfe", "a.csv: not UTF-8 text"),
        ("a.txt", b"x", "a.txt: pivot reads plot data from .csv"),
    ],
)
def test_a_file_that_holds_no_rows_says_why(path, content, reason):
    with pytest.raises(data.Unreadable, match="^" + reason.replace(".", r"\.").replace("(", r"\(")):
        data.parse(path, content)


def _view(spec: PlotSpec, *rows: tuple[dict, ...]) -> model.PlotView:
    return resolve.view(spec, [Series(f"rev{index}", rows=one) for index, one in enumerate(rows)])


def test_no_x_is_the_row_index_and_no_y_the_last_numeric_column():
    view = _view(PlotSpec("m.csv"), ({"name": "a", "loss": 1, "acc": 0.5, "note": "x"}, {"name": "b", "loss": 2, "acc": 0.7, "note": "y"}))
    assert (view.spec.x, view.spec.y) == (model.INDEX_FIELD, ("acc",))
    assert [row[model.INDEX_FIELD] for row in view.series[0].rows] == [0, 1]
    assert view.series[0].error is None


def test_named_columns_are_kept_and_every_revision_is_checked_on_its_own():
    spec = PlotSpec("m.csv", x="epoch", y=("loss", "acc"))
    view = _view(spec, ROWS, ({"epoch": 0, "loss": 1.0},))
    assert view.spec == spec and view.kind == "data"
    assert view.series[0].rows == ROWS and view.series[0].error is None
    assert view.series[1].error == "m.csv has no column 'acc' (named by y); its columns: epoch, loss"


def test_an_unknown_x_names_the_file_the_column_and_the_columns_there_are():
    view = _view(PlotSpec("m.csv", x="step", y=("loss",)), ROWS)
    assert view.series[0].error == "m.csv has no column 'step' (named by x); its columns: epoch, loss, acc"


def test_a_confusion_plot_defaults_to_actual_against_predicted():
    view = _view(PlotSpec("c.csv", template="confusion"), ({"actual": "cat", "predicted": "dog"},))
    assert (view.spec.x, view.spec.y) == ("actual", ("predicted",))
    assert view.series[0].rows == ({"actual": "cat", "predicted": "dog"},)  # no index added
    odd = _view(PlotSpec("c.csv", template="confusion"), ({"truth": "cat", "guess": "dog"},))
    assert odd.series[0].error == "c.csv has no column 'actual' (named by x); its columns: truth, guess"


def test_a_file_without_numbers_asks_for_y_and_errors_pass_through():
    view = resolve.view(PlotSpec("m.csv"), [Series("a", rows=({"name": "x"},)), Series("b", error="gone")])
    assert view.spec.y == ()
    assert view.series[0].error == "m.csv has no numeric column to draw (its columns: name): name one with y"
    assert view.series[1].error == "gone"


def test_images_are_views_of_their_bytes():
    view = resolve.view(PlotSpec("fig.PNG"), [Series("workspace", image=b"\x89PNG")])
    assert view.kind == "image" and view.series[0].image == b"\x89PNG"


def test_the_declared_templates_are_the_ones_the_renderers_draw():
    assert plotopts.TEMPLATES == model.TEMPLATES
