"""Mermaid xychart blocks for the PR comment: every block we emit passes the checker written from
Mermaid's xychart grammar (tests/mermaid_grammar.py), keeps at most `limit` points per series
with the ends and the extremes, and views xychart cannot draw get None."""

from __future__ import annotations

import math

import mermaid_grammar as grammar
import pytest

from pivot.plots import mermaid
from pivot.plots.model import PlotSpec, PlotView, Series


def view(*series: Series, template: str = "linear", x: str = "step", y: tuple[str, ...] = ("loss",), **spec: str) -> PlotView:
    return PlotView(PlotSpec("train/loss.csv", template, x, y, **spec), "data", series)


def curve(revision: str, values: list[float], x: str = "step", y: str = "loss") -> Series:
    return Series(revision, tuple({x: i, y: v} for i, v in enumerate(values)))


def one_chart(text: str | None) -> grammar.Chart:
    assert text is not None
    charts = grammar.check(text)
    assert len(charts) == 1
    return charts[0]


def test_old_and_new_curves_are_two_lines_on_one_numeric_axis_with_a_legend():
    text = mermaid.xychart(view(curve("HEAD", [1.0, 0.5, 0.25]), curve("workspace", [0.9, 0.4, 0.2]), title="Loss"))
    chart = one_chart(text)
    assert chart.title == "Loss" and chart.x_label == "step" and chart.x_range == (0, 2)
    assert [(kind, values) for kind, _, values in chart.plots] == [("line", [1.0, 0.5, 0.25]), ("line", [0.9, 0.4, 0.2])]
    assert chart.y_range == (0.2, 1.0) and chart.y_label == "loss"
    assert text.rstrip().splitlines()[-1] == "🟦 HEAD · 🟧 workspace"
    # The legend's squares are the colours the directive gives the lines, in order.
    assert chart.init == {"themeVariables": {"xyChart": {"plotColorPalette": "#3b82f6, #f97316"}}}


def test_several_y_columns_name_revision_and_column():
    rows = tuple({"epoch": i, "loss": 1 / (i + 1), "val_loss": 1.2 / (i + 1)} for i in range(5))
    text = mermaid.xychart(view(Series("HEAD", rows), Series("abc1234", rows), x="epoch", y=("loss", "val_loss")))
    chart = one_chart(text)
    assert len(chart.plots) == 4
    assert text.rstrip().splitlines()[-1] == "🟦 HEAD loss · 🟧 HEAD val\\_loss · 🟩 abc1234 loss · 🟥 abc1234 val\\_loss"


def test_ten_thousand_points_are_sampled_to_the_limit_keeping_ends_and_extremes():
    values = [math.sin(i / 300) + 0.001 * i for i in range(10_000)]
    values[4321] = 50.0  # a spike between sampled positions must survive
    values[777] = -9.5
    chart = one_chart(mermaid.xychart(view(curve("workspace", values)), limit=100))
    drawn = chart.plots[0][2]
    assert len(drawn) == 100
    assert chart.x_range == (0, 9999)
    assert drawn[0] == 0 and drawn[-1] == pytest.approx(values[-1], rel=1e-3)
    assert max(drawn) == 50 and min(drawn) == -9.5


@pytest.mark.parametrize("limit", [2, 3, 10, 57])
def test_no_series_exceeds_the_limit(limit):
    old, new = curve("HEAD", [float(i % 17) for i in range(500)]), curve("workspace", [float(i % 13) for i in range(800)])
    chart = one_chart(mermaid.xychart(view(old, new), limit=limit))
    assert {len(values) for _, _, values in chart.plots} == {limit}


def test_series_of_different_lengths_share_the_axis_and_the_legend_says_where_one_is_held():
    text = mermaid.xychart(view(curve("HEAD", [4.0, 3.0, 2.0]), curve("workspace", [4.0, 3.0, 2.0, 1.0, 0.5])))
    chart = one_chart(text)
    assert chart.x_range == (0, 4)
    assert chart.plots[0][2] == [4, 3, 2, 2, 2]  # held at its last value past its own end
    assert "🟦 HEAD (drawn flat or straight where it has no point)" in text
    assert "🟧 workspace ·" not in text and text.rstrip().endswith("🟧 workspace")


def test_a_point_between_two_of_a_series_is_interpolated():
    sparse = Series("HEAD", ({"step": 0, "loss": 1.0}, {"step": 10, "loss": 0.0}))
    dense = Series("workspace", ({"step": 0, "loss": 1.0}, {"step": 5, "loss": 0.8}, {"step": 10, "loss": 0.1}))
    chart = one_chart(mermaid.xychart(view(sparse, dense)))
    assert chart.plots[0][2] == [1, 0.5, 0]


def test_text_x_values_make_a_category_axis_in_order_of_appearance():
    rows = ({"class": "cat", "f1": 0.9}, {"class": "dog", "f1": 0.75}, {"class": 'bird "b"', "f1": 0.5})
    chart = one_chart(mermaid.xychart(view(Series("workspace", rows), template="bar", x="class", y=("f1",))))
    assert chart.x_band == ["cat", "dog", "bird 'b'"]
    assert chart.plots == [("bar", None, [0.9, 0.75, 0.5])]


def test_a_bar_plot_draws_the_last_revision_as_bars_and_earlier_ones_as_lines():
    old = Series("HEAD", ({"class": "a", "n": 3}, {"class": "b", "n": 5}))
    new = Series("workspace", ({"class": "a", "n": 4}, {"class": "b", "n": 6}))
    chart = one_chart(mermaid.xychart(view(old, new, template="bar", x="class", y=("n",))))
    assert [kind for kind, _, _ in chart.plots] == ["line", "bar"]


