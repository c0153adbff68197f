"""`pivot dag --html`: the stage graph as one self-contained HTML page, each stage a box coloured
by its state, with a legend and a table of every stage. Inline SVG and CSS (and one line of script that
scrolls a wide graph to its first stage), no external URL, so it opens offline and as a CI
artifact alike.

The states are decided by the library (`pivot.api.dagstate`); this module only draws them. Box
text is cut to the box's width; the full text is in the box's tooltip and in the table."""

from __future__ import annotations

import dataclasses
import enum
import html
import pathlib
import textwrap

from pivot.base import atomic
from pivot.report import daglayout


class State(enum.Enum):
    UP_TO_DATE = "up-to-date"
    STALE = "stale"
    FAILED = "failed"
    NEVER_RUN = "never-run"


LABELS = {
    State.UP_TO_DATE: "up to date",
    State.STALE: "stale",
    State.FAILED: "failed in the last run",
    State.NEVER_RUN: "never run",
}
# (fill, border): light fills keep black text readable; borders carry the hue in print too.
COLOURS = {
    State.UP_TO_DATE: ("#dcf2dc", "#2f7d32"),
    State.STALE: ("#fff0c2", "#b7791f"),
    State.FAILED: ("#fbd5d5", "#c53030"),
    State.NEVER_RUN: ("#e6e9ee", "#6b7280"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class StageBox:
    name: str
    state: State
    reason: str = ""  # as `pivot status` words it (stale), or the error (failed)
    details: tuple[str, ...] = ()  # what changed, as `pivot explain` lists it
    outputs: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class DagView:
    stages: tuple[StageBox, ...]  # run order
    edges: tuple[tuple[str, str], ...]  # (upstream, downstream)
    title: str = "pivot dag"


CHAR = 7.2  # px per character of the 12px monospace font the boxes use
LINE = 16.0
PAD = 8.0
MIN_CHARS, MAX_CHARS = 14, 40
STATE_LINES = 2  # the state and why, wrapped; a longer reason is cut (the tooltip has it all)
MAX_OUTPUTS = 4  # more are summed up as "+N more" (all are in the tooltip and the table)


def write(view: DagView, path: pathlib.Path) -> pathlib.Path:
    """Write the page to `path` (its directory is created) and return `path`."""
    text = render(view)
    with atomic.open_atomic(path, "w", durable=False) as handle:
        handle.write(text)
    return path


def render(view: DagView) -> str:
    lines = {stage.name: _box_lines(stage) for stage in view.stages}
    sizes = {name: _size(text) for name, text in lines.items()}
    placed = daglayout.layout([stage.name for stage in view.stages], view.edges, sizes)
    svg = _svg(view, lines, placed)
    title = html.escape(view.title)
    return (
        f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\n"
        f"<style>{_CSS}</style></head>\n<body>\n<h1>{title}</h1>\n{_legend(view)}\n"
        f"<div class=\"graph\">{svg}</div>\n{_table(view)}\n<script>{_SCROLL}</script>\n</body></html>\n"
    )


def _box_lines(stage: StageBox) -> list[tuple[str, str]]:
    """(css class, text) per line of a box: the name, the state (and why), the outputs."""
    state = LABELS[stage.state] + (f": {stage.reason}" if stage.reason else "")
    wrapped = textwrap.wrap(state, MAX_CHARS, break_on_hyphens=False) or [state]
    if len(wrapped) > STATE_LINES:  # the rest is in the tooltip and the table
        wrapped = [*wrapped[: STATE_LINES - 1], " ".join(wrapped[STATE_LINES - 1 :])]
    shown = [("name", stage.name), *(("state", line) for line in wrapped)]
    shown += [("out", out) for out in stage.outputs[:MAX_OUTPUTS]]
    if len(stage.outputs) > MAX_OUTPUTS:
        shown.append(("out", f"+{len(stage.outputs) - MAX_OUTPUTS} more"))
    return shown


def _size(lines: list[tuple[str, str]]) -> tuple[float, float]:
    chars = min(max(max(len(text) for _, text in lines), MIN_CHARS), MAX_CHARS)
    return chars * CHAR + 2 * PAD, len(lines) * LINE + 2 * PAD - 4


def _cut(text: str, width: float) -> str:
    room = int((width - 2 * PAD) / CHAR)
    return text if len(text) <= room else text[: max(room - 1, 1)] + "…"


def _svg(view: DagView, lines: dict[str, list[tuple[str, str]]], placed: daglayout.Layout) -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{placed.width:.0f}" height="{placed.height:.0f}" '
        f'viewBox="0 0 {placed.width:.0f} {placed.height:.0f}" role="img" aria-label="stage graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#555"/></marker></defs>',
    ]
    for up, down, points in placed.edges:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}" for i, (x, y) in enumerate(points))
        parts.append(
            f'<path class="edge" data-from="{html.escape(up)}" data-to="{html.escape(down)}" d="{path}" marker-end="url(#arrow)"/>'
        )
    for stage in view.stages:
        parts.append(_stage_svg(stage, lines[stage.name], placed.boxes[stage.name]))
    parts.append("</svg>")
    return "\n".join(parts)


