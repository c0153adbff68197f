"""`Project.plots` from Python: the same views the commands draw, from a project opened anywhere."""

from __future__ import annotations

from pivot.api import Project
from pivot.plots.model import INDEX_FIELD
from tests.plots.conftest import run_and_commit


def test_plots_returns_one_view_per_plot_with_a_series_per_revision_in_order(plots_project, tmp_path, monkeypatch):
    run_and_commit(plots_project, "2.0", "second")
    monkeypatch.chdir(tmp_path)  # the library never needs the project to be the current directory
    result = Project.open(plots_project).plots(["train"], ["HEAD", "HEAD~1", "workspace"])
    assert (result.fetched, result.remote, result.fetch_error) == (0, None, None)
    loss, confusion, image = result.views
    assert [s.revision for s in loss.series] == ["HEAD", "HEAD~1", "workspace"]
    assert [s.rows[-1]["loss"] for s in loss.series] == [0.5, 0.25, 0.5]
    assert confusion.spec.x == "actual" and INDEX_FIELD not in confusion.series[0].rows[0]
    assert image.kind == "image" and all(s.image and s.image.startswith(b"\x89PNG") for s in image.series)
