"""`pivot dag --html`: the page's boxes carry each stage's state as status decides it and the
last run recorded it (`.pivot/tmp/last_run.json`); a later successful run clears a failure.
The page in a real browser: tests/report/test_dag_html_browser.py."""

from __future__ import annotations

import json
import re

import dag_project
from conftest import assert_clean_error


def _states(page: str) -> dict[str, str]:
    return dict(re.findall(r'<g class="stage [^"]*" data-stage="([^"]+)" data-state="([^"]+)"', page))


def test_each_stage_has_its_state_and_the_path_is_printed(project, pivot):
    root = dag_project.make(project, pivot)
    shown = pivot("dag", "--html")
    assert shown.exit_code == 0, shown.output
    assert shown.output.strip() == str(root / "pivot_dag.html")
    page = (root / "pivot_dag.html").read_text()
    assert _states(page) == {name: state for name, state, _ in dag_project.EXPECTED}
    assert "Dependencies changed" in page and "dep eval.cfg: modified" in page
    assert "the input is not ready" in page
    assert len(re.findall(r'<path class="edge"', page)) == len(dag_project.EDGES)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page


def test_the_failure_is_recorded_and_a_successful_run_clears_it(project, pivot):
    root = dag_project.make(project, pivot)
    record = json.loads((root / ".pivot" / "tmp" / "last_run.json").read_text())
    assert list(record["failed"]) == ["broken"] and "the input is not ready" in record["failed"]["broken"]["error"]
    (root / "data.txt").write_text("fixed\n")
    assert pivot(*dag_project.RUN).exit_code == 0
    assert json.loads((root / ".pivot" / "tmp" / "last_run.json").read_text())["failed"] == {}
    pivot("dag", "--html", "-o", "out/dag.html")
    assert set(_states((root / "out" / "dag.html").read_text()).values()) == {"up-to-date"}


def test_targets_select_their_upstream_only(project, pivot):
    root = dag_project.make(project, pivot)
    assert pivot("dag", "--html", "-o", "d.html", "evaluate").exit_code == 0
    assert set(_states((root / "d.html").read_text())) == {"prepare", "train", "evaluate"}


def test_text_is_escaped_and_the_output_flag_needs_html(project, pivot):
    pipeline = "stages:\n  prepare:\n    python: stages.prepare\n    outs:\n      return: 'r&d<1>.txt'\n"
    root = project({"stages.py": dag_project.STAGES, "data.txt": "x", "pivot.yaml": pipeline})
    assert pivot("dag", "--html").exit_code == 0
    page = (root / "pivot_dag.html").read_text()
    assert "r&amp;d&lt;1&gt;.txt" in page and "r&d<1>" not in page
    assert_clean_error(pivot("dag", "-o", "x.html"), "-o names the --html page")


def test_a_page_that_cannot_be_written_is_a_clear_error(project, pivot):
    dag_project.make(project, pivot)
    assert_clean_error(pivot("dag", "--html", "-o", "pivot.yaml/dag.html"), "cannot write the page", "pivot.yaml/dag.html", "-o")
