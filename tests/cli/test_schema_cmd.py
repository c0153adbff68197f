"""`pivot schema` prints a JSON Schema that editors can check pivot.yaml against: the shipped
examples and a shell pipeline pass it, a typo'd key fails it as pivot itself refuses it."""

from __future__ import annotations

import json
import pathlib

import jsonschema
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHELL = """
vars:
  - params.yaml
stages:
  prepare:
    cmd: python prepare.py
    deps: [raw.csv]
    outs:
      - data.csv
      - cache_dir: {cache: false}
    params: [prepare.split]
  train:
    cmd: python train.py ${model}
    matrix:
      model: [a, b]
    metrics:
      - metrics_${model}.json: {cache: false}
    frozen: true
    mutex: gpu
"""


def _schema(pivot, *args: str) -> dict:
    result = pivot("schema", *args)
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _errors(schema: dict, text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    return [error.message for error in validator.iter_errors(yaml.safe_load(text))]


@pytest.mark.parametrize("example", ["tutorial", "matrix"])
def test_the_examples_pass_the_schema(pivot, example: str) -> None:
    schema = _schema(pivot)
    assert schema["title"] == "pivot.yaml"
    assert _errors(schema, (ROOT / "examples" / example / "pivot.yaml").read_text()) == []


def test_a_shell_pipeline_passes_the_schema(pivot) -> None:
    assert _errors(_schema(pivot), SHELL) == []


def test_an_empty_stages_section_passes(pivot) -> None:
    assert _errors(_schema(pivot), "stages:\n") == []


def test_a_typo_fails_the_schema_as_pivot_refuses_it(pivot, project) -> None:
    typo = "stages:\n  train:\n    python: stages.train\n    outz:\n      model: model.txt\n"
    assert _errors(_schema(pivot), typo)
    project({"pivot.yaml": typo})
    result = pivot("list")
    assert result.exit_code == 2
    assert "outz" in result.output


def test_a_stage_with_both_python_and_cmd_fails(pivot) -> None:
    assert _errors(_schema(pivot), "stages:\n  s:\n    python: a.b\n    cmd: echo\n")


def test_the_config_schema(pivot) -> None:
    schema = _schema(pivot, "--config")
    assert schema["title"] == ".pivot/config.yaml"
    good = "cache: {type: copy}\nremotes:\n  store: {url: s3://bucket/p, endpoint_url: http://x}\ndefault_remote: store\n"
    assert _errors(schema, good) == []
    assert _errors(schema, "executor: {kind: spark}\n")
    assert _errors(schema, "caches: {}\n")
