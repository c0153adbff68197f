"""`pivot dag --html` in a real headless Chromium with the network cut off: every stage's box is
drawn in its state's colour with its text, the edges and the legend are there. A failing test
leaves a screenshot of the page beside it (the path is in the failure message)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import dag_project
import pytest

from pivot.report.dagpage import COLOURS, State

pytestmark = pytest.mark.slow  # starts Chromium


@contextlib.contextmanager
def _screenshot_on_failure(browser, page, png) -> Iterator[None]:  # type: ignore[no-untyped-def]
    try:
        yield
    except AssertionError as failure:
        browser.screenshot(page, png)
        raise AssertionError(f"{failure}\nscreenshot: {png}") from failure


def _box(dom: str, stage: str) -> str:
    found = re.search(rf'<g class="stage state-[^"]+" data-stage="{re.escape(stage)}".*?</g>', dom, re.S)
    assert found, f"no box for {stage}"
    return found.group(0)


def test_the_page_renders_every_state_offline(project, pivot, browser, tmp_path):
    root = dag_project.make(project, pivot)
    assert pivot("dag", "--html").exit_code == 0
    page = root / "pivot_dag.html"
    dom = browser.dom(page)
    with _screenshot_on_failure(browser, page, tmp_path / "dag.png"):
        for stage, state, text in dag_project.EXPECTED:
            box = _box(dom, stage)
            assert f'data-state="{state}"' in box and f'fill="{COLOURS[State(state)][0]}"' in box, box
            assert text in box, box
        assert "model.txt" in _box(dom, "train")  # the outputs are listed
        drawn = set(re.findall(r'<path class="edge" data-from="([^"]+)" data-to="([^"]+)"', dom))
        assert drawn == dag_project.EDGES
        legend = re.findall(r'<li class="legend-item state-[^"]+" data-state="([^"]+)">.*?\((\d+)\)</li>', dom)
        assert legend == [("up-to-date", "2"), ("stale", "1"), ("failed", "1"), ("never-run", "1")]
        assert browser.screenshot(page, tmp_path / "dag.png", size="1000,700").stat().st_size > 0
