"""`pivot run -S STAGE.KEY=VALUE`: params for one run, above params.yaml, never written anywhere;
bad overrides stop before any stage runs; `status`, `explain` and `run -n` preview them."""

from __future__ import annotations

import json
import pathlib

import pytest
from conftest import COUNT_RUNS, assert_clean_error, runs

STAGES = '''
import json
import pathlib
from typing import Annotated

from pivot import loaders, outputs
from pivot.stage_def import StageParams

''' + COUNT_RUNS + '''


class TrainParams(StageParams):
    lr: float = 0.1
    epochs: int = 3
    tags: list[str] = []
    name: str = "base"


def train(
    params: TrainParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]
) -> Annotated[dict, outputs.Metric("metrics.json")]:
    _count("train")
    return params.model_dump()


def report(metrics: Annotated[dict, outputs.Dep("metrics.json", loaders.JSON())]) -> Annotated[str, outputs.Out("report.txt", loaders.Text())]:
    _count("report")
    return json.dumps(metrics)
'''

PIPELINE = """\
stages:
  train:
    python: stages.train
  report:
    python: stages.report
"""

FILES = {"pivot.yaml": PIPELINE, "stages.py": STAGES, "data.txt": "rows\n", "params.yaml": "train:\n  epochs: 5\n"}


def metrics(root: pathlib.Path, path: str = "metrics.json") -> dict:
    return json.loads((root / path).read_text())


def snapshot(root: pathlib.Path) -> dict[str, bytes]:
    """Every file of the project, with its bytes, but pivot's scratch space and stat memo (which a
    preview may refresh: they say nothing of the pipeline)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and ".pivot/tmp" not in path.as_posix()
        and not path.relative_to(root).as_posix().startswith(".pivot/state.db")
    }


def test_overrides_set_params_for_one_run_and_are_never_written(project, pivot):
    root = project(FILES)
    ran = pivot("run", "--executor", "inprocess", "-S", "train.lr=0.5", "-S", "train.tags=[a, b]", "--set", 'train.name="007"')
    assert ran.exit_code == 0, ran.output
    assert metrics(root) == {"lr": 0.5, "epochs": 5, "tags": ["a", "b"], "name": "007"}  # params.yaml's epochs still count
    assert (root / "params.yaml").read_text() == "train:\n  epochs: 5\n"
    assert (root / "pivot.yaml").read_text() == PIPELINE
    shown = pivot("params", "show", "--json")
    assert json.loads(shown.output)["train"] == {"lr": 0.1, "epochs": 5, "tags": [], "name": "base"}

    # The lock recorded what ran, so without -S the params changed back and train runs again.
    explained = pivot("explain", "train")
    assert "Reason: Parameters changed" in explained.output
    for line in ("lr: 0.5 -> 0.1", 'tags: ["a", "b"] -> []', "name: 007 -> base"):
        assert line in explained.output, explained.output
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert metrics(root)["lr"] == 0.1
    assert (runs(root, "train"), runs(root, "report")) == (2, 2)


def test_an_override_the_last_run_had_leaves_the_stage_up_to_date(project, pivot):
    project(FILES)
    assert pivot("run", "--executor", "inprocess", "-S", "train.lr=0.5").exit_code == 0
    assert "train   up to date" in pivot("status", "-S", "train.lr=0.5").output
    assert pivot("status").output.startswith("train   will run: Parameters changed")


def test_status_explain_and_dry_run_preview_an_override_without_running(project, pivot):
    root = project(FILES)
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    before = snapshot(root)

    status = pivot("status", "-S", "train.epochs=9")
    assert status.exit_code == 0, status.output
    assert status.output.startswith("train   will run: Parameters changed\n"), status.output
    explained = pivot("explain", "train", "-S", "train.epochs=9")
    assert "    epochs: 5 -> 9\n" in explained.output, explained.output
    as_json = json.loads(pivot("explain", "train", "--json", "-S", "train.epochs=9").output)
    assert as_json[0]["param_changes"] == [{"key": "epochs", "old": 5, "new": 9, "change": "modified"}]
    dry = pivot("run", "-n", "-S", "train.epochs=9")
    assert dry.output.startswith("train   will run: Parameters changed\n"), dry.output

    assert snapshot(root) == before
    assert runs(root, "train") == 1
    assert pivot("status").output.startswith("train   up to date")


def test_a_run_with_overrides_is_never_answered_by_the_no_op_fast_path(project, pivot):
    root = project(FILES)
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert pivot("run", "--executor", "inprocess").exit_code == 0  # nothing to do: the fast path's memo is kept
    assert runs(root, "train") == 1
    assert pivot("run", "--executor", "inprocess", "-S", "train.lr=0.7").exit_code == 0
    assert (runs(root, "train"), metrics(root)["lr"]) == (2, 0.7)


@pytest.mark.parametrize(
    ("option", "fragments"),
    [
        ("trian.lr=0.5", ["params override 'trian.lr': no stage named 'trian'", "did you mean 'train'?"]),
        ("train.lrr=0.5", ["stage 'train' has no param 'lrr' (not a field of TrainParams)", "did you mean 'lr'?"]),
        ("train.epochs=many", ["stage 'train': param 'epochs'", "(got 'many')", "TrainParams.epochs is int"]),
        ("train.tags=[1", ["-S 'train.tags=[1': the value is not valid YAML"]),
        ("report.lr=1", ["stage 'report' takes no params"]),
        ("train.lr", ["-S 'train.lr': expected STAGE.KEY=VALUE"]),
        ("lr=1", ["params override 'lr': expected STAGE.KEY"]),
    ],
)
@pytest.mark.parametrize("command", [("run", "--executor", "inprocess"), ("run", "-n"), ("status",), ("explain",)])
def test_a_bad_override_stops_with_exit_2_before_any_stage_runs(project, pivot, option, fragments, command):
    root = project(FILES)
    before = snapshot(root)
    assert_clean_error(pivot(*command, "-S", option), *fragments)
    assert snapshot(root) == before
    assert runs(root, "train") == 0


def test_one_key_set_twice_is_an_error(project, pivot):
    project(FILES)
    assert_clean_error(pivot("run", "-S", "train.lr=1", "-S", "train.lr=2"), "-S 'train.lr=2': 'train.lr' is set twice")


def test_status_against_the_remote_takes_no_overrides(project, pivot):
    project(FILES)
    result = pivot("status", "--remote", "-S", "train.lr=1")
    assert result.exit_code == 2
    assert "-S previews a run; it does not apply to --remote" in result.output


MATRIX = """\
stages:
  train:
    python: stages.train
    matrix:
      size: [small_a, big]
    metrics:
      return: scores/${size}.json
