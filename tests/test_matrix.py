"""Matrix stages: one pivot.yaml entry run over the cross product of its dimensions, each variant
with its own params and paths; params.yaml per base name and per variant; bad matrices are exit 2."""

from __future__ import annotations

import json
import pathlib
import subprocess

import pytest
from test_input_errors import expect_error

STAGES = '''
import pathlib
import time
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams


class TrainParams(StageParams):
    model: str = "none"
    dataset: str = "none"
    hidden: int = 1
    lr: float = 0.1
    note: str = ""


class TrainOutputs(TypedDict):
    model: Annotated[dict, outputs.Out("model.json", loaders.JSON())]
    metrics: Annotated[dict, outputs.Metric("metrics.json")]


def train(params: TrainParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> TrainOutputs:
    return {"model": {**params.model_dump(), "data": data.strip()}, "metrics": {"hidden": params.hidden}}


def train_together(params: TrainParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> TrainOutputs:
    """Waits until all six variants have started: it can only finish if they run at once."""
    started = pathlib.Path("started")
    started.mkdir(exist_ok=True)
    (started / f"{params.model}-{params.dataset}").touch()
    deadline = time.monotonic() + 90
    while len(list(started.iterdir())) < 6:
        if time.monotonic() > deadline:
            raise RuntimeError("the six variants did not run at the same time")
        time.sleep(0.05)
    return train(params, data)
'''

GRID = """\
stages:
  train:
    python: stages.train
    matrix:
      model:
        small:
          params:
            hidden: 64
        large:
          params:
            hidden: 512
          outs:
            model: big/${model}-${dataset}.json
      dataset: [imdb, yelp, sst]
    deps:
      data: data/${dataset}.txt
    outs:
      model: models/${model}/${dataset}.json
    metrics:
      metrics: metrics/${model}_${dataset}.json
    params:
      model: ${model}
      dataset: ${dataset}
      note: "${model} on ${dataset}"
"""

VARIANTS = [f"train@{m}_{d}" for m in ("small", "large") for d in ("imdb", "yelp", "sst")]
RUN = ("run", "--executor", "inprocess")


@pytest.fixture
def grid(project):
    files = {"stages.py": STAGES, "pivot.yaml": GRID}
    files.update({f"data/{d}.txt": f"{d} text\n" for d in ("imdb", "yelp", "sst")})
    return project(files)


def model_of(root: pathlib.Path, model: str, dataset: str) -> dict:
    folder = "big" if model == "large" else "models"
    name = f"{model}-{dataset}.json" if model == "large" else f"{model}/{dataset}.json"
    return json.loads((root / folder / name).read_text())


@pytest.mark.slow
def test_a_2x3_matrix_runs_six_variants_at_once_with_their_params_and_paths(grid, pivot_proc):
    (grid / "pivot.yaml").write_text(GRID.replace("stages.train", "stages.train_together"))
    result = pivot_proc("run", "-j6", "--executor", "loky", cwd=grid)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 ran" in result.stdout
    assert sorted(p.name for p in (grid / ".pivot/stages").iterdir()) == sorted(f"{v}.lock" for v in VARIANTS)
    for model, hidden in (("small", 64), ("large", 512)):
        for dataset in ("imdb", "yelp", "sst"):
            assert model_of(grid, model, dataset) == {
                "model": model,
                "dataset": dataset,
                "hidden": hidden,
                "lr": 0.1,
                "note": f"{model} on {dataset}",
                "data": f"{dataset} text",
            }
            assert json.loads((grid / f"metrics/{model}_{dataset}.json").read_text()) == {"hidden": hidden}
    again = pivot_proc("run", "-j6", "--executor", "loky", cwd=grid)
    assert "0 ran, 6 skipped" in again.stdout, again.stdout


def test_variants_are_named_by_values_joined_in_dimension_order(grid, pivot):
    listed = json.loads(pivot("list", "--json").output)
    assert [stage["name"] for stage in listed] == VARIANTS
    by_name = {stage["name"]: stage for stage in listed}
    assert by_name["train@small_yelp"]["deps"] == ["data/yelp.txt"]
    assert by_name["train@small_yelp"]["outs"] == ["models/small/yelp.json"]
    assert by_name["train@large_sst"]["outs"] == ["big/large-sst.json"]  # the mapping's override
    assert by_name["train@large_sst"]["metrics"] == ["metrics/large_sst.json"]