def test_numbers_are_plain_decimals_with_four_significant_digits():
    values = [0.000012345678, 123456789.0, -0.5, 2 / 3]
    chart = one_chart(text := mermaid.xychart(view(curve("workspace", values))))
    assert chart.plots[0][2] == [0.00001235, 123500000, -0.5, 0.6667]
    assert "e-" not in text and "e+" not in text


def test_numeric_strings_count_and_other_cells_are_skipped():
    rows = ({"step": "0", "loss": "0.5"}, {"step": "1", "loss": "nan"}, {"step": "2", "loss": ""}, {"step": "3", "loss": 0.25})
    chart = one_chart(mermaid.xychart(view(Series("workspace", rows))))
    assert chart.x_range == (0, 3)
    assert chart.plots[0][2] == [0.5, 0.25]


def test_a_single_point_is_one_category_not_an_empty_range():
    chart = one_chart(mermaid.xychart(view(Series("HEAD", ({"step": 3, "loss": 0.5},)), Series("workspace", ({"step": 3, "loss": 0.25},)))))
    assert chart.x_band == ["3"] and [values for _, _, values in chart.plots] == [[0.5], [0.25]]


def test_a_flat_line_gets_a_y_range_around_it():
    chart = one_chart(mermaid.xychart(view(curve("workspace", [0.3, 0.3, 0.3]))))
    assert chart.y_range[0] < 0.3 < chart.y_range[1]


def test_titles_and_labels_cannot_break_out_of_their_quotes():
    text = mermaid.xychart(
        view(curve("work|space", [1.0, 2.0]), title='a "quoted"\ntitle %% not a comment', x_label="x\ty", y_label="  ")
    )
    chart = one_chart(text)
    assert chart.title == "a 'quoted' title % % not a comment"
    assert chart.x_label == "x y" and chart.y_label is None
    assert text.rstrip().endswith("🟦 work\\|space")


@pytest.mark.parametrize(
    "undrawable",
    [
        PlotView(PlotSpec("cm.csv", "confusion", "actual", ("predicted",)), "data", (Series("HEAD", ({"actual": "a", "predicted": "b"},)),)),
        PlotView(PlotSpec("pred.csv", "scatter", "x", ("y",)), "data", (Series("HEAD", ({"x": 1, "y": 2}, {"x": 0, "y": 1})),)),
        PlotView(PlotSpec("roc.png"), "image", (Series("HEAD", image=b"\x89PNG"),)),
        PlotView(PlotSpec("names.csv", "linear", "step", ("name",)), "data", (Series("HEAD", ({"step": 0, "name": "a"},)),)),
        PlotView(PlotSpec("gone.csv", "linear", "step", ("loss",)), "data", (Series("HEAD", error="the file is missing"),)),
    ],
    ids=["confusion", "scatter", "image", "no-numbers", "no-rows"],
)
def test_views_xychart_cannot_draw_are_none(undrawable):
    assert mermaid.xychart(undrawable) is None


def test_a_revision_without_the_file_is_left_out_of_the_chart():
    chart = one_chart(mermaid.xychart(view(Series("HEAD", error="the file is missing"), curve("workspace", [1.0, 2.0]))))
    assert len(chart.plots) == 1


def test_line_chart_over_commits_is_a_category_axis_of_the_commits():
    text = mermaid.line_chart("metrics.json:acc", ["a1b2c3d", "b2c3d4e", "c3d4e5f"], {"metrics.json:acc": [0.8, 0.85, 0.9]})
    chart = one_chart(text)
    assert chart.x_band == ["a1b2c3d", "b2c3d4e", "c3d4e5f"] and chart.plots == [("line", None, [0.8, 0.85, 0.9])]
    assert text.endswith("```\n")  # one series: the title names it, no legend line


def test_line_chart_leaves_out_commits_without_a_value_and_bridges_gaps():
    text = mermaid.line_chart("m", ["c1", "c2", "c3", "c4"], {"a": [None, 1.0, None, 3.0], "b": [None, 2.0, 2.0, None]})
    chart = one_chart(text)
    assert chart.x_band == ["c2", "c3", "c4"]
    assert [values for _, _, values in chart.plots] == [[1, 2, 3], [2, 2, 2]]
    assert "🟦 a (drawn flat or straight where it has no point) · 🟧 b (drawn flat" in text


def test_line_chart_without_a_number_is_an_error():
    with pytest.raises(ValueError, match="no numeric values"):
        mermaid.line_chart("m", ["c1"], {"a": [None]})


def test_the_checker_rejects_what_mermaid_would_not_parse():
    good = '```mermaid\nxychart-beta\n    x-axis [a, "b c"]\n    line [1, 2]\n```\n'
    assert grammar.check(good)[0].x_band == ["a", "b c"]
    broken = [
        "xychart-beta\n    line [1e-5, 2]",  # an exponent
        "xychart-beta\n    line [1, 2,]",
        'xychart-beta\n    title ""\n    line [1]',
        'xychart-beta\n    title "a "b""\n    line [1]',
        "xychart-beta\n    x-axis [a, b]\n    line [1, 2, 3]",  # one value per category
        "xychart-beta\n    y-axis 0 --> 1\n    line [2]",
        "xychart-beta\n    x-axis 3 --> 3\n    line [2]",
        "xychart-beta\n    title a %% b\n    line [1]",
        "xychart\n    line [NaN]",
        "pie\n    line [1]",
        "xychart-beta\n    title x",  # nothing drawn
    ]
    for block in broken:
        with pytest.raises(grammar.GrammarError):
            grammar.parse(block)
