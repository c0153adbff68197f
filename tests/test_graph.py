"""The stage graph: edges from resolved paths (directory outputs included), order, targets, and
the graph errors (cycles, duplicate/overlapping outputs, missing deps, self-dependencies)."""

from __future__ import annotations

import re

import pytest

from pivot import errors, loaders
from pivot.declare import graph
from pivot.declare.stage import DepSpec, OutKind, OutSpec, Returns, Stage


def stage(name: str, deps: tuple[str, ...] = (), outs: tuple[str, ...] = ()) -> Stage:
    return Stage(
        name=name,
        func=f"stages:{name}",
        deps=tuple(DepSpec(f"d{i}", path, loaders.PathOnly()) for i, path in enumerate(deps)),
        outs=tuple(OutSpec(f"o{i}", path, loaders.PathOnly(), OutKind.OUT, True) for i, path in enumerate(outs)),
        returns=Returns.MAPPING if outs else Returns.NOTHING,
        source=f"pivot.yaml:{len(name)}",
    )


def build(*stages: Stage, existing: tuple[str, ...] = ()) -> graph.Graph:
    return graph.build({s.name: s for s in stages}, exists=lambda path: path in existing)


# --- edges ---------------------------------------------------------------------------------------


def test_edge_from_an_exact_path():
    g = build(stage("b", deps=("a.txt",), outs=("b.txt",)), stage("a", outs=("a.txt",)))
    assert g.upstream == {"a": frozenset(), "b": frozenset({"a"})}
    assert g.downstream["a"] == frozenset({"b"})
    assert g.order == ("a", "b")
    assert g.producers == {"a.txt": "a", "b.txt": "b"}


def test_dep_on_a_file_inside_an_output_directory():
    g = build(stage("split", outs=("data/parts",)), stage("use", deps=("data/parts/p1.csv",)))
    assert g.upstream["use"] == frozenset({"split"})
    assert g.producer_of("data/parts/p1.csv") == "split"
    assert g.producer_of("data/partsx") is None


def test_dep_on_a_directory_holding_other_stages_outputs():
    g = build(stage("a", outs=("data/a.csv",)), stage("b", outs=("data/b.csv",)), stage("all", deps=("data",)))
    assert g.upstream["all"] == frozenset({"a", "b"})
    assert g.order[-1] == "all"


def test_sibling_prefix_is_not_an_edge():
    g = build(stage("a", outs=("out",)), stage("b", deps=("out-x/f.txt",)), existing=("out-x/f.txt",))
    assert g.upstream["b"] == frozenset()


def test_existing_dep_that_no_stage_produces_is_a_source():
    g = build(stage("a", deps=("raw/data.csv",), outs=("a.txt",)), existing=("raw/data.csv",))
    assert g.upstream["a"] == frozenset()
    assert g.order == ("a",)


def test_order_is_topological_and_keeps_declaration_order_for_ties():
    g = build(
        stage("report", deps=("m1", "m2")),
        stage("m2", deps=("clean",), outs=("m2",)),
        stage("m1", deps=("clean",), outs=("m1",)),
        stage("clean", deps=("raw",), outs=("clean",)),
        stage("lint", deps=("raw",)),
        existing=("raw",),
    )
    assert g.order == ("clean", "m2", "m1", "report", "lint")


def test_select_adds_upstream_in_order():
    g = build(
        stage("a", outs=("a",)),
        stage("b", deps=("a",), outs=("b",)),
        stage("c", deps=("b",), outs=("c",)),
        stage("other", outs=("o",)),
    )
    assert graph.select(g, ["c"]) == ("a", "b", "c")
    assert graph.select(g, ["b", "other"]) == ("a", "b", "other")
    assert graph.select(g, ["c"], upstream=False) == ("c",)
    assert graph.select(g, []) == g.order


def test_select_unknown_stage_suggests():
    g = build(stage("train", outs=("m",)), stage("prep", outs=("p",)))
    with pytest.raises(errors.UnknownStageError, match="unknown stage 'trian'") as info:
        graph.select(g, ["trian"])
    assert info.value.hint == "did you mean 'train'?"


# --- errors --------------------------------------------------------------------------------------


def test_cycle_is_named():
    with pytest.raises(errors.GraphError, match=r"cycle: a -> b -> a \(each stage feeds the next\)"):
        build(stage("a", deps=("b.txt",), outs=("a.txt",)), stage("b", deps=("a.txt",), outs=("b.txt",)))


def test_longer_cycle_is_named_in_order():
    with pytest.raises(errors.GraphError) as info:
        build(
            stage("a", deps=("c.txt",), outs=("a.txt",)),
            stage("b", deps=("a.txt",), outs=("b.txt",)),
            stage("c", deps=("b.txt",), outs=("c.txt",)),
        )
    # b reads a, c reads b, a reads c: the data flows a -> b -> c -> a
    assert "cycle: a -> b -> c -> a" in info.value.message
    assert info.value.hint


