"""What the plots page holds, read from the file `page.write` leaves: self-contained, each chart's
ids its own, user text escaped, notes where a series cannot be drawn, a bounded size for long
series, and a clear error when the chart renderer is not installed."""

from __future__ import annotations

import collections
import re
import sys

import pytest

from pivot import errors
from pivot.plots import page
from pivot.plots.model import PlotSpec, PlotView, Series


def curve(count: int, offset: float = 0.0) -> tuple[dict[str, float], ...]:
    return tuple({"step": i, "loss": 1 / (1 + i) + offset + (i % 7) / 100} for i in range(count))


def confusion(path: str) -> PlotView:
    pairs = tuple({"actual": a, "predicted": p} for a in "xyz" for p in "xyz")
    return PlotView(PlotSpec(path, "confusion", "actual", ("predicted",)), "data", (Series("HEAD", pairs),))


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_the_page_names_no_url_and_each_chart_owns_its_ids(tmp_path):
    views = [
        confusion("a.csv"),
        confusion("b.csv"),
        PlotView(PlotSpec("c.csv", "linear", "step", ("loss",)), "data", (Series("HEAD", curve(5)),)),
    ]
    text = page.write(views, tmp_path / "out").read_text()
    assert not re.search(r"(https?:|//)[\w.-]", text), "the page would need the network"
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert [name for name, seen in collections.Counter(ids).items() if seen > 1] == []
    for target in re.findall(r"url\(#([^)]+)\)", text):
        assert target in ids, f"{target} points at nothing"
    assert len(re.findall(r"url\(#plot-\d-gradient", text)) == 2  # each heatmap's legend, its own gradient


def test_user_text_is_escaped(tmp_path):
    spec = PlotSpec("<b>odd</b>.csv", "linear", "step", ("loss",), stage="a&b")
    view = PlotView(spec, "data", (Series("<i>rev</i>", curve(3)), Series("HEAD", error="no <such> file")))
    text = page.write([view], tmp_path / "out").read_text()
    assert "<b>odd</b>" not in text and "&lt;b&gt;odd&lt;/b&gt;.csv" in text
    assert "<i>rev</i>" not in text and "no &lt;such&gt; file" in text


def test_a_column_without_numbers_is_said(tmp_path):
    view = PlotView(
        PlotSpec("m.csv", "linear", "step", ("loss", "note")),
        "data",
        (Series("HEAD", tuple({"step": i, "loss": i, "note": "n/a"} for i in range(4))),),
    )
    text = page.write([view], tmp_path / "out").read_text()
    assert "HEAD: no numeric values in column &#x27;note&#x27;" in text
    assert text.count('aria-roledescription="line mark"') == 1


def test_three_long_revisions_make_a_small_page(tmp_path):
    view = PlotView(
        PlotSpec("loss.csv", "linear", "step", ("loss",)),
        "data",
        tuple(Series(rev, curve(10_000, k / 10)) for k, rev in enumerate(("HEAD~2", "HEAD~1", "HEAD"))),
    )
    html = page.write([view], tmp_path / "out")
    assert html.stat().st_size < 250_000  # 20 such plots stay well under 5 MB
    text = html.read_text()
    assert re.search(r"Thinned for drawing.*HEAD~2: 1,2\d\d of 10,000; HEAD~1: 1,2\d\d of 10,000; HEAD: 1,2\d\d of 10,000", text)


def test_no_views_still_make_a_page(tmp_path):
    html = page.write([], tmp_path / "out", title="nothing here")
    assert html == tmp_path / "out" / "index.html"
    assert "<title>nothing here</title>" in html.read_text() and "No plots to show." in html.read_text()


def test_without_the_renderer_charts_fail_with_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # as if 'pivot[plots]' was not installed
    view = PlotView(PlotSpec("loss.csv", "linear", "step", ("loss",)), "data", (Series("HEAD", curve(3)),))
    with pytest.raises(errors.PivotError) as failed:
        page.write([view], tmp_path / "out")
    assert failed.value.exit_code == 2
    assert "vl-convert-python" in failed.value.message and failed.value.hint == "pip install 'pivot[plots]'"
    assert not (tmp_path / "out").exists()
    # images need no renderer: a page of images is still written
    image = PlotView(PlotSpec("roc.png"), "image", (Series("HEAD", image=b"\x89PNG"),))
    assert "data:image/png;base64," in page.write([image], tmp_path / "out").read_text()


def test_a_long_scatter_keeps_a_sample_and_its_extremes(tmp_path):
    # rows in no order of y: the highest and lowest points sit mid-series
    points = tuple({"actual": i, "predicted": (i * 7919) % 10_007 / 100} for i in range(10_000))
    view = PlotView(PlotSpec("pred.csv", "scatter", "actual", ("predicted",)), "data", (Series("HEAD", points),))
    text = page.write([view], tmp_path / "out").read_text()
    assert re.search(r"an even sample for a scatter\): HEAD: 1,2\d\d of 10,000 points", text)
    drawn = re.findall(r'aria-label="actual: [^;]+; predicted: ([\d.,]+)', text)
    assert 1_200 <= len(drawn) <= 1_204
    top, bottom = max(p["predicted"] for p in points), min(p["predicted"] for p in points)
    assert f"{top:,.2f}".rstrip("0").rstrip(".") in drawn and f"{bottom:g}" in drawn


def test_cells_that_are_not_finite_numbers_are_left_out_of_a_line(tmp_path):
    cells = ["1.5", 2, float("nan"), float("inf"), True, 10**400, None, "n/a", 3.0]
    view = PlotView(
        PlotSpec("odd.json", "linear", "step", ("loss",)),
        "data",
        (Series("HEAD", tuple({"step": i, "loss": cell} for i, cell in enumerate(cells))),),
    )
    text = page.write([view], tmp_path / "out").read_text()
    [path] = re.findall(r'aria-roledescription="line mark" d="([^"]+)"', text)
    assert len(re.findall(r"[ML]", path)) == 3  # "1.5", 2 and 3.0
