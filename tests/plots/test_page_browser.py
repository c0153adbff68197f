"""The plots page opened in a real headless Chromium with the network cut off: every chart is
drawn with the series, points and cells its data holds, and every image loads."""

from __future__ import annotations

import base64
import contextlib
import math
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest

from pivot.plots import page
from pivot.plots.model import PlotSpec, PlotView, Series

pytestmark = pytest.mark.slow  # starts Chromium

# A 2x2 PNG: red, green / blue, white.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==")
SVG_IMAGE = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="teal"/></svg>'


class Marks(HTMLParser):
    """Per chart section of a DOM: the data marks Vega drew (one `path` per point, bar or cell,
    one per line series; a `text` per written count) and the images with their `data-loaded` state."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict[str, list[dict[str, str]]]] = {}
        self._section: dict[str, list[dict[str, str]]] | None = None
        self._groups: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "section":
            self._section = self.sections.setdefault(attr["data-plot"], {"svg": [], "img": [], "note": []})
        elif self._section is None:
            return
        elif tag == "svg":
            self._section["svg"].append(attr)
        elif tag == "img":
            self._section["img"].append(attr)
        elif tag == "g":
            self._groups.append(attr.get("class", ""))
            return
        elif tag in ("path", "text") and self._groups and "role-mark" in self._groups[-1]:
            kind = re.search(r"mark-(\w+)", self._groups[-1])
            self._section.setdefault(kind.group(1) if kind else "?", []).append(attr)

    def handle_endtag(self, tag: str) -> None:
        if tag == "g" and self._groups:
            self._groups.pop()
        elif tag == "section":
            self._section = None


def marks_of(dom: str) -> dict[str, dict[str, list[dict[str, str]]]]:
    parser = Marks()
    parser.feed(dom)
    return parser.sections


def vertices(path: dict[str, str]) -> int:
    """The points a line's path goes through."""
    return len(re.findall(r"[ML]", path["d"]))


@contextlib.contextmanager
def screenshot_on_failure(browser, html, tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    try:
        yield
    except AssertionError:
        png = browser.screenshot(html, tmp_path / "failure.png", size="1280,4000")
        pytest.fail(f"{html} did not render as expected; what a user sees: {png}", pytrace=True)


def rows(count: int, offset: float = 0.0) -> tuple[dict[str, float], ...]:
    return tuple({"step": i, "loss": math.exp(-i / 20) + offset, "acc": 1 - math.exp(-i / 15)} for i in range(count))


CONFUSION = tuple(
    {"actual": a, "predicted": p} for a in ("cat", "dog", "bird") for p in ("cat", "dog", "bird") if (a, p) != ("bird", "cat")
)


def test_each_template_and_image_renders_offline(browser, tmp_path):
    views = [
        PlotView(
            PlotSpec("loss.csv", "linear", "step", ("loss", "acc"), stage="train"),
            "data",
            (Series("HEAD~1", rows(40, 0.2)), Series("workspace", rows(30))),
        ),
        PlotView(PlotSpec("points.csv", "scatter", "step", ("acc",)), "data", (Series("HEAD", rows(25)),)),
        PlotView(
            PlotSpec("scores.json", "bar", "model", ("score",)),
            "data",
            (
                Series("HEAD", tuple({"model": m, "score": i + 1} for i, m in enumerate("abcd"))),
                Series("workspace", tuple({"model": m, "score": i + 2} for i, m in enumerate("abcd"))),
            ),
        ),
        PlotView(
            PlotSpec("confusion.csv", "confusion", "actual", ("predicted",)),
            "data",
            (Series("HEAD", CONFUSION), Series("workspace", CONFUSION[:4])),
        ),
        PlotView(PlotSpec("roc.png"), "image", (Series("HEAD", image=PNG), Series("workspace", image=PNG))),
        PlotView(PlotSpec("diagram.svg"), "image", (Series("HEAD", image=SVG_IMAGE),)),
    ]
    html = page.write(views, tmp_path / "plots")
    dom = browser.dom(html)
    with screenshot_on_failure(browser, html, tmp_path):
        found = marks_of(dom)
        assert list(found) == ["train:loss.csv", "points.csv", "scores.json", "confusion.csv", "roc.png", "diagram.svg"]
        for name in ("train:loss.csv", "points.csv", "scores.json", "confusion.csv"):
            assert [svg.get("data-drawn") for svg in found[name]["svg"]] == ["true"], name
        lines = found["train:loss.csv"]["line"]  # two revisions x two columns
        assert sorted(vertices(line) for line in lines) == [30, 30, 40, 40]
        assert {line["aria-label"].split("revision: ")[1] for line in lines} == {
            "HEAD~1 · loss",
            "HEAD~1 · acc",
            "workspace · loss",
            "workspace · acc",
        }
        assert len(found["points.csv"]["symbol"]) == 25
        assert len(found["scores.json"]["rect"]) == 8  # four bars per revision, side by side
        assert len(found["confusion.csv"]["rect"]) == len(CONFUSION) + 4  # one cell per pair seen
        assert len(found["confusion.csv"]["text"]) == len(CONFUSION) + 4  # each with its count
        assert [img["data-loaded"] for img in found["roc.png"]["img"]] == ["true", "true"]
        assert [img["data-loaded"] for img in found["diagram.svg"]["img"]] == ["true"]
        assert ">HEAD</figcaption>" in dom and ">workspace</figcaption>" in dom
        assert not re.search(r"(https?:|//)[\w.-]", html.read_text()), "the page names a URL"


def test_a_failed_revision_is_said_and_the_others_drawn(browser, tmp_path):
    views = [
        PlotView(
            PlotSpec("loss.csv", "linear", "step", ("loss",)),
            "data",
            (Series("HEAD", rows(10)), Series("exp-3", error="loss.csv is not in the cache nor on the remote")),
        ),
        PlotView(PlotSpec("gone.csv", "linear", "step", ("loss",)), "data", (Series("HEAD", error="gone.csv is missing at HEAD"),)),
    ]
    html = page.write(views, tmp_path / "plots")
    dom = browser.dom(html)
    with screenshot_on_failure(browser, html, tmp_path):
        found = marks_of(dom)
        assert len(found["loss.csv"]["line"]) == 1
        assert "exp-3: loss.csv is not in the cache nor on the remote" in dom
        assert found["gone.csv"]["svg"] == [] and "gone.csv is missing at HEAD" in dom


def test_a_thinned_series_still_draws_its_spike(browser, tmp_path):
    values = [{"step": i, "loss": 1 / (1 + i)} for i in range(10_000)]
    values[6_789]["loss"] = 50.0  # one diverging step: a user must still see it
    view = PlotView(PlotSpec("loss.csv", "linear", "step", ("loss",)), "data", (Series("HEAD", tuple(values)),))
    html = page.write([view], tmp_path / "plots")
    dom = browser.dom(html)
    with screenshot_on_failure(browser, html, tmp_path):
        [line] = marks_of(dom)["loss.csv"]["line"]
        assert vertices(line) <= 1_202
        assert "HEAD: 1,2" in dom and "of 10,000 points" in dom
        assert re.search(r">50</text>", dom), "the y axis no longer reaches the spike"
