"""A Metric is a mapping of names to values: a stage returning a scalar or a list for it fails,
naming the stage, the metric and what it got, and the previous run's lock and metric stay."""

from __future__ import annotations

import json

import pytest

STAGES = '''
import json
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs


class Trained(TypedDict):
    model: Annotated[str, outputs.Out("model.txt", loaders.Text())]
    score: Annotated[dict, outputs.Metric("metrics.json")]


def train(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Trained:
    return {"model": "m-" + data, "score": json.loads(pathlib.Path("value.json").read_text())}


def single() -> Annotated[dict, outputs.Metric("single.yaml", loaders.YAML())]:
    return json.loads(pathlib.Path("value.json").read_text())
'''

PIPELINE = "stages:\n  train:\n    python: stages.train\n  single:\n    python: stages.single\n"


@pytest.mark.parametrize(
    ("value", "type_name"), [("0.93", "float"), ("[0.9, 0.8]", "list"), ("null", "NoneType")]
)
@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_metric_that_is_not_a_mapping_fails_the_stage_and_keeps_the_last_run(project, pivot, value, type_name):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "a", "value.json": '{"acc": 0.5}'})
    assert pivot("run").exit_code == 0
    lock_before = (root / ".pivot" / "stages" / "train.lock").read_text()
    (root / "value.json").write_text(value)
    result = pivot("run", "-k", "-f")
    assert result.exit_code == 1, result.output
    assert (
        f"train: FAILED: stage 'train': metric 'metrics.json' must be a dict of names to values, got {type_name}"
        in result.output
    )
    assert f"stage 'single': metric 'single.yaml' must be a dict of names to values, got {type_name}" in result.output
    assert "Traceback" not in result.output
    assert (root / ".pivot" / "stages" / "train.lock").read_text() == lock_before
    assert not (root / "metrics.json").exists()  # nothing half-written from the bad return
    # the lock still records the last good run: a plain run brings its metric back
    assert pivot("run").exit_code == 0
    assert json.loads(pivot("metrics", "show", "--json").stdout)["metrics.json"] == {"acc": 0.5}


WRITES_ITSELF = '''
import pathlib
from typing import Annotated

from pivot import loaders, outputs


def score() -> Annotated[pathlib.Path, outputs.Metric("score.json", loaders.PathOnly())]:
    pathlib.Path("score.json").write_text(pathlib.Path("value.txt").read_text())
    return pathlib.Path("score.json")
'''


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.93", "'score.json' must be a dict of names to values, got float"),
        ("{oops", "score.json line 1: not valid JSON: Expecting property name enclosed in double quotes (column 2)"),
    ],
)
@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_metric_file_the_stage_writes_itself_is_checked_too(project, pivot, text, message):
    root = project({"stages.py": WRITES_ITSELF, "pivot.yaml": "stages:\n  score:\n    python: stages.score\n", "value.txt": text})
    result = pivot("run")
    assert result.exit_code == 1, result.output
    assert f"score: FAILED: stage 'score': metric {message}" in result.output
    assert not (root / ".pivot" / "stages" / "score.lock").exists()
    (root / "value.txt").write_text('{"auc": 0.8}')
    assert pivot("run").exit_code == 0
