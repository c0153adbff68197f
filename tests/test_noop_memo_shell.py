"""The no-op memo (`.pivot/tmp/noop.memo`) with shell stages and policy keys: a run answered from
it must never hide a change of a file a shell stage reads its values from, nor skip a stage that
always runs."""

from __future__ import annotations

import json

RUN = ("run", "--executor", "inprocess")
PIPELINE = """\
vars:
  - sizes.yaml
stages:
  copy:
    cmd: echo ${size} >> runs.txt && cat config.json >> runs.txt && cp runs.txt out.txt
    params:
      - config.json:
          - lr
    outs:
      - out.txt
"""


def _runs(root) -> list[str]:
    return (root / "runs.txt").read_text().splitlines()


def _noop(pivot) -> None:
    for _ in range(2):  # the first no-op after a run may still decide in full; the second uses the memo
        result = pivot(*RUN)
        assert result.exit_code == 0, result.output
        assert "0 ran" in result.output, result.output


def test_an_edit_of_a_params_file_or_a_vars_file_is_seen_after_no_ops(project, pivot):
    root = project({"pivot.yaml": PIPELINE, "sizes.yaml": "size: 1\n", "config.json": json.dumps({"lr": 0.1}) + "\n"})
    assert pivot(*RUN).exit_code == 0
    _noop(pivot)
    assert (root / ".pivot/tmp/noop.memo").exists()

    (root / "config.json").write_text(json.dumps({"lr": 0.25}) + "\n")
    assert "1 ran" in pivot(*RUN).output
    _noop(pivot)
    (root / "sizes.yaml").write_text("size: 2\n")
    assert "1 ran" in pivot(*RUN).output
    assert _runs(root) == ["1", '{"lr": 0.1}', "1", '{"lr": 0.25}', "2", '{"lr": 0.25}']


def test_a_stage_that_always_runs_is_never_answered_from_the_memo(project, pivot):
    root = project({
        "pivot.yaml": "stages:\n  stamp:\n    cmd: echo x >> runs.txt\n    always_changed: true\n",
    })
    for _ in range(4):
        result = pivot(*RUN)
        assert result.exit_code == 0, result.output
    assert _runs(root) == ["x"] * 4
