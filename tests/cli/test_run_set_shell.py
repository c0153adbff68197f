"""`pivot run -S` on shell stages: their params are params.yaml keys, so `-S train.lr=0.2` acts as
if params.yaml said so for this run, in the command's `${train.lr}` and the recorded params alike."""

from __future__ import annotations

import pathlib

from conftest import assert_clean_error

RUN = ("run", "--executor", "inprocess")

PIPELINE = """\
stages:
  train:
    cmd: echo "lr=${train.lr} seed=${seed}" > model.txt
    params: [train.lr, seed]
    outs: [model.txt]
  evaluate:
    cmd: echo "evaluated with threshold ${evaluate.threshold}" > eval.txt
    deps: [model.txt]
    outs: [eval.txt]
"""

PARAMS = "seed: 1\ntrain:\n  lr: 0.01\nevaluate:\n  threshold: 0.5\n"


def make(project) -> pathlib.Path:
    return project({"pivot.yaml": PIPELINE, "params.yaml": PARAMS})


def test_an_override_reaches_the_command_and_the_recorded_params(project, pivot):
    root = make(project)
    ran = pivot(*RUN, "-S", "train.lr=0.2", "-S", "seed=7")
    assert ran.exit_code == 0, ran.output
    assert (root / "model.txt").read_text() == "lr=0.2 seed=7\n"
    assert (root / "params.yaml").read_text() == PARAMS
    lock = (root / ".pivot" / "stages" / "train.lock").read_text()
    assert "seed: 7" in lock and "train.lr: 0.2" in lock

    explained = pivot("explain", "train")
    assert "    train.lr: 0.2 -> 0.01\n    seed: 7 -> 1\n" in explained.output, explained.output
    assert 'now: echo "lr=0.01 seed=1" > model.txt' in explained.output
    assert pivot(*RUN).exit_code == 0
    assert (root / "model.txt").read_text() == "lr=0.01 seed=1\n"


def test_a_key_only_templated_into_the_command_can_be_overridden(project, pivot):
    root = make(project)
    assert pivot(*RUN, "-S", "evaluate.threshold=0.9").exit_code == 0
    assert (root / "eval.txt").read_text() == "evaluated with threshold 0.9\n"
    assert (root / "model.txt").read_text() == "lr=0.01 seed=1\n"  # train reads no such key
    status = pivot("status", "-S", "evaluate.threshold=0.9")
    assert status.output == "train     up to date\nevaluate  up to date\n", status.output


def test_a_key_no_shell_stage_reads_is_an_error_naming_the_keys_they_do(project, pivot):
    root = make(project)
    assert_clean_error(
        pivot(*RUN, "-S", "train.rate=0.2"),
        "params override 'train.rate': stage 'train' is a shell stage, and no shell stage reads params.yaml's 'train.rate'",
    )
    assert_clean_error(pivot(*RUN, "-S", "sed=3"), "no shell stage reads params.yaml's 'sed'", "did you mean 'seed'?")
    assert_clean_error(pivot(*RUN, "-S", "train.lr=[1, 2]"), "params override 'train.lr'", "is a list, not a single value")
    assert not (root / "model.txt").exists()
    assert not (root / ".pivot" / "stages").exists()


MIXED_STAGES = '''
from typing import Annotated

from pivot import loaders, outputs
from pivot.stage_def import StageParams


class TrainParams(StageParams):
    lr: float = 0.1


def train(params: TrainParams) -> Annotated[str, outputs.Out("model.txt", loaders.Text())]:
    return f"lr={params.lr}"
'''

MIXED = """\
stages:
  train:
    python: stages.train
  report:
    cmd: echo "trained with ${train.lr}" > report.txt
    deps: [model.txt]
    outs: [report.txt]
"""


def test_a_python_stage_and_a_shell_stage_reading_one_key_both_see_its_override(project, pivot):
    root = project({"pivot.yaml": MIXED, "stages.py": MIXED_STAGES, "params.yaml": "train:\n  lr: 0.01\n"})
    ran = pivot(*RUN, "-S", "train.lr=0.3")
    assert ran.exit_code == 0, ran.output
    assert (root / "model.txt").read_text() == "lr=0.3"
    assert (root / "report.txt").read_text() == "trained with 0.3\n"


LISTED_ONLY = """\
stages:
  train:
    cmd: python -c "import yaml; open('model.txt', 'w').write(str(yaml.safe_load(open('params.yaml'))['train']['lr']))"
    params: [train.lr]
    outs: [model.txt]
"""


def test_a_key_the_script_reads_from_params_yaml_is_refused_before_anything_runs(project, pivot):
    """-S never writes params.yaml, so the script would run on the file's value under a lock
    saying otherwise: the run is refused, naming the way that works."""
    root = project({"pivot.yaml": LISTED_ONLY, "params.yaml": "train:\n  lr: 0.01\n"})
    for command in (RUN, ("run", "-n")):
        assert_clean_error(
            pivot(*command, "-S", "train.lr=0.2"),
            "shell stage 'train' lists it under 'params:' but no ${train.lr} passes it to its command",
            "pivot exp run -S train.lr=...",
        )
    assert not (root / "model.txt").exists()
    assert not (root / ".pivot" / "stages").exists()
    assert pivot(*RUN).exit_code == 0  # without -S it runs on the file's value
    assert (root / "model.txt").read_text() == "0.01"
