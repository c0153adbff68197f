"""Markdown tables (--md, the PR report) keep their shape whatever a value holds: a pipe, a line
break, a backslash before a pipe or at the end, a backtick, an HTML comment. Checked by reading the
tables back as GitHub does: rows split at unescaped pipes, then backslash escapes and <br>."""

from __future__ import annotations

import json
import re
import string

import pytest
from test_diffs import commit, git

from pivot.report import render

STAGES = '''
from typing import Annotated, TypedDict
from pivot import outputs
from pivot.stage_def import StageParams


class P(StageParams):
    a: str = ""
    b: str = ""
    c: str = ""
    d: str = ""
    e: str = ""


class Scored(TypedDict):
    metrics: Annotated[dict, outputs.Metric("metrics.json")]


def score(params: P) -> Scored:
    return {"metrics": params.model_dump()}
'''

TRICKY = {
    "a": "a|b",
    "b": "line one\nline two\r\nthree",
    "c": "C:\\dir\\|end",  # a backslash right before a pipe
    "d": "ends with \\",  # ... and right before the cell's closing pipe
    "e": "`x` <!-- the rest",
}


def _pipeline(values):
    lines = "".join(f"      {key}: {json.dumps(value)}\n" for key, value in values.items())
    return f"stages:\n  score:\n    python: stages.score\n    params:\n{lines}"


@pytest.fixture
def repo(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": _pipeline(dict.fromkeys(TRICKY, "plain"))})
    git(root, "init", "-q")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    commit(root, "first")
    (root / "pivot.yaml").write_text(_pipeline(TRICKY))
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    return root


def split_row(line):
    """A row's cells as GitHub splits them: at each pipe not right after a backslash."""
    assert line.startswith("|") and line.endswith("|"), line
    cells, cell, previous = [], "", ""
    for char in line[1:-1]:
        if char == "|" and previous != "\\":
            cells.append(cell)
            cell = ""
        else:
            cell += char
        previous = char
    return [*cells, cell]


def read_cell(raw):
    """What a cell shows: `\\|` is a pipe, a backslash before ASCII punctuation is that character,
    <br> is a line break."""
    text, shown, i = raw.strip(), "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in string.punctuation:
            shown, i = shown + text[i + 1], i + 2
        elif text.startswith("<br>", i):
            shown, i = shown + "\n", i + 4
        else:
            shown, i = shown + text[i], i + 1
    return shown


def read_tables(markdown):
    """Each table: its header and rows, as shown. A table runs to the next blank line, as in
    GitHub's markdown, so a bare newline in a value would become a row of its own."""
    tables, block = [], []
    for line in [*markdown.splitlines(), ""]:
        if line.strip():
            block.append(line)
            continue
        if len(block) > 1 and set(block[1]) <= set("|-: "):
            header = [read_cell(c) for c in split_row(block[0])]
            rows = [[read_cell(c) for c in split_row(row)] for row in block[2:]]
            assert all(len(row) == len(header) for row in rows), block  # the table kept its shape
            tables.append((header, rows))
        block = []
    return tables


def _expected(value):
    return value.replace("\r\n", "\n")


def test_params_diff_md_shows_every_value_whole_in_its_cell(repo, pivot):
    [(header, rows)] = read_tables(pivot("params", "diff", "--md").output)
    assert header == ["Stage", "Param", "HEAD", "workspace"]
    assert rows == [["score", key, "plain", _expected(value)] for key, value in TRICKY.items()]


def test_metrics_diff_md_shows_every_value_whole_in_its_cell(repo, pivot):
    [(header, rows)] = read_tables(pivot("metrics", "diff", "--md").output)
    assert header == ["Path", "Metric", "HEAD", "workspace", "Change"]
    assert rows == [["metrics.json", key, "plain", _expected(value), "-"] for key, value in TRICKY.items()]


def test_the_pull_request_report_keeps_both_tables_whole(repo, pivot):
    report = pivot("ci", "comment", "--dry-run").stdout
    params, metrics = read_tables(report)
    assert [row[3] for row in params[1]] == [_expected(value) for value in TRICKY.values()]
    assert [row[3] for row in metrics[1]] == [_expected(value) for value in TRICKY.values()]
    assert len(re.findall(r"(?<!\\)<!--", report)) == 1  # pivot's marker; no value opens an HTML comment


@pytest.mark.parametrize("value", [*TRICKY.values(), "", "\\", "|", "\\\\|", "<br>", "a\rb"])
def test_any_value_reads_back_from_its_cell(value):
    [(_, [row])] = read_tables(render.md_table(("k", "v"), [("x", value)]))
    assert row == ["x", value.replace("\r\n", "\n").replace("\r", "\n")]
