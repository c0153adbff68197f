"""How plots are defined: `outputs.Plot(..., x=, y=, template=)`, a Python stage's `plots:` in
pivot.yaml (a path, or a mapping with the same keys), a shell stage's `- file: {x: ...}`, and
what `pivot import-dvc` keeps; bad options end with exit 2 naming the file, stage and field."""

from __future__ import annotations

import pytest

from tests.conftest import assert_clean_error
from tests.plots.conftest import PIPELINE, STAGES, as_json


def _specs(pivot) -> dict[str, dict]:
    result = pivot("plots", "show", "--json")
    assert result.exit_code == 0, result.output
    return {plot["id"]: plot["spec"] for plot in as_json(result.stdout)["plots"]}


def test_pivot_yaml_gives_a_python_stage_s_plot_a_path_and_options_over_its_annotation(project, pivot):
    project({
        "stages.py": STAGES,
        "pivot.yaml": PIPELINE + "    plots:\n      loss: {path: out/loss.csv, y: loss, template: scatter, x_label: Epoch}\n      confusion: out/confusion.csv\n",
    })
    specs = _specs(pivot)
    assert specs["train:out/loss.csv"] == {
        "path": "out/loss.csv", "template": "scatter", "x": "epoch", "y": ["loss"],
        "title": "Loss", "x_label": "Epoch", "y_label": None, "stage": "train",
    }
    assert specs["train:out/confusion.csv"]["template"] == "confusion"  # the plain form keeps the annotation's options


def test_a_matrix_fills_its_values_into_a_plot_s_options(project, pivot):
    project({
        "stages.py": STAGES,
        "pivot.yaml": "stages:\n  train:\n    python: stages.train\n    matrix: {run: [a, b]}\n"
        "    plots:\n      loss: {path: '${run}/loss.csv', title: 'Loss of ${run}'}\n"
        "      confusion: ${run}/confusion.csv\n      picture: ${run}/curve.png\n",
    })
    specs = _specs(pivot)
    assert specs["train@b:b/loss.csv"]["title"] == "Loss of b"


def test_a_shell_stage_s_plot_options_are_kept_as_written(project, pivot):
    project({
        "pivot.yaml": "stages:\n  report:\n    cmd: echo hi\n    plots:\n"
        "      - acc.tsv: {x: step, y: [acc, val_acc], template: bar, title: Accuracy, cache: false}\n      - fig.svg\n",
    })
    specs = _specs(pivot)
    assert specs["report:acc.tsv"] | {} == {
        "path": "acc.tsv", "template": "bar", "x": "step", "y": ["acc", "val_acc"],
        "title": "Accuracy", "x_label": None, "y_label": None, "stage": "report",
    }
    assert specs["report:fig.svg"]["template"] == "linear"


def test_an_unknown_template_in_an_annotation_names_the_stage_and_the_value(project, pivot):
    project({"stages.py": STAGES.replace('template="confusion"', 'template="heatmap"'), "pivot.yaml": PIPELINE})
    result = pivot("plots", "show", "--json")
    assert_clean_error(result, "pivot.yaml:3: stage 'train'", "output 'confusion'", "unknown template 'heatmap'", "linear, scatter, bar, confusion")


@pytest.mark.parametrize(
    ("entry", "fragments"),
    [
        ("{path: loss.csv, colour: red}", ("pivot.yaml:5", "stages.train.plots.loss", "unknown plot option 'colour'")),
        ("{path: loss.csv, template: lines}", ("pivot.yaml:5", "stages.train.plots.loss", "unknown template 'lines'")),
        ("{path: loss.csv, y: [1, 2]}", ("pivot.yaml:5", "'y' must be a column name or a list of them")),
        ("{x: step}", ("pivot.yaml:5", "stages.train.plots.loss", "needs 'path:'")),
    ],
)
def test_bad_plot_options_in_pivot_yaml_are_exit_2_naming_file_stage_and_field(project, pivot, entry, fragments):
    project({"stages.py": STAGES, "pivot.yaml": PIPELINE + f"    plots:\n      loss: {entry}\n"})
    assert_clean_error(pivot("plots", "show", "--json"), *fragments)


def test_bad_plot_options_of_a_shell_stage_are_exit_2_too(project, pivot):
    project({"pivot.yaml": "stages:\n  report:\n    cmd: echo hi\n    plots:\n      - acc.csv: {template: pie}\n"})
    assert_clean_error(pivot("plots", "show", "--json"), "pivot.yaml:5", "stages.report.plots.0", "plot 'acc.csv': unknown template 'pie'")
    project({"pivot.yaml": "stages:\n  report:\n    cmd: echo hi\n    plots:\n      - acc.csv: {xlabel: Step}\n"})
    assert_clean_error(pivot("plots", "show", "--json"), "unknown option 'xlabel' for 'acc.csv'; did you mean 'x_label'?")


def test_import_dvc_keeps_every_plot_option(project, pivot):
    dvc_yaml = (
        "stages:\n  evaluate:\n    cmd: python evaluate.py\n    plots:\n"
        "      - roc.json: {x: fpr, y: tpr, template: scatter, title: ROC, x_label: FPR, y_label: TPR}\n"
        "      - confusion.csv: {template: confusion, x: actual, y: predicted, cache: false}\n"
    )
    root = project({"dvc.yaml": dvc_yaml})
    (root / ".dvc").mkdir()
    assert pivot("import-dvc").exit_code == 0
    specs = _specs(pivot)
    assert specs["evaluate:roc.json"] | {} == {
        "path": "roc.json", "template": "scatter", "x": "fpr", "y": ["tpr"],
        "title": "ROC", "x_label": "FPR", "y_label": "TPR", "stage": "evaluate",
    }
    assert (specs["evaluate:confusion.csv"]["template"], specs["evaluate:confusion.csv"]["y"]) == ("confusion", ["predicted"])
