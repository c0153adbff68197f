"""Params: params.yaml over pivot.yaml `params:` over Python defaults, as `pivot params show`
prints them and as the stage receives them; `StageParams` rejects unknown keys."""

from __future__ import annotations

import json
import pathlib
import re

import pydantic
import pytest

from pivot import errors
from pivot.base import project, yamldoc
from pivot.declare import params
from pivot.stage_def import StageParams

STAGES = '''
from typing import Annotated

from pivot import loaders, outputs
from pivot.stage_def import StageParams


class TrainParams(StageParams):
    learning_rate: float = 0.01
    epochs: int = 100
    batch_size: int = 32


class PrepParams(StageParams):
    columns: list[str] = ["a", "b"]
    options: dict[str, int] = {}


def train(
    params: TrainParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]
) -> Annotated[str, outputs.Out("received.json", loaders.Text())]:
    return params.model_dump_json()


def prep(params: PrepParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> None:
    return None


def plain(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> None:
    return None
'''

PIPELINE = """\
stages:
  plain:
    python: stages.plain
  train:
    python: stages.train
    params:
      epochs: 200
      learning_rate: 0.05
"""


def test_defaults_only(project, pivot):
    project({"stages.py": STAGES, "data.txt": "x", "pivot.yaml": "stages:\n  train:\n    python: stages.train\n"})
    shown = pivot("params", "show", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == {"train": {"learning_rate": 0.01, "epochs": 100, "batch_size": 32}}


def test_pivot_yaml_overrides_defaults_in_class_field_order(project, pivot):
    project({"stages.py": STAGES, "data.txt": "x", "pivot.yaml": PIPELINE})
    shown = pivot("params", "show", "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data == {"train": {"learning_rate": 0.05, "epochs": 200, "batch_size": 32}}
    assert list(data["train"]) == ["learning_rate", "epochs", "batch_size"]


def test_params_yaml_overrides_pivot_yaml(project, pivot):
    project(
        {
            "stages.py": STAGES,
            "data.txt": "x",
            "pivot.yaml": PIPELINE,
            "params.yaml": "train:\n  epochs: 10\n",  # learning_rate still from pivot.yaml
        }
    )
    shown = pivot("params", "show", "--json")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data == {"train": {"learning_rate": 0.05, "epochs": 10, "batch_size": 32}}
    assert list(data["train"]) == ["learning_rate", "epochs", "batch_size"]


def test_the_stage_receives_the_resolved_params(project, pivot):
    root = project(
        {
            "stages.py": STAGES,
            "data.txt": "x",
            "pivot.yaml": PIPELINE,
            "params.yaml": "train:\n  batch_size: 8\n  learning_rate: 0.001\n",
        }
    )
    result = pivot("run", "--executor", "inprocess", "train")
    assert result.exit_code == 0, result.output
    received = json.loads((root / "received.json").read_text())
    assert received == {"learning_rate": 0.001, "epochs": 200, "batch_size": 8}
    lock = (root / ".pivot/stages/train.lock").read_text()
    assert "0.001" in lock and "200" in lock


def test_show_table_and_single_stage(project, pivot):
    project({"stages.py": STAGES, "data.txt": "x", "pivot.yaml": PIPELINE + "  prep:\n    python: stages.prep\n"})
    table = pivot("params", "show")
    assert table.exit_code == 0, table.output
    assert table.output.splitlines() == [
        "Stage  Param          Value",
        "train  learning_rate  0.05",
        "train  epochs         200",
        "train  batch_size     32",
        'prep   columns        ["a", "b"]',
        "prep   options        {}",
    ]
    one = pivot("params", "show", "train", "--json")
    assert json.loads(one.output) == {"train": {"learning_rate": 0.05, "epochs": 200, "batch_size": 32}}


def test_stages_without_params_are_left_out(project, pivot):
    project({"stages.py": STAGES, "data.txt": "x", "pivot.yaml": "stages:\n  plain:\n    python: stages.plain\n"})
    shown = pivot("params", "show", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == {}


def test_yaml_values_are_validated_and_coerced(project, pivot):
    # YAML reads 1e-3 as a string and 3 as an int; the class's types decide.
    project(
        {
            "stages.py": STAGES,
            "data.txt": "x",
            "pivot.yaml": "stages:\n  train:\n    python: stages.train\n    params:\n      learning_rate: 1e-3\n      epochs: '7'\n",
        }
    )
    shown = pivot("params", "show", "--json")
    assert json.loads(shown.output) == {"train": {"learning_rate": 0.001, "epochs": 7, "batch_size": 32}}


def test_structured_params_merge_per_key_not_deep(project, pivot):
    project(
        {
            "stages.py": STAGES,
            "data.txt": "x",
            "pivot.yaml": "stages:\n  prep:\n    python: stages.prep\n    params:\n      options: {x: 1, y: 2}\n",
            "params.yaml": "prep:\n  options: {y: 3}\n",
        }
    )
    shown = pivot("params", "show", "--json")
    assert json.loads(shown.output) == {"prep": {"columns": ["a", "b"], "options": {"y": 3}}}


def test_empty_params_sections_are_fine(project, pivot):
    # Every key commented out leaves `params:` / `train:` as null: the defaults apply.
    project(
        {
            "stages.py": STAGES,
            "data.txt": "x",
            "pivot.yaml": "stages:\n  train:\n    python: stages.train\n    params:\n      # epochs: 3\n",
            "params.yaml": "train:\n  # epochs: 4\n",
        }
    )
    shown = pivot("params", "show", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output) == {"train": {"learning_rate": 0.01, "epochs": 100, "batch_size": 32}}


# --- StageParams ---------------------------------------------------------------------------------


class TrainParams(StageParams):
    learning_rate: float = 0.01
    epochs: int = 100


def test_stageparams_rejects_unknown_keys():
    with pytest.raises(pydantic.ValidationError, match="extra"):
        TrainParams(learning_rat=0.5)
    with pytest.raises(pydantic.ValidationError):
        TrainParams.model_validate({"epochs": 3, "nope": 1})


def test_stageparams_validates_types_and_keeps_defaults():
    assert TrainParams(epochs="5").epochs == 5
    assert TrainParams().model_dump() == {"learning_rate": 0.01, "epochs": 100}
    with pytest.raises(pydantic.ValidationError):
        TrainParams(epochs="many")


# --- params.resolve, directly --------------------------------------------------------------------


def _source(tmp_path: pathlib.Path, display: str, text: str, prefix: tuple[str, ...]) -> params.Source:
    path = tmp_path / display
    path.write_text(text)
    doc = yamldoc.load(path, display)
    values: object = doc.data
    for part in prefix:
        values = values[part]  # type: ignore[index]
    return params.Source(values, doc, prefix)  # type: ignore[arg-type]


def test_resolve_precedence_and_error_source(tmp_path):
    low = _source(tmp_path, "pivot.yaml", "stages:\n  t:\n    params:\n      epochs: 2\n      learning_rate: 0.5\n", ("stages", "t", "params"))
    high = _source(tmp_path, "params.yaml", "t:\n  epochs: 3\n", ("t",))
    assert params.resolve("t", TrainParams, [low, high]) == {"learning_rate": 0.5, "epochs": 3}

    bad_high = _source(tmp_path, "params.yaml", "t:\n\n  epochs: x\n", ("t",))
    with pytest.raises(errors.ParamsError, match=r"^params.yaml:3: stage 't': param 'epochs'"):
        params.resolve("t", TrainParams, [low, bad_high])

    bad_low = _source(tmp_path, "pivot.yaml", "stages:\n  t:\n    params:\n      epochs: x\n", ("stages", "t", "params"))
    with pytest.raises(errors.ParamsError, match=r"^pivot.yaml:4: stage 't': param 'epochs'"):
        params.resolve("t", TrainParams, [bad_low, params.Source({}, high.doc, high.prefix)])


def test_resolve_without_a_params_class(tmp_path):
    empty = params.Source({}, yamldoc.Document(tmp_path / "params.yaml", "params.yaml", {}, {}), ("t",))
    assert params.resolve("t", None, [empty]) == {}
    given = _source(tmp_path, "params.yaml", "t:\n  epochs: 3\n", ("t",))
    with pytest.raises(errors.ParamsError, match=re.escape("params.yaml:2: stage 't' has params")):
        params.resolve("t", None, [empty, given])


def test_params_file_for_unknown_stage(tmp_path):
    (tmp_path / "params.yaml").write_text("trian:\n  epochs: 3\n")
    with pytest.raises(errors.ParamsError) as info:
        params.load_params_file(project.Project(tmp_path), ["train", "prep"])
    assert info.value.message == "params.yaml:1: params for unknown stage 'trian'"
    assert info.value.hint == "did you mean 'train'?"