def test_cycle_through_a_directory_output():
    with pytest.raises(errors.GraphError, match="cycle"):
        build(stage("a", deps=("d/b.txt",), outs=("d/a",)), stage("b", deps=("d/a/x",), outs=("d/b.txt",)))


def test_self_dependency():
    with pytest.raises(errors.GraphError, match=r"stage 'a' depends on 'a/x.txt'.*its own output"):
        build(stage("a", deps=("a/x.txt",), outs=("a",)))


def test_two_stages_declare_one_output():
    with pytest.raises(errors.GraphError, match=r"pivot.yaml:\d+: stages 'a' and 'b' both declare the output 'x.txt'"):
        build(stage("a", outs=("x.txt",)), stage("b", outs=("x.txt",)))


def test_one_stage_declares_an_output_twice():
    with pytest.raises(errors.GraphError, match=re.escape("stage 'a' declares twice the output 'x.txt'")):
        build(stage("a", outs=("x.txt", "x.txt")))


@pytest.mark.parametrize(
    "paths",
    [
        ("out", "out/a.txt"),
        ("out/a.txt", "out"),
        ("out", "out-x", "out/deep/a.txt"),  # '-' sorts between 'out' and 'out/'
        ("out", "out.bak", "out/a.txt"),
    ],
)
def test_overlapping_outputs(paths):
    stages = [stage(f"s{i}", outs=(path,)) for i, path in enumerate(paths)]
    with pytest.raises(errors.GraphError, match="lies inside output 'out' of stage"):
        build(*stages)


def test_similar_names_are_not_overlapping():
    g = build(stage("a", outs=("out",)), stage("b", outs=("out-x",)), stage("c", outs=("output/a",)))
    assert set(g.producers) == {"out", "out-x", "output/a"}


def test_missing_dep_names_stage_and_path():
    # Issue 13: the graph records a missing dep (it blocks only the stages that need it); a run
    # that selects such a stage is refused with the message `build` used to raise for any command.
    g = build(stage("train", deps=("nowhere.csv",)), stage("other", outs=("o.txt",)))
    assert g.missing == {"train": ("nowhere.csv",)}
    graph.check_sources(g, ["other"])
    with pytest.raises(errors.GraphError) as info:
        graph.check_sources(g, ["other", "train"])
    assert info.value.message == (
        "pivot.yaml:5: stage 'train' depends on 'nowhere.csv', which does not exist and no stage produces it"
    )
    assert info.value.exit_code == 2


# --- through the CLI -----------------------------------------------------------------------------

CHAIN = '''
import pathlib
from typing import Annotated

from pivot import loaders, outputs


def split(raw: Annotated[str, outputs.Dep("raw.txt", loaders.Text())]) -> Annotated[pathlib.Path, outputs.Out("parts", loaders.PathOnly())]:
    out = pathlib.Path("parts")
    out.mkdir(exist_ok=True)
    for i, word in enumerate(raw.split()):
        (out / f"p{i}.txt").write_text(word)
    return out


def first(part: Annotated[str, outputs.Dep("parts/p0.txt", loaders.Text())]) -> Annotated[str, outputs.Out("first.txt", loaders.Text())]:
    return part.upper()


def unrelated(raw: Annotated[str, outputs.Dep("raw.txt", loaders.Text())]) -> Annotated[str, outputs.Out("len.txt", loaders.Text())]:
    return str(len(raw))
'''

CHAIN_YAML = """\
stages:
  first:
    python: stages.first
  unrelated:
    python: stages.unrelated
  split:
    python: stages.split
"""


def test_run_target_runs_its_upstream_through_a_directory_output(project, pivot):
    root = project({"stages.py": CHAIN, "raw.txt": "alpha beta\n", "pivot.yaml": CHAIN_YAML})
    status = pivot("status")
    assert status.exit_code == 0, status.output
    lines = [line.split()[0] for line in status.output.splitlines()]
    assert lines.index("split") < lines.index("first")

    result = pivot("run", "--executor", "inprocess", "first")
    assert result.exit_code == 0, result.output
    assert (root / "first.txt").read_text() == "ALPHA"
    assert not (root / "len.txt").exists()
    assert result.output.index("split:") < result.output.index("first:")
    assert "2 ran, 0 skipped, 0 failed" in result.output


def test_explain_names_the_upstream_stage(project, pivot):
    root = project({"stages.py": CHAIN, "raw.txt": "alpha beta\n", "pivot.yaml": CHAIN_YAML})
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    (root / "raw.txt").write_text("gamma delta\n")
    explained = pivot("explain", "first")
    assert explained.exit_code == 0, explained.output
    assert "Upstream stage will run (split)" in explained.output
