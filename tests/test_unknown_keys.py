"""A misspelt key in pivot.yaml or .pivot/config.yaml is named in one line, with where it sits and
the key the user probably meant: `unknown key 'pyhton' in stage 'train2'; did you mean 'python'?`."""

from __future__ import annotations

import pytest
from conftest import TRAIN_STAGES, assert_clean_error

GOOD = "stages:\n  train:\n    python: stages.train\n"


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        (
            "stages:\n  train2:\n    pyhton: stages.train\n",
            "pivot.yaml:3: unknown key 'pyhton' in stage 'train2'; did you mean 'python'?",
        ),
        (
            GOOD + "    deps:\n      data: data.txt\n    metrcs:\n      m: m.json\n",
            "pivot.yaml:6: unknown key 'metrcs' in stage 'train'; did you mean 'metrics'?",
        ),
        ("stagse:\n  train:\n    python: stages.train\n", "pivot.yaml:1: unknown key 'stagse'; did you mean 'stages'?"),
        (
            GOOD.replace("train:", "train:\n    matrix:\n      lr:\n        small:\n          parms: {}") ,
            "unknown key 'parms' in stage 'train' (under 'matrix.lr.small'); did you mean 'params'?",
        ),
    ],
)
def test_a_misspelt_pipeline_key_is_named_with_a_suggestion(project, pivot, pipeline, message):
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": pipeline})
    for command in (("status",), ("run",), ("explain",)):
        assert_clean_error(pivot(*command), message)


def test_a_key_like_nothing_known_lists_the_allowed_ones(project, pivot):
    project({"stages.py": TRAIN_STAGES, "pivot.yaml": GOOD + "    zzz: 1\n"})
    result = pivot("status")
    assert_clean_error(result, "pivot.yaml:4: unknown key 'zzz' in stage 'train'", "allowed keys there: deps, outs")
    assert "did you mean" not in result.output


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (".pivot/config.yaml", "remtoes: {}\n", ".pivot/config.yaml:1: unknown key 'remtoes'; did you mean 'remotes'?"),
        (".pivot/config.yaml", "cache:\n  tpye: copy\n", ".pivot/config.yaml:2: unknown key 'tpye' in 'cache'; did you mean 'type'?"),
        (
            ".pivot/config.local.yaml",
            "executor:\n  knid: dask\n",
            ".pivot/config.local.yaml:2: unknown key 'knid' in 'executor'; did you mean 'kind'?",
        ),
    ],
)
def test_a_misspelt_config_key_is_named_with_a_suggestion(project, pivot, file, text, message):
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": GOOD, file: text})
    assert_clean_error(pivot("status"), message)
    assert_clean_error(pivot("remote", "list"), message)
