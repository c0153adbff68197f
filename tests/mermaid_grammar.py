"""A structural checker of Mermaid `xychart-beta` blocks, written from the grammar Mermaid's parser
uses (packages/mermaid/src/diagrams/xychart/parser/xychart.jison): the Mermaid CLI needs a
browser download, so the tests check what GitHub's Mermaid would parse with this instead.

What the grammar says, and this checks:
- an optional `%%{init: {...}}%%` directive (Mermaid takes it out before parsing; JSON here),
  then `xychart-beta` (optionally `vertical` / `horizontal`), then one statement a line;
- `title TEXT`; `x-axis [TEXT] (BAND | NUMBER --> NUMBER)`; `y-axis [TEXT] [NUMBER --> NUMBER]`;
  `line [TEXT] [NUMBER, ...]` and `bar [TEXT] [NUMBER, ...]`; BAND is `[TEXT, ...]`;
- TEXT is `"..."` (no quote inside, no escape, not empty) or a run of letters, digits and
  `& + = * . # _ -`; NUMBER is `[+-]?(\\d+(\\.\\d+)?|\\.\\d+)`: no exponent, no NaN;
- `%%` anywhere else starts a comment to the end of the line, so it may not appear at all.
Beyond the grammar, what a drawn chart needs: at least one series; with a band axis, every
series has one value per category; with a y range, every value lies inside it.
"""

from __future__ import annotations

import dataclasses
import json
import re

NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")
_TOKEN = re.compile(r'\s*(?:(?P<str>"[^"]*")|(?P<arrow>-->)|(?P<punct>[\[\],])|(?P<word>[A-Za-z0-9&+=*.#_-]+))')
_DIRECTIVE = re.compile(r"%%\{\s*init\s*:\s*(?P<body>.*)\}%%")
_KEYWORDS = ("title", "x-axis", "y-axis", "line", "bar")
_FENCE = re.compile(r"^```mermaid\n(.*?)^```$", re.M | re.S)


class GrammarError(AssertionError):
    pass


@dataclasses.dataclass
class Chart:
    init: dict | None = None
    title: str | None = None
    x_label: str | None = None
    x_band: list[str] | None = None
    x_range: tuple[float, float] | None = None
    y_label: str | None = None
    y_range: tuple[float, float] | None = None
    plots: list[tuple[str, str | None, list[float]]] = dataclasses.field(default_factory=list)  # kind, label, values


def blocks(markdown: str) -> list[str]:
    """The body of every ```mermaid fence in `markdown`."""
    return _FENCE.findall(markdown)


def check(markdown: str) -> list[Chart]:
    """Every mermaid block of `markdown`, parsed and checked; at least one must be there."""
    found = blocks(markdown)
    if not found:
        raise GrammarError(f"no ```mermaid block in:\n{markdown}")
    return [parse(block) for block in found]


def parse(block: str) -> Chart:
    chart = Chart()
    lines = [line for line in block.splitlines() if line.strip()]
    if lines and lines[0].startswith("%%{"):
        directive = _DIRECTIVE.fullmatch(lines.pop(0).strip())
        if directive is None:
            raise GrammarError("a directive must read %%{init: {...}}%%")
        chart.init = json.loads(directive["body"])
        if not isinstance(chart.init, dict):
            raise GrammarError("the init directive holds no object")
    if not lines or lines[0].split() not in (["xychart-beta"], ["xychart-beta", "vertical"], ["xychart-beta", "horizontal"]):
        raise GrammarError(f"the block must start with xychart-beta: {lines[:1]}")
    for number, line in enumerate(lines[1:], start=2):
        if "%%" in line:
            raise GrammarError(f"line {number}: %% starts a comment: {line!r}")
        try:
            _statement(chart, _tokens(line))
        except GrammarError as exc:
            raise GrammarError(f"line {number}: {exc}: {line!r}") from None
    _check_drawable(chart)
    return chart


def _tokens(line: str) -> list[tuple[str, str]]:
    tokens, at, text = [], 0, line.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise GrammarError(f"unexpected character at column {at + 1}")
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        at = match.end()
    return tokens