"""


def test_a_base_name_sets_every_variant_and_a_full_name_one(project, pivot):
    root = project({**FILES, "pivot.yaml": MATRIX})
    assert pivot("run", "--executor", "inprocess", "-S", "train.lr=0.3").exit_code == 0
    assert [metrics(root, f"scores/{size}.json")["lr"] for size in ("small_a", "big")] == [0.3, 0.3]
    ran = pivot("run", "--executor", "inprocess", "-S", "train.lr=0.3", "-S", "train@small_a.epochs=9")
    assert ran.exit_code == 0, ran.output
    assert runs(root, "train") == 3  # only train@small_a ran again
    assert metrics(root, "scores/small_a.json")["epochs"] == 9
    assert metrics(root, "scores/big.json")["epochs"] == 5
    assert_clean_error(pivot("run", "-S", "train@small.lr=1"), "no stage named 'train@small'", "did you mean 'train@small_a'?")


def test_overrides_a_recorded_run_had_come_back_from_the_run_cache(project, pivot):
    root = project(FILES)
    assert pivot("run", "--executor", "inprocess", "-S", "train.lr=0.5").exit_code == 0
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    again = pivot("run", "--executor", "inprocess", "-S", "train.lr=0.5")
    assert again.exit_code == 0, again.output
    assert runs(root, "train") == 2  # the third run restored train's outputs instead of running it
    assert metrics(root)["lr"] == 0.5


@pytest.mark.slow
def test_overrides_reach_stages_in_the_default_process_pool(project, pivot_proc):
    root = project(FILES)
    done = pivot_proc("run", "-S", "train.lr=0.25", "-S", "train.tags=[x]", cwd=root)
    assert done.returncode == 0, done.stderr
    assert metrics(root) == {"lr": 0.25, "epochs": 5, "tags": ["x"], "name": "base"}
    bad = pivot_proc("run", "-S", "train.epochs=many", cwd=root)
    assert bad.returncode == 2 and "TrainParams.epochs is int" in bad.stderr and "Traceback" not in bad.stderr
