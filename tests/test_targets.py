"""STAGE arguments: a full name, a base name (every variant) or a glob, alike in every command."""

from __future__ import annotations

import json
import shutil

import pytest
from test_input_errors import expect_error
from test_matrix import GRID, STAGES, VARIANTS

from pivot import errors
from pivot.declare import targets

REPORT = '''

def report(
    a: Annotated[dict, outputs.Dep("models/small/imdb.json", loaders.JSON())],
    b: Annotated[dict, outputs.Dep("big/large-sst.json", loaders.JSON())],
) -> Annotated[str, outputs.Out("report.txt", loaders.Text())]:
    return f"{a['hidden']} {b['hidden']}"
'''
RUN = ("run", "--executor", "inprocess")
NAMES = ["prep", "train@a_x", "train@a_y", "train@b_x", "trainer"]


@pytest.fixture
def grid(project):
    files = {"stages.py": STAGES + REPORT, "pivot.yaml": GRID + "  report:\n    python: stages.report\n"}
    files.update({f"data/{d}.txt": f"{d} text\n" for d in ("imdb", "yelp", "sst")})
    return project(files)


def decided(pivot, *args: str) -> list[str]:
    return [d["stage"] for d in json.loads(pivot("explain", "--json", *args).output)]


def test_resolve_full_names_base_names_and_globs_in_pipeline_order():
    assert targets.resolve(["train@b_x", "prep"], NAMES) == ("prep", "train@b_x")
    assert targets.resolve(["train"], NAMES) == ("train@a_x", "train@a_y", "train@b_x")  # not 'trainer'
    assert targets.resolve(["train@*_x", "train@a_x"], NAMES) == ("train@a_x", "train@b_x")
    assert targets.resolve(["train*"], NAMES) == ("train@a_x", "train@a_y", "train@b_x", "trainer")
    assert targets.resolve(["train@[ab]_y"], NAMES) == ("train@a_y",)


def test_resolve_unknown_names_and_empty_globs():
    with pytest.raises(errors.UnknownStageError, match="unknown stage 'trian'") as info:
        targets.resolve(["trian"], NAMES)
    assert info.value.hint == "did you mean 'train'?"
    with pytest.raises(errors.UnknownStageError, match=r"no stage matches 'train@\*_z'"):
        targets.resolve(["train@*_z"], NAMES)


def test_run_a_base_name_runs_every_variant_and_a_target_its_upstream_only(grid, pivot):
    result = pivot(*RUN, "report")
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in (grid / ".pivot/stages").iterdir()) == ["report", "train@large_sst", "train@small_imdb"]
    assert "4 ran, 2 skipped" in pivot(*RUN, "train").output  # the two report needed ran already
    assert "0 ran, 6 skipped" in pivot(*RUN, "train").output


def test_run_a_glob(grid, pivot):
    result = pivot(*RUN, "train@*_yelp")
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in (grid / ".pivot/stages").iterdir()) == ["train@large_yelp", "train@small_yelp"]


def test_explain_and_status_show_the_targets_only(grid, pivot):
    assert decided(pivot, "train") == VARIANTS
    assert decided(pivot, "train@small_*", "report") == ["train@small_imdb", "train@small_yelp", "train@small_sst", "report"]
    assert decided(pivot, "report") == ["report"]
    status = json.loads(pivot("status", "--json", "train@*_sst").output)
    assert list(status) == ["train@small_sst", "train@large_sst"]
    lines = pivot("status", "train@large_imdb").output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("train@large_imdb  will run")


def test_params_show_by_base_name_and_glob(grid, pivot):
    assert list(json.loads(pivot("params", "show", "--json", "train").output)) == VARIANTS
    assert list(json.loads(pivot("params", "show", "--json", "train@large_*").output)) == VARIANTS[3:]


def test_list_and_dag_take_targets(grid, pivot):
    assert [s["name"] for s in json.loads(pivot("list", "--json", "train@*_imdb").output)] == [
        "train@small_imdb",
        "train@large_imdb",
    ]
    assert pivot("dag", "report").output == (
        "train@small_imdb\ntrain@large_sst\nreport            <- train@small_imdb, train@large_sst\n"
    )


@pytest.mark.parametrize(
    "args",
    [RUN, ("explain",), ("status",), ("params", "show"), ("list",), ("dag",), ("push",), ("fetch",), ("pull",), ("checkout",)],
)
def test_an_unknown_target_is_exit_2_everywhere(grid, pivot, args):
    assert pivot("remote", "add", "-d", "origin", str(grid.parent / "remote")).exit_code == 0
    expect_error(pivot, grid, (*args, "trian"), "unknown stage 'trian'", "did you mean 'train'?")
    expect_error(pivot, grid, (*args, "train@*_imbd"), "no stage matches 'train@*_imbd'")


def test_push_and_pull_by_glob_and_base_name(grid, pivot):
    assert pivot(*RUN).exit_code == 0
    assert pivot("remote", "add", "-d", "origin", str(grid.parent / "remote")).exit_code == 0
    pushed = pivot("push", "train@small_*")
    assert pushed.exit_code == 0, pushed.output
    assert "Pushed 3 files" in pushed.output
    plan = json.loads(pivot("status", "--remote", "--json").output)
    assert sorted(plan["push"]) == ["big/large-imdb.json", "big/large-sst.json", "big/large-yelp.json", "report.txt"]
    assert "Pushed 3 files" in pivot("push", "train").output  # the large variants; report is not a variant
    shutil.rmtree(grid / ".pivot/cache")
    shutil.rmtree(grid / "big")
    shutil.rmtree(grid / "models")
    pulled = pivot("pull", "train@*_sst")
    assert pulled.exit_code == 0, pulled.output
    restored = [*grid.glob("big/*.json"), *grid.glob("models/*/*.json")]
    assert sorted(p.relative_to(grid).as_posix() for p in restored) == [
        "big/large-sst.json",
        "models/small/sst.json",
    ]
