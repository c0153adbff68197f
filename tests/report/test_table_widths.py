"""Terminal tables line up by display width: CJK and emoji take two columns, combining marks none;
a control character in a value is shown escaped instead of breaking the row."""

from __future__ import annotations

import json

import pytest
import wcwidth

from pivot.base import wording

STAGES = '''
from typing import Annotated, TypedDict
from pivot import outputs


class Scored(TypedDict):
    metrics: Annotated[dict, outputs.Metric("metrics.json")]


def score() -> Scored:
    raise AssertionError("the tests write metrics.json themselves")
'''

PIPELINE = "stages:\n  score:\n    python: stages.score\n"

COMBINING = "e\u0301"  # "é" as e + COMBINING ACUTE ACCENT: two code points, one column


def _show(project, pivot, metrics):
    project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "metrics.json": json.dumps(metrics, ensure_ascii=False)})
    result = pivot("metrics", "show")
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_cjk_emoji_and_combining_marks_line_up(project, pivot):
    # Every value is 5 columns wide, as is the header "Value": all lines end at the same column.
    lines = _show(project, pivot, {"精度": "12345", "🎉": "日本x", f"caf{COMBINING}": f"h{COMBINING}llo", "loss": "🎉🎉x"})
    assert lines == [
        "Path          Metric  Value",
        "metrics.json  精度    12345",
        "metrics.json  🎉      日本x",
        f"metrics.json  caf{COMBINING}    h{COMBINING}llo",
        "metrics.json  loss    🎉🎉x",
    ]
    # The same, measured: every line equally wide, every column starting at the same column.
    assert {wcwidth.wcswidth(line) for line in lines} == {27}
    starts = {tuple(wcwidth.wcswidth(line[: line.index(cell)]) for cell in line.split()) for line in lines}
    assert starts == {(0, 14, 22)}


def test_a_newline_or_escape_in_a_value_stays_in_its_row(project, pivot):
    lines = _show(project, pivot, {"note": "two\nlines", "color": "\x1b[31mred"})
    assert lines == [
        "Path          Metric  Value",
        "metrics.json  note    two\\nlines",
        "metrics.json  color   \\x1b[31mred",
    ]


@pytest.mark.parametrize(
    ("text", "columns"),
    [("abc", 3), ("日本語", 6), ("🎉", 2), (COMBINING, 1), ("", 0), ("a\x00b", 2)],
)
def test_width_counts_terminal_columns(text, columns):
    assert wording.width(text) == columns
    assert wording.width(wording.ljust(text, 8)) == max(columns, 8)
