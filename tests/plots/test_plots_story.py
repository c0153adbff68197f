"""What a user does with the plots commands, end to end: a pipeline with a loss curve (CSV), a
confusion matrix (CSV) and an image (PNG); `pivot plots show` writes a page that draws all three
in an offline browser, and `pivot plots diff HEAD~1` overlays the two revisions."""

from __future__ import annotations

import pytest

from plots.conftest import run_and_commit
from plots.test_page_browser import marks_of, screenshot_on_failure, vertices

pytestmark = pytest.mark.slow  # starts Chromium


def test_plots_show_draws_the_curve_the_matrix_and_the_image(plots_project, pivot, browser, tmp_path):
    result = pivot("plots", "show", "-o", "page")

    assert result.exit_code == 0, result.output
    html = plots_project / "page" / "index.html"
    assert result.output.strip().endswith("index.html")
    with screenshot_on_failure(browser, html, tmp_path):
        found = marks_of(browser.dom(html))
        assert sorted(found) == ["train:confusion.csv", "train:curve.png", "train:loss.csv"]
        assert sorted(vertices(line) for line in found["train:loss.csv"]["line"]) == [4, 4]  # loss, val_loss
        assert len(found["train:confusion.csv"]["rect"]) == 3  # cat/cat, cat/dog, dog/dog
        assert [img["data-loaded"] for img in found["train:curve.png"]["img"]] == ["true"]


def test_plots_diff_overlays_a_revision_and_the_workspace(plots_project, pivot, browser, tmp_path):
    run_and_commit(plots_project, "2.0", "more data")

    result = pivot("plots", "diff", "HEAD~1", "-o", "diff")

    assert result.exit_code == 0, result.output
    html = plots_project / "diff" / "index.html"
    with screenshot_on_failure(browser, html, tmp_path):
        found = marks_of(browser.dom(html))
        lines = found["train:loss.csv"]["line"]
        assert {line["aria-label"].split("revision: ")[1] for line in lines} == {
            "HEAD~1 · loss", "HEAD~1 · val_loss", "workspace · loss", "workspace · val_loss",
        }
        assert len(found["train:confusion.csv"]["rect"]) == 3 + 4  # one heatmap per revision; the new one has dog/cat
        assert [img["data-loaded"] for img in found["train:curve.png"]["img"]] == ["true", "true"]
