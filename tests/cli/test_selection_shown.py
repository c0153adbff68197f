"""The selection options on the commands that only show stages (docs/selection.md): `pivot list`
and `pivot dag` pick the stages `status` would list or decide, and a dep that is missing is no
reason to refuse there, since nothing runs."""

from __future__ import annotations

import json

from tests.cli.test_selection import PIPELINE, ok
from tests.conftest import assert_clean_error


def listed(out: str) -> list[str]:
    return [stage["name"] for stage in json.loads(out)]


def drawn(out: str) -> list[str]:
    """The stage names `pivot dag` (text) draws, in its order."""
    return [line.strip() for line in out.splitlines() if line.strip() and not line.strip().startswith(("<-", "->", "|"))]


def test_list_keeps_or_leaves_out_the_tagged_stages(project, pivot):
    project({"pivot.yaml": PIPELINE})
    assert listed(ok(pivot("list", "--json", "--tag", "ml"))) == ["train", "evaluate"]
    assert listed(ok(pivot("list", "--json", "--exclude-tag", "slow"))) == ["prepare", "evaluate", "lint"]
    assert listed(ok(pivot("list", "--json", "--tag", "ml", "--exclude-tag", "slow"))) == ["evaluate"]


def test_list_downstream_shows_the_stage_and_what_depends_on_it(project, pivot):
    project({"pivot.yaml": PIPELINE})
    assert listed(ok(pivot("list", "--json", "--downstream", "prepare"))) == ["prepare", "train", "evaluate"]
    assert listed(ok(pivot("list", "--json", "train"))) == ["train"]  # as before: the named stage only
    text = ok(pivot("list", "--tag", "data"))
    assert "prepare" in text and "train" not in text


def test_dag_reaches_downstream_or_not_at_all(project, pivot):
    project({"pivot.yaml": PIPELINE})
    mermaid = ok(pivot("dag", "--mermaid", "train"))
    assert "prepare" in mermaid and "evaluate" not in mermaid  # upstream, as before
    mermaid = ok(pivot("dag", "--mermaid", "--downstream", "train"))
    assert "evaluate" in mermaid and "prepare" not in mermaid and "lint" not in mermaid
    mermaid = ok(pivot("dag", "--mermaid", "-s", "train"))
    assert "train" in mermaid and "prepare" not in mermaid and "evaluate" not in mermaid


def test_dag_leaves_out_excluded_stages_without_asking_for_their_outputs(project, pivot):
    # Excluding `train` leaves evaluate's dep model.txt missing and unproduced: `run` refuses
    # that (or skips with --allow-missing), but drawing the graph needs no data.
    project({"pivot.yaml": PIPELINE})
    dot = ok(pivot("dag", "--dot", "--exclude-tag", "slow"))
    assert "evaluate" in dot and "train" not in dot
    assert listed(ok(pivot("list", "--json", "-s", "evaluate"))) == ["evaluate"]


def test_dag_html_draws_only_the_selected_stages(project, pivot, tmp_path):
    project({"pivot.yaml": PIPELINE})
    page = tmp_path / "dag.html"
    ok(pivot("dag", "--html", "-o", str(page), "--tag", "data", "--downstream"))
    html = page.read_text()
    assert ">train<" in html and ">evaluate<" in html and ">lint<" not in html


def test_a_tag_no_stage_has_is_refused_with_the_closest_one(project, pivot):
    project({"pivot.yaml": PIPELINE})
    for command in (("list",), ("dag",)):
        result = pivot(*command, "--tag", "ml2")
        assert_clean_error(result, "no stage has the tag 'ml2'")
        assert "ml" in result.output


def test_downstream_and_single_stage_together_are_refused(project, pivot):
    project({"pivot.yaml": PIPELINE})
    result = pivot("dag", "--downstream", "-s", "train")
    assert_clean_error(result, "--downstream and --single-stage contradict each other")


def test_list_does_not_offer_allow_missing(project, pivot):
    project({"pivot.yaml": PIPELINE})
    result = pivot("list", "--allow-missing")
    assert result.exit_code == 2 and "No such option '--allow-missing'" in result.output