def test_a_name_template_names_the_variants(grid, pivot):
    text = GRID.replace("    matrix:\n", "    name: train@{dataset}-{model}\n    matrix:\n")
    (grid / "pivot.yaml").write_text(text)
    names = [stage["name"] for stage in json.loads(pivot("list", "--json").output)]
    assert names == [f"train@{d}-{m}" for m in ("small", "large") for d in ("imdb", "yelp", "sst")]
    result = pivot(*RUN, "train@sst-large")
    assert result.exit_code == 0, result.output
    assert (grid / ".pivot/stages/train@sst-large.lock").is_file()


def test_a_whole_dim_placeholder_keeps_the_values_type(project, pivot):
    project({
        "stages.py": STAGES,
        "data.txt": "x\n",
        "pivot.yaml": """\
            stages:
              train:
                python: stages.train
                matrix:
                  hidden: [8, 16]
                  lr: [0.5]
                outs:
                  model: m${hidden}.json
                metrics:
                  metrics: s${hidden}.json
                params:
                  hidden: ${hidden}
                  lr: "${lr}"
                  note: "h=${hidden}"
            """,
    })
    assert pivot(*RUN).exit_code == 0
    model = json.loads(pathlib.Path("m16.json").read_text())
    assert (model["hidden"], model["lr"], model["note"]) == (16, 0.5, "h=16")
    shown = json.loads(pivot("params", "show", "--json", "train@16_0.5").output)
    assert shown == {"train@16_0.5": {"model": "none", "dataset": "none", "hidden": 16, "lr": 0.5, "note": "h=16"}}


def test_params_yaml_base_name_then_variant_on_top(grid, pivot):
    (grid / "params.yaml").write_text("train:\n  lr: 0.5\n  hidden: 7\ntrain@large_sst:\n  lr: 0.9\n")
    assert pivot(*RUN).exit_code == 0
    assert model_of(grid, "large", "sst")["lr"] == 0.9
    assert model_of(grid, "large", "imdb")["lr"] == 0.5
    assert model_of(grid, "small", "imdb")["hidden"] == 7  # params.yaml over the matrix's override
    shown = json.loads(pivot("params", "show", "--json").output)
    assert list(shown) == VARIANTS
    assert {name: values["lr"] for name, values in shown.items()} == {
        **{name: 0.5 for name in VARIANTS},
        "train@large_sst": 0.9,
    }


def test_params_show_and_diff_per_variant(grid, pivot):
    assert pivot(*RUN).exit_code == 0
    subprocess.run(["git", "init", "-q"], cwd=grid, check=True)
    subprocess.run(["git", "add", "-A"], cwd=grid, check=True)
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "grid"], cwd=grid, check=True)
    (grid / "params.yaml").write_text("train@small_yelp:\n  lr: 0.3\n")
    table = pivot("params", "show", "train@small_yelp").output.splitlines()
    assert table[0].split() == ["Stage", "Param", "Value"]
    assert ["train@small_yelp", "lr", "0.3"] in [line.split() for line in table]
    assert json.loads(pivot("params", "diff", "--json").output) == {"train@small_yelp": {"lr": {"old": 0.1, "new": 0.3, "diff": 0.3 - 0.1}}}
    assert pivot("params", "diff", "--md").output.splitlines()[2] == "| train@small_yelp | lr | 0.1 | 0.3 |"


def test_a_params_yaml_key_for_an_unknown_variant_is_exit_2(grid, pivot):
    (grid / "params.yaml").write_text("train@small_imbd:\n  lr: 0.3\n")
    expect_error(pivot, grid, RUN, "params.yaml:1", "unknown stage 'train@small_imbd'", "did you mean 'train@small_imdb'?")


# --- bad matrices: exit 2, file:line, a hint, nothing written -------------------------------------


def break_grid(pivot, root: pathlib.Path, old: str, new: str, *fragments: str) -> None:
    assert old in GRID
    (root / "pivot.yaml").write_text(GRID.replace(old, new))
    expect_error(pivot, root, RUN, *fragments)


@pytest.fixture
def ran_grid(grid, pivot):
    assert pivot(*RUN).exit_code == 0
    return grid


def test_an_empty_dimension(ran_grid, pivot):
    break_grid(pivot, ran_grid, "[imdb, yelp, sst]", "[]", "pivot.yaml:14", "dimension 'dataset' has no values")


def test_a_value_listed_twice(ran_grid, pivot):
    break_grid(pivot, ran_grid, "[imdb, yelp, sst]", "[imdb, yelp, imdb]", "pivot.yaml:14", "lists 'imdb' twice")