def _stage_svg(stage: StageBox, lines: list[tuple[str, str]], box: daglayout.Box) -> str:
    fill, border = COLOURS[stage.state]
    state = stage.state.value
    tip = "\n".join([stage.name, LABELS[stage.state] + (f": {stage.reason}" if stage.reason else ""), *stage.details, *(f"out: {o}" for o in stage.outputs)])
    texts = "".join(
        f'<text class="{kind}" x="{box.x + PAD:.1f}" y="{box.y + PAD + 12 + i * LINE:.1f}">{html.escape(_cut(text, box.width))}</text>'
        for i, (kind, text) in enumerate(lines)
    )
    return (
        f'<g class="stage state-{state}" data-stage="{html.escape(stage.name)}" data-state="{state}">'
        f"<title>{html.escape(tip)}</title>"
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="6" '
        f'fill="{fill}" stroke="{border}"/>{texts}</g>'
    )


def _legend(view: DagView) -> str:
    counts = {state: sum(1 for stage in view.stages if stage.state is state) for state in State}
    items = "".join(
        f'<li class="legend-item state-{state.value}" data-state="{state.value}"><span class="swatch" '
        f'style="background:{COLOURS[state][0]};border-color:{COLOURS[state][1]}"></span>{LABELS[state]} ({counts[state]})</li>'
        for state in State
    )
    return f'<ul class="legend">{items}</ul>'


def _table(view: DagView) -> str:
    rows = "".join(
        f'<tr class="state-{stage.state.value}"><td>{html.escape(stage.name)}</td><td>{LABELS[stage.state]}</td>'
        f"<td>{_why(stage)}</td><td>{'<br>'.join(html.escape(o) for o in stage.outputs)}</td></tr>"
        for stage in view.stages
    )
    head = "<tr><th>stage</th><th>state</th><th>why</th><th>outputs</th></tr>"
    return f'<table class="stages"><thead>{head}</thead><tbody>{rows}</tbody></table>'


def _why(stage: StageBox) -> str:
    return "<br>".join(html.escape(line) for line in (stage.reason, *stage.details) if line)


# A wide graph may start far from its left edge: open it with the first stage (a root) in view.
_SCROLL = (
    "const g=document.querySelector('.graph'),r=document.querySelector('.stage rect');"
    "if(g&&r)g.scrollLeft=Math.max(0,r.x.baseVal.value-g.clientWidth/4);"
)

_CSS = """
body{font:14px system-ui,sans-serif;margin:16px;color:#111}
h1{font-size:18px;margin:0 0 8px}
.legend{list-style:none;padding:0;margin:0 0 12px;display:flex;gap:18px;flex-wrap:wrap}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:14px;height:14px;border:2px solid;border-radius:3px}
.graph{overflow:auto;border:1px solid #ddd;margin-bottom:16px}
.graph svg{display:block}
.edge{fill:none;stroke:#888;stroke-width:1.3}
.stage rect{stroke-width:2}
.stage text{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#111}
.stage text.name{font-weight:bold}
.stage text.out{fill:#444}
table.stages{border-collapse:collapse;font-size:13px}
table.stages td,table.stages th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
"""
