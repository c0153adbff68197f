"""Misused shell-stage keys: exit 2, naming pivot.yaml:line, the stage and the key, with a
did-you-mean where one helps, and no traceback."""

from __future__ import annotations

import pytest
from conftest import assert_clean_error

PIPELINE = """
stages:
  prepare:
    cmd: cp data.txt ${prepare.out}
    deps: [data.txt]
    params: [prepare.rate]
    outs:
      - ${prepare.out}
"""
PARAMS = "prepare:\n  rate: 2\n  out: prepared.txt\n"


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        ("cp data.txt ${prepare.out}", "cp data.txt ${prepare.ot}", ["pivot.yaml:3:", "stage 'prepare'", "unknown key '${prepare.ot}'", "did you mean 'prepare.out'?"]),
        ("      - ${prepare.out}", "      - ${outt}", ["pivot.yaml:7:", "stage 'prepare'", "'${outt}'"]),
        ("[prepare.rate]", "[prepare.rat]", ["pivot.yaml:5:", "stage 'prepare'", "param 'prepare.rat' is not in params.yaml", "did you mean 'prepare.rate'?"]),
        ("[prepare.rate]", "[{conf.json: [a]}]", ["pivot.yaml:5:", "stage 'prepare'", "file 'conf.json' does not exist"]),
        ("    deps: [data.txt]", "    dep: [data.txt]", ["pivot.yaml:4:", "unknown key 'dep' in stage 'prepare'", "did you mean 'deps'?"]),
        ("      - ${prepare.out}", "      - x: {cahce: false}", ["pivot.yaml:7:", "stages.prepare.outs.0", "unknown option 'cahce' for 'x'; did you mean 'cache'?"]),
        ("    deps: [data.txt]", "    deps: {data: data.txt}", ["pivot.yaml:4:", "stages.prepare.deps", "list"]),
        ("    deps: [data.txt]", "    deps: [data.txt]\n    python: stages.prepare", ["pivot.yaml:2:", "stages.prepare", "either 'python:'", "or 'cmd:'"]),
        ("    cmd: cp data.txt ${prepare.out}", "    cmd: ''", ["pivot.yaml:3:", "stage 'prepare'", "'cmd' is empty"]),
        ("    cmd: cp data.txt ${prepare.out}", "    cmd: cp data.txt ${prepare.out", ["pivot.yaml:3:", "stage 'prepare'", "without its closing"]),
        ("    deps: [data.txt]", "    deps: [data.txt]\n    wdir: ../elsewhere", ["pivot.yaml:5:", "stage 'prepare'", "wdir", "outside the project"]),
        ("      - ${prepare.out}", "      - .pivot/out.txt", ["pivot.yaml:7:", "stage 'prepare'", "belongs to pivot or git"]),
        ("cp data.txt ${prepare.out}", "cp data.txt ${prepare}", ["pivot.yaml:3:", "'${prepare}' is a dict"]),
    ],
)
def test_a_misused_shell_key_is_a_clean_error(project, pivot, old, new, fragments):
    assert old in PIPELINE
    project({"pivot.yaml": PIPELINE.replace(old, new, 1), "params.yaml": PARAMS, "data.txt": "x\n"})
    result = pivot("status")
    assert_clean_error(result, *fragments)
    assert "hint:" in result.output


def test_the_good_pipeline_is_fine(project, pivot):
    project({"pivot.yaml": PIPELINE, "params.yaml": PARAMS, "data.txt": "x\n"})
    result = pivot("status")
    assert result.exit_code == 0, result.output
    assert "prepare  will run: Never run" in result.output


def test_a_stage_with_neither_python_nor_cmd_is_named(project, pivot):
    project({"pivot.yaml": "stages:\n  lonely:\n    deps: [a]\n"})
    assert_clean_error(pivot("status"), "pivot.yaml:2:", "stage 'lonely' has neither 'python:' nor 'cmd:'")


def test_unknown_vars_file_and_key(project, pivot):
    root = project({"pivot.yaml": "vars:\n  - conf.yaml:model\n" + PIPELINE, "params.yaml": PARAMS, "data.txt": "x\n"})
    assert_clean_error(pivot("status"), "pivot.yaml:2:", "'vars'", "file 'conf.yaml' does not exist")
    (root / "conf.yaml").write_text("models: {a: 1}\n")
    assert_clean_error(pivot("status"), "pivot.yaml:2:", "'conf.yaml' has no key 'model'", "did you mean 'models'?")


def test_a_matrix_value_with_overrides_is_refused_for_a_shell_stage(project, pivot):
    pipeline = "stages:\n  s:\n    matrix:\n      m:\n        a: {params: {x: 1}}\n    cmd: echo ${m}\n"
    project({"pivot.yaml": pipeline})
    assert_clean_error(pivot("status"), "pivot.yaml:5:", "stage 's'", "take no overrides")


def test_params_yaml_keys_no_stage_reads_are_still_refused(project, pivot):
    project({"pivot.yaml": PIPELINE, "params.yaml": PARAMS + "unused:\n  k: 1\n", "data.txt": "x\n"})
    assert_clean_error(pivot("status"), "params.yaml:4:", "'unused'")
