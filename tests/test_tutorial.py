"""The user's tutorial (shared/seed/parameters-tutorial.md), step by step, on examples/tutorial."""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO

pytest.importorskip("pandas")

SEED_EXPLAIN = """\
Stage: train
  Status: WILL RUN
  Reason: Parameters changed

  Param changes:
    learning_rate: 0.05 -> 0.001
"""


@pytest.fixture
def tutorial(tmp_path, monkeypatch):
    root = tmp_path / "tutorial"
    shutil.copytree(REPO / "examples" / "tutorial", root, ignore=shutil.ignore_patterns(".pivot", "*.parquet", "*.pkl", "metrics.json"))
    monkeypatch.chdir(root)
    return root


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_run_then_explain_a_changed_parameter(tutorial, pivot):
    ran = pivot("run", "-j8")
    assert ran.exit_code == 0, ran.output
    assert "2 ran, 0 skipped, 0 failed" in ran.output
    assert (tutorial / ".pivot" / "stages" / "train.lock").is_file()
    assert json.loads((tutorial / "metrics.json").read_text())["learning_rate"] == 0.05

    up_to_date = pivot("explain", "train")
    assert up_to_date.output == "Stage: train\n  Status: UP TO DATE\n"

    pipeline = tutorial / "pivot.yaml"
    pipeline.write_text(pipeline.read_text().replace("learning_rate: 0.05  # Override default", "learning_rate: 0.001  # Changed!"))
    assert pivot("explain", "train").output == SEED_EXPLAIN


def test_params_show_in_all_three_forms(tutorial, pivot):
    expected = {"train": {"learning_rate": 0.05, "epochs": 200, "batch_size": 32}}
    as_json = pivot("params", "show", "--json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output) == expected
    assert list(json.loads(as_json.output)["train"]) == ["learning_rate", "epochs", "batch_size"]
    table = pivot("params", "show").output
    assert "learning_rate" in table and "0.05" in table and "200" in table and "32" in table
    assert pivot("params", "show", "train").output == table


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_params_yaml_overrides_pivot_yaml_overrides_defaults(tutorial, pivot):
    (tutorial / "params.yaml").write_text(
        "# params.yaml - git-ignore this file\ntrain:\n  learning_rate: 0.001\n  epochs: 10  # Quick local test\n"
    )
    shown = json.loads(pivot("params", "show", "--json").output)
    assert shown == {"train": {"learning_rate": 0.001, "epochs": 10, "batch_size": 32}}
    ran = pivot("run")
    assert ran.exit_code == 0, ran.output
    model = pickle.loads((tutorial / "model.pkl").read_bytes())
    assert (model["learning_rate"], model["epochs"], model["batch_size"]) == (0.001, 10, 32)


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_stage_functions_are_directly_testable(tutorial):
    """The tutorial's own unit test, run as the user would run it: plain pytest, no pivot machinery."""
    (tutorial / "test_stages.py").write_text(
        textwrap.dedent(
            """
            import pathlib
            import pandas
            from stages import TrainParams, train

            def test_train():
                test_df = pandas.DataFrame({"value": [1, 2, 3]})
                test_path = pathlib.Path("test_processed.parquet")
                test_df.to_parquet(test_path)

                params = TrainParams(learning_rate=0.5, epochs=10, batch_size=16)
                result = train(params, test_path)

                assert "model" in result
                assert result["metrics"]["learning_rate"] == 0.5
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_stages.py"],
        cwd=tutorial,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def _git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_compare_parameters_and_metrics_with_git_head(tutorial, pivot):
    """The seed's `pivot params diff` and `pivot metrics show|diff` after a committed run."""
    assert pivot("run").exit_code == 0
    _git(tutorial, "init", "-q")
    _git(tutorial, "add", "-A")
    _git(tutorial, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "baseline")

    pipeline = tutorial / "pivot.yaml"
    pipeline.write_text(pipeline.read_text().replace("learning_rate: 0.05  # Override default", "learning_rate: 0.001  # Changed!"))
    assert pivot("params", "diff").output.splitlines() == [
        "Stage  Param          HEAD  workspace",
        "train  learning_rate  0.05  0.001",
    ]

    assert pivot("run").exit_code == 0
    shown = pivot("metrics", "show")
    assert shown.exit_code == 0
    assert "metrics.json  accuracy       0.95" in shown.output
    diffed = json.loads(pivot("metrics", "diff", "--json").output)
    assert diffed == {"metrics.json": {"learning_rate": {"old": 0.05, "new": 0.001, "diff": -0.049}}}


@pytest.mark.slow
def test_the_readme_command_runs_pivot_through_a_relative_path(tutorial):
    """The README starts pivot as `../../.venv/bin/pivot` from inside the project: the program's own
    path then begins with the project's, which must not make pivot forget its own main module."""
    script = pathlib.Path(sys.executable).with_name("pivot")
    relative = os.path.relpath(script, tutorial)
    assert relative.startswith("..")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    for args in (["run", "-j8"], ["explain"]):
        done = subprocess.run([relative, *args], cwd=tutorial, capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
    assert (tutorial / "model.pkl").exists()