def _statement(chart: Chart, tokens: list[tuple[str, str]]) -> None:
    keyword = tokens[0][1].lower() if tokens and tokens[0][0] == "word" else ""
    if keyword not in _KEYWORDS:
        raise GrammarError("a statement starts with title, x-axis, y-axis, line or bar")
    rest = tokens[1:]
    label, rest = _text(rest)
    if keyword == "title":
        if label is None or rest:
            raise GrammarError("title takes one text")
        chart.title = label
    elif keyword == "x-axis":
        chart.x_label = label
        if rest and rest[0][1] == "[":
            chart.x_band = _band(rest)
        elif rest:
            chart.x_range = _range(rest)
        elif label is None:
            raise GrammarError("x-axis takes a text, data or both")
    elif keyword == "y-axis":
        chart.y_label = label
        if rest:
            chart.y_range = _range(rest)
        elif label is None:
            raise GrammarError("y-axis takes a text, a range or both")
    else:
        chart.plots.append((keyword, label, _numbers(rest)))


def _text(tokens: list[tuple[str, str]]) -> tuple[str | None, list[tuple[str, str]]]:
    """A leading TEXT, if there is one, and the tokens after it."""
    if tokens and tokens[0][0] == "str":
        if tokens[0][1] == '""':
            raise GrammarError("an empty string is not a text")
        return tokens[0][1][1:-1], tokens[1:]
    words = []
    while tokens and tokens[0][0] == "word" and not NUMBER.fullmatch(tokens[0][1]):
        if tokens[0][1].lower() in _KEYWORDS:
            raise GrammarError(f"keyword {tokens[0][1]!r} inside a text")
        words.append(tokens.pop(0)[1])
    return ("".join(words) or None), tokens


def _band(tokens: list[tuple[str, str]]) -> list[str]:
    if tokens[-1][1] != "]":
        raise GrammarError("a band ends with ]")
    items, labels = tokens[1:-1], []
    while items:
        if items[0][0] == "str":
            label, items = _text(items)
        else:  # an unquoted category: any run of word characters, digits included
            label, items = items[0][1], items[1:]
        labels.append(label or "")
        if items:
            if items[0][1] != ",":
                raise GrammarError("band items are separated by commas")
            items = items[1:]
            if not items:
                raise GrammarError("a trailing comma in a band")
    if not labels:
        raise GrammarError("an empty band")
    return labels


def _range(tokens: list[tuple[str, str]]) -> tuple[float, float]:
    if len(tokens) != 3 or tokens[1][0] != "arrow" or not all(NUMBER.fullmatch(t[1]) for t in (tokens[0], tokens[2])):
        raise GrammarError("a range reads NUMBER --> NUMBER")
    return float(tokens[0][1]), float(tokens[2][1])


def _numbers(tokens: list[tuple[str, str]]) -> list[float]:
    if len(tokens) < 3 or tokens[0][1] != "[" or tokens[-1][1] != "]":
        raise GrammarError("data reads [NUMBER, ...]")
    inner = tokens[1:-1]
    values = [t[1] for t in inner[0::2]]
    if any(t[1] != "," for t in inner[1::2]) or len(inner) % 2 == 0:
        raise GrammarError("data values are separated by single commas")
    bad = [v for v in values if not NUMBER.fullmatch(v)]
    if bad:
        raise GrammarError(f"not a number the grammar reads: {bad[0]!r}")
    return [float(v) for v in values]


def _check_drawable(chart: Chart) -> None:
    if not chart.plots:
        raise GrammarError("no line or bar: nothing is drawn")
    if chart.x_range is not None and chart.x_range[0] >= chart.x_range[1]:
        raise GrammarError(f"an empty x range {chart.x_range[0]} --> {chart.x_range[1]}")
    for kind, _, values in chart.plots:
        if chart.x_band is not None and len(values) != len(chart.x_band):
            raise GrammarError(f"a {kind} of {len(values)} values on a band of {len(chart.x_band)} categories")
        if chart.y_range is not None:
            low, high = chart.y_range
            if low >= high:
                raise GrammarError(f"an empty y range {low} --> {high}")
            outside = [v for v in values if not low <= v <= high]
            if outside:
                raise GrammarError(f"{outside[0]} lies outside the y range {low} --> {high}")
