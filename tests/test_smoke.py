"""A two-stage pipeline through the real CLI: run, no-op run, explain after a param change."""

from __future__ import annotations

STAGES = '''
import pathlib
from typing import Annotated, TypedDict

from pivot import loaders, outputs
from pivot.stage_def import StageParams


class Params(StageParams):
    factor: int = 2


class Doubled(TypedDict):
    result: Annotated[str, outputs.Out("doubled.txt", loaders.Text())]


def double(params: Params, text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Doubled:
    return {"result": text.strip() * params.factor}
'''


def test_run_then_noop_then_param_change(project, pivot):
    root = project(
        {
            "stages.py": STAGES,
            "input.txt": "ab\n",
            "pivot.yaml": "stages:\n  double:\n    python: stages.double\n",
        }
    )
    first = pivot("run")
    assert first.exit_code == 0, first.output
    assert (root / "doubled.txt").read_text() == "abab"
    assert "1 ran, 0 skipped, 0 failed" in first.output

    second = pivot("run")
    assert "0 ran, 1 skipped, 0 failed" in second.output

    (root / "pivot.yaml").write_text("stages:\n  double:\n    python: stages.double\n    params:\n      factor: 3\n")
    explained = pivot("explain", "double")
    assert explained.output == (
        "Stage: double\n"
        "  Status: WILL RUN\n"
        "  Reason: Parameters changed\n"
        "\n"
        "  Param changes:\n"
        "    factor: 2 -> 3\n"
    )
