"""params diff, metrics show and metrics diff through the CLI, in a real git repository."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from conftest import assert_clean_error

STAGES = '''
from typing import Annotated, TypedDict
from pivot import loaders, outputs
from pivot.stage_def import StageParams


class TrainParams(StageParams):
    learning_rate: float = 0.01
    epochs: int = 100


class TrainOutputs(TypedDict):
    metrics: Annotated[dict, outputs.Metric("metrics.json")]
    extra: Annotated[dict, outputs.Metric("extra.yaml", loaders.YAML())]


def train(params: TrainParams, data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> TrainOutputs:
    score = round(1 - params.learning_rate, 4)
    return {
        "metrics": {"accuracy": score, "name": "model-a", "params": {"learning_rate": params.learning_rate}},
        "extra": {"rows": len(data)},
    }
'''

PIPELINE = "stages:\n  train:\n    python: stages.train\n    params:\n      learning_rate: {lr}\n"


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def commit(root, message):
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", message)


def tagged_then_changed(root, pivot, pipeline_now):
    """The project in `root` run and committed in a new repository (tag v1), then `pipeline_now`
    written to pivot.yaml and run."""
    git(root, "init", "-q", "-b", "main")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    commit(root, "first")
    git(root, "tag", "v1")
    (root / "pivot.yaml").write_text(pipeline_now)
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    return root


@pytest.fixture
def repo(project, pivot):
    """A pipeline run and committed at learning_rate 0.05 (tag v1), then changed to 0.001 and run."""
    root = project({"stages.py": STAGES, "data.txt": "abc", "pivot.yaml": PIPELINE.format(lr=0.05)})
    return tagged_then_changed(root, pivot, PIPELINE.format(lr=0.001))


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_params_diff_against_head_in_three_formats(repo, pivot):
    plain = pivot("params", "diff")
    assert plain.exit_code == 0
    assert plain.output.splitlines() == [
        "Stage  Param          HEAD  workspace",
        "train  learning_rate  0.05  0.001",
    ]
    assert json.loads(pivot("params", "diff", "--json").output) == {"train": {"learning_rate": {"old": 0.05, "new": 0.001, "diff": 0.001 - 0.05}}}
    assert pivot("params", "diff", "--md").output.splitlines()[2] == "| train | learning_rate | 0.05 | 0.001 |"
    everything = pivot("params", "diff", "--all").output
    assert "epochs" in everything and "100" in everything


def test_an_empty_params_diff_prints_nothing_and_says_so_in_markdown(repo, pivot):
    commit(repo, "second")
    assert pivot("params", "diff").output == ""
    assert pivot("params", "diff", "--md").output == "No params changed.\n"


def test_metrics_show_flattens_nested_keys_from_json_and_yaml(repo, pivot):
    shown = json.loads(pivot("metrics", "show", "--json").output)
    assert shown == {
        "metrics.json": {"accuracy": 0.999, "name": "model-a", "params.learning_rate": 0.001},
        "extra.yaml": {"rows": 3},
    }
    table = pivot("metrics", "show").output.splitlines()
    assert table[0].split() == ["Path", "Metric", "Value"]
    assert "metrics.json  params.learning_rate  0.001" in "\n".join(table)
    assert pivot("metrics", "show", "--md").output.startswith("| Path | Metric | Value |\n|---|---|---|\n")


def test_metrics_diff_computes_change_for_numbers_only(repo, pivot):
    result = pivot("metrics", "diff", "--json")
    assert json.loads(result.output) == {
        "metrics.json": {
            "accuracy": {"old": 0.95, "new": 0.999, "diff": 0.999 - 0.95},  # full precision, as DVC
            "params.learning_rate": {"old": 0.05, "new": 0.001, "diff": 0.001 - 0.05},
        }
    }
    plain = pivot("metrics", "diff").output.splitlines()
    assert plain[0].split() == ["Path", "Metric", "HEAD", "workspace", "Change"]
    assert plain[1].split() == ["metrics.json", "accuracy", "0.95", "0.999", "0.049"]
    every = pivot("metrics", "diff", "--all").output
    assert "model-a" in every and "rows" in every
    name_row = next(line for line in every.splitlines() if " name " in line)
    assert name_row.split()[-1] == "-"  # strings get no Change


def test_metrics_diff_options_precision_and_no_path(repo, pivot):
    plain = pivot("metrics", "diff", "--precision", "1", "--no-path").output.splitlines()
    assert plain[0].split() == ["Metric", "HEAD", "workspace", "Change"]
    assert plain[1].split() == ["accuracy", "0.9", "1.0", "0"]  # rounds to no change: 0


def test_revisions_by_branch_tag_sha_and_relative(repo, pivot):
    commit(repo, "second")
    sha = subprocess.run(["git", "rev-parse", "HEAD~1"], cwd=repo, capture_output=True, text=True).stdout.strip()
    for old in ("v1", "HEAD~1", sha):
        result = json.loads(pivot("params", "diff", old, "main", "--json").output)
        assert result == {"train": {"learning_rate": {"old": 0.05, "new": 0.001, "diff": 0.001 - 0.05}}}, old


def test_a_side_without_the_file_or_key_shows_a_dash_and_null(repo, pivot):
    (repo / "metrics.json").unlink()
    done = pivot("metrics", "diff", "--json")
    assert done.exit_code == 1  # a missing metrics file is reported, not skipped (see test_unreadable_metrics)
    result = json.loads(done.stdout)
    assert result["metrics.json"]["accuracy"] == {"old": 0.95, "new": None, "diff": None}
    plain = pivot("metrics", "diff").stdout
    assert "metrics.json  accuracy" in plain and " -" in plain


def test_unknown_revision_and_no_repository_are_input_errors(repo, pivot):
    assert_clean_error(pivot("metrics", "diff", "no-such-branch"), "unknown git revision 'no-such-branch'")
    assert_clean_error(pivot("params", "diff", "HEAD", "nope"), "unknown git revision 'nope'")
    subprocess.run(["rm", "-rf", str(repo / ".git")], check=True)
    assert_clean_error(pivot("params", "diff"), "not inside a git repository", "git init")


def test_first_diff_in_a_repository_without_commits(project, pivot):
    root = project({"stages.py": STAGES, "data.txt": "abc", "pivot.yaml": PIPELINE.format(lr=0.05)})
    git(root, "init", "-q")
    result = pivot("params", "diff", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "train": {"learning_rate": {"old": None, "new": 0.05}, "epochs": {"old": None, "new": 100}}
    }


SIGNED_ZERO_STAGES = '''
from typing import Annotated, TypedDict
from pivot import outputs
from pivot.stage_def import StageParams


class ScoreParams(StageParams):
    a: float = 0.0
    b: float = 0.0
    label: str = "x"


class Scored(TypedDict):
    metrics: Annotated[dict, outputs.Metric("metrics.json")]


def score(params: ScoreParams) -> Scored:
    return {"metrics": {"sum": params.a + params.b, "zero": -0.0}}
'''


NEGATIVE_ZERO = re.compile(r"(?<![\w.])-0(\.0*)?(?![\d.eE])")


def _score_pipeline(a, b):
    return f"stages:\n  score:\n    python: stages.score\n    params:\n      a: {a}\n      b: {b}\n"


def test_no_output_format_prints_a_negative_zero(project, pivot):
    """0.1 + 0.2 then 0.3: the difference is -5.6e-17, which rounds to -0.0; and a metric that is
    -0.0 itself. Text, markdown and JSON say 0 (JSON keeps the difference at full precision)."""
    root = project({"stages.py": SIGNED_ZERO_STAGES, "pivot.yaml": _score_pipeline(0.1, 0.2)})
    git(root, "init", "-q")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    commit(root, "first")
    (root / "pivot.yaml").write_text(_score_pipeline(0.3, 0.0))
    assert pivot("run", "--executor", "inprocess").exit_code == 0

    outputs = [pivot(*command, *fmt).output for command in (("metrics", "diff", "--all"), ("metrics", "show"), ("params", "diff", "--all")) for fmt in ((), ("--md",), ("--json",))]
    assert not [text for text in outputs if NEGATIVE_ZERO.search(text)], outputs
    rows = {line.split()[1]: line.split()[-1] for line in pivot("metrics", "diff", "--all").output.splitlines()[1:]}
    assert rows == {"sum": "0", "zero": "0"}
    diffed = json.loads(pivot("metrics", "diff", "--all", "--json").output)["metrics.json"]
    assert diffed["sum"]["diff"] == 0.3 - (0.1 + 0.2) != 0  # full precision, not rounded away
    assert diffed["zero"] == {"old": 0.0, "new": 0.0, "diff": 0}
    assert json.loads(pivot("metrics", "show", "--json").output)["metrics.json"]["zero"] == 0.0


def test_params_diff_json_carries_diff_for_numbers_only(project, pivot):
    root = project({"stages.py": SIGNED_ZERO_STAGES, "pivot.yaml": _score_pipeline(0.05, 1)})
    git(root, "init", "-q")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    commit(root, "first")
    (root / "pivot.yaml").write_text(_score_pipeline(0.25, 1) + "      label: y\n")
    assert json.loads(pivot("params", "diff", "--all", "--json").output) == {
        "score": {
            "a": {"old": 0.05, "new": 0.25, "diff": 0.25 - 0.05},
            "b": {"old": 1.0, "new": 1.0, "diff": 0},  # no change is 0, never 0.0
            "label": {"old": "x", "new": "y"},
        }
    }