def test_an_unresolved_placeholder(ran_grid, pivot):
    break_grid(
        pivot, ran_grid, "data/${dataset}.txt", "data/${datset}.txt",
        "pivot.yaml:16", "'${datset}' in 'deps.data'", "did you mean 'dataset'?",
    )


def test_an_unresolved_placeholder_in_an_override_and_in_params(ran_grid, pivot):
    break_grid(pivot, ran_grid, "big/${model}-", "big/${size}-", "pivot.yaml:13", "'matrix.model.large.outs.model'")
    break_grid(pivot, ran_grid, '"${model} on', '"${mode} on', "pivot.yaml:24", "'${mode}' in 'params.note'")


def test_an_unclosed_placeholder(ran_grid, pivot):
    break_grid(pivot, ran_grid, "data/${dataset}.txt", "data/${dataset.txt", "pivot.yaml:16", "unclosed '${'")


def test_a_placeholder_in_a_stage_without_matrix(ran_grid, pivot):
    plain = "stages:\n  train:\n    python: stages.train\n    deps:\n      data: data/${dataset}.txt\n"
    (ran_grid / "pivot.yaml").write_text(plain)
    expect_error(pivot, ran_grid, RUN, "pivot.yaml:5", "no 'matrix:'")


def test_two_variants_with_one_name(ran_grid, pivot):
    break_grid(
        pivot, ran_grid, "    matrix:\n", "    name: train@{model}\n    matrix:\n",
        "pivot.yaml:5", "two variants are both named 'train@small'", "use every dimension",
    )


def test_values_that_join_into_one_name(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": "stages:\n  train:\n    python: stages.train\n"
                    "    matrix:\n      a: [x_y, x]\n      b: [z, y_z]\n    outs:\n      model: ${a}/${b}.json\n"})
    expect_error(pivot, root, ("list",), "both named 'train@x_y_z'", "a=x_y, b=z; a=x, b=y_z", "separator")


def test_a_value_with_characters_a_name_cannot_hold(ran_grid, pivot):
    break_grid(
        pivot, ran_grid, "[imdb, yelp, sst]", "[imdb, yelp, data/sst]",
        "pivot.yaml:14", "variant name 'train@small_data/sst'", "mapping",
    )


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("train@{modl}-{dataset}", "'{modl}', which is not a matrix dimension"),
        ("tr@{model}-{dataset}", "must start with 'train@'"),
        ("train@{model-{dataset}", "is malformed"),
        ("train@{model:>8}_{dataset}", "only plain '{dimension}' fields"),
        ("train@{model} {dataset}", "characters other than"),
    ],
)
def test_a_bad_name_template(ran_grid, pivot, template, fragment):
    break_grid(pivot, ran_grid, "    matrix:\n", f"    name: '{template}'\n    matrix:\n", "pivot.yaml:4", fragment)


def test_a_name_template_without_matrix(ran_grid, pivot):
    (ran_grid / "pivot.yaml").write_text("stages:\n  train:\n    python: stages.train\n    name: train@x\n")
    expect_error(pivot, ran_grid, RUN, "pivot.yaml:4", "has no 'matrix:'")


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        ("[imdb, yelp, sst]", "imdb", ("pivot.yaml:14", "list of values or a mapping")),
        ("[imdb, yelp, sst]", "[imdb, [yelp]]", ("pivot.yaml:14", "'stages.train.matrix.dataset.1'", "single string")),
        ("          params:\n            hidden: 64", "          parms:\n            hidden: 64", ("pivot.yaml:7", "parms", "did you mean 'params'?")),
        ("      dataset:", "      data-set:", ("pivot.yaml:14", "'data-set' is not a valid name")),
    ],
)
def test_a_malformed_matrix(ran_grid, pivot, old, new, fragments):
    break_grid(pivot, ran_grid, old, new, *fragments)


def test_variants_writing_one_output_are_told_to_use_the_dimensions(ran_grid, pivot):
    break_grid(
        pivot, ran_grid, "models/${model}/${dataset}.json", "models/${model}.json",
        "pivot.yaml:2", "stages 'train@small_imdb' and 'train@small_yelp' both declare the output 'models/small.json'",
        "so each variant writes its own",
    )


def test_a_stage_key_with_an_at_sign(ran_grid, pivot):
    break_grid(pivot, ran_grid, "  train:\n", "  train@x:\n", "pivot.yaml:2", "'train@x' has characters", "matrix")
