"""`mutex`, `always_changed` and `frozen` in pivot.yaml and pipeline.py: misuse is exit 2 with
file:line, the stage and the key; good values show in `status` and `explain`."""

from __future__ import annotations

import json

import pytest
from conftest import TRAIN_STAGES, assert_clean_error

GOOD = "stages:\n  train:\n    python: stages.train\n"


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        ("mutex: 5", ("pivot.yaml:4", "'stages.train.mutex': must be a group name or a list of group names", "mutex: [gpu, disk]")),
        ("mutex: [gpu, {a: 1}]", ("pivot.yaml:4", "'stages.train.mutex'", "group names")),
        ("mutex: ['']", ("pivot.yaml:4", "'stages.train.mutex': a group name must not be empty")),
        ("always_changed: 1", ("pivot.yaml:4", "'stages.train.always_changed'", "write true or false")),
        ("frozen: 'yes'", ("pivot.yaml:4", "'stages.train.frozen'", "write true or false")),
        ("mutx: [gpu]", ("pivot.yaml:4: unknown key 'mutx' in stage 'train'; did you mean 'mutex'?",)),
        ("always_change: true", ("pivot.yaml:4: unknown key 'always_change' in stage 'train'; did you mean 'always_changed'?",)),
        ("frozn: true", ("pivot.yaml:4: unknown key 'frozn' in stage 'train'; did you mean 'frozen'?",)),
        ("desc: [a, b]", ("pivot.yaml:4", "'stages.train.desc'",)),
    ],
)
def test_a_wrong_policy_key_is_exit_2_with_file_line_stage_and_key(project, pivot, line, fragments):
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": GOOD + f"    {line}\n"})
    for command in (("status",), ("run",), ("explain",)):
        assert_clean_error(pivot(*command), *fragments)


def test_the_keys_apply_to_every_variant_of_a_matrix_stage(project, pivot):
    pipeline = GOOD + (
        "    mutex: gpu\n    always_changed: true\n    matrix:\n      lr: [0.1, 0.2]\n    params:\n      lr: ${lr}\n"
        "    outs:\n      model: model-${lr}.txt\n    metrics:\n      score: score-${lr}.json\n"
    )
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": pipeline})
    status = pivot("status")
    assert status.exit_code == 0, status.output
    assert status.output.splitlines() == [
        "train@0.1  will run: Never run [mutex: gpu]",
        "train@0.2  will run: Never run [mutex: gpu]",
    ]
    explained = json.loads(pivot("explain", "--json").output)
    assert [(d["stage"], d["mutex"]) for d in explained] == [("train@0.1", ["gpu"]), ("train@0.2", ["gpu"])]


def test_explain_names_the_group_in_the_stage_header_and_star_means_alone(project, pivot):
    pipeline = GOOD + "    mutex: [gpu, disk]\n  evaluate:\n    python: stages.evaluate\n    mutex: '*'\n"
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": pipeline})
    lines = pivot("explain").output.splitlines()
    assert "Stage: train (mutex: gpu, disk)" in lines
    assert "Stage: evaluate (runs alone)" in lines
    status = json.loads(pivot("status", "--json").output)
    assert status["train"]["mutex"] == ["gpu", "disk"] and status["evaluate"]["mutex"] == ["*"]


REGISTERED = '''\
from typing import Annotated

from pivot import loaders, outputs
from pivot.pipeline import Pipeline


def prep(raw: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out("clean.txt", loaders.Text())]:
    return raw.upper()


pipeline = Pipeline("demo")
pipeline.register(prep, mutex="gpu", always_changed=True)
'''


def test_pipeline_py_registers_the_keys_too(project, pivot):
    project({"pipeline.py": REGISTERED, "in.txt": "ab\n"})
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    explained = pivot("explain").output.splitlines()
    assert explained[:3] == ["Stage: prep (mutex: gpu)", "  Status: WILL RUN", "  Reason: Always changed"]


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        ("mutex=5", "mutex must be a group name or a list of group names, not 5"),
        ("mutex=['gpu', '']", "mutex must be a group name or a list of group names"),
        ("frozen='yes'", "frozen must be True or False, not 'yes'"),
        ("always_changed=1", "always_changed must be True or False, not 1"),
        ("desc=3", "desc must be a string, not 3"),
    ],
)
def test_pipeline_py_misuse_is_exit_2_naming_the_line(project, pivot, call, fragment):
    text = REGISTERED.replace('mutex="gpu", always_changed=True', call)
    project({"pipeline.py": text, "in.txt": "ab\n"})
    assert_clean_error(pivot("status"), "pipeline.py:12", "register(prep)", fragment)


def test_desc_says_what_a_stage_is_for_and_changes_no_run(project, pivot):
    """DVC's `desc:`, on Python and shell stages and in pipeline.py: `pivot list` shows it."""
    shell = "  count:\n    cmd: wc -c < data.txt > n.txt\n    deps: [data.txt]\n    outs: [n.txt]\n"
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": GOOD + shell})
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    (root / "pivot.yaml").write_text(GOOD + "    desc: Fit the model\n" + shell + "    desc: Count the bytes\n")
    assert pivot("status").output.split() == ["train", "up", "to", "date", "count", "up", "to", "date"]
    listed = pivot("list").output.splitlines()
    assert listed[1] == "  Fit the model" and "  Count the bytes" in listed
    assert [s.get("desc") for s in json.loads(pivot("list", "--json").output)] == ["Fit the model", "Count the bytes"]
    (root / "pipeline.py").write_text(REGISTERED.replace('mutex="gpu", always_changed=True', 'desc="Prepare the input"'))
    (root / "pivot.yaml").unlink()
    project({"in.txt": "ab\n"})
    assert "  Prepare the input" in pivot("list").output.splitlines()
