"""The PR comment draws the plots that changed: a loss curve as a Mermaid xychart GitHub renders
in the comment (old and new revision, at most 100 points a series), the confusion matrix and the
image as a note pointing at the run's plots page; nothing when no plot changed."""

from __future__ import annotations

import os

import mermaid_grammar
import pytest
from fake_github import FakeGitHub

from plots.conftest import run_and_commit

HEADING = "#### Plots"


@pytest.fixture(autouse=True)
def _no_ci_env(monkeypatch):
    for name in list(os.environ):  # the suite's own CI variables must not leak in
        if name.startswith("GITHUB_") or name in ("GH_TOKEN", "CI"):
            monkeypatch.delenv(name)


def test_no_plot_changed_no_section(plots_project, pivot):
    shown = pivot("ci", "comment", "--dry-run", "--base", "HEAD")
    assert shown.exit_code == 0, shown.output
    assert HEADING not in shown.output


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_a_changed_curve_is_a_chart_and_the_rest_a_note(plots_project, pivot):
    (plots_project / "data.txt").write_text("2.0\n")
    assert pivot("run").exit_code == 0

    shown = pivot("ci", "comment", "--dry-run", "--base", "HEAD")

    assert shown.exit_code == 0, shown.output
    section = shown.output.split(HEADING + "\n\n")[1]
    (chart,) = mermaid_grammar.check(section)  # one chart: the loss curve; it parses as Mermaid would
    assert chart.title is not None and "Loss" in chart.title
    assert len(chart.plots) == 4  # loss and val_loss, at the base and in the workspace
    assert all(len(values) == 4 for _, _, values in chart.plots)
    assert "**Loss** (`loss.csv`)" in section
    assert "**confusion.csv** (`confusion.csv`): a confusion plot, drawn in `pivot plots diff`" in section
    assert "curve.png" not in section  # the image's bytes did not change
    assert pivot("ci", "comment", "--dry-run", "--base", "HEAD", "--no-plots").output.count(HEADING) == 0


def test_the_comment_links_the_runs_page_and_the_summary_has_the_chart(plots_project, pivot, tmp_path, monkeypatch):
    run_and_commit(plots_project, "3.0", "more data")
    with FakeGitHub() as gh:
        env, summary = gh.pull_request_env(tmp_path, GITHUB_SERVER_URL="https://github.example", GITHUB_RUN_ID="77")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        result = pivot("ci", "comment", "--base", "HEAD~1")
        assert result.exit_code == 0, result.output
        (comment,) = gh.comments
    for text in (comment["body"], summary.read_text()):
        assert HEADING in text
        assert len(mermaid_grammar.check(text.split(HEADING)[1])) == 1
        assert f"[`pivot-plots` artifact of this run](https://github.example/{gh.repository}/actions/runs/77)" in text


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_the_plots_page_for_the_artifact_is_written_beside_the_comment(plots_project, pivot):
    (plots_project / "data.txt").write_text("2.0\n")
    assert pivot("run").exit_code == 0

    shown = pivot("ci", "comment", "--dry-run", "--base", "HEAD", "--plots-page", "pivot_plots")

    assert shown.exit_code == 0, shown.output
    page = (plots_project / "pivot_plots" / "index.html").read_text()
    assert "HEAD" in page and "workspace" in page
    assert page.count("<section") == 3  # the loss curve, the confusion matrix and the image
