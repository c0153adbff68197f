"""The plots page: one self-contained HTML file that shows every view, with no network at all.

Charts are drawn here, in-process, by vl-convert (Vega-Lite to SVG) and inlined, so the page
needs no script library, no CDN and no web font; images are inlined as data URIs. The only
script marks which images loaded (for the reader of a broken file and for the page's tests).
A view's failed revisions (`Series.error`) and thinned series are said in its section."""

from __future__ import annotations

import base64
import concurrent.futures
import html
import os
import pathlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pivot import errors
from pivot.plots import vega
from pivot.plots.model import PlotView

INSTALL_HINT = "pip install 'pivot[plots]'"
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}

Render = Callable[[Mapping[str, Any]], str]
# Charts drawn at once besides the thread that builds their specs: on two cores one is as fast
# as two (benchmarks/plots_diff.py), and more cores draw more at a time.
RENDER_THREADS = max(1, min(4, (os.cpu_count() or 2) - 1))

STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222;background:#fafafa}
h1{font-size:1.5em}nav a{margin-right:1em}
section.plot{background:white;border:1px solid #ddd;border-radius:6px;padding:1em 1.5em;margin:1.5em 0}
section.plot h2{font-size:1.15em;margin:0 0 .3em}.meta{color:#666;font-size:.9em;margin:0 0 .8em}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.4em .8em;margin:.4em 0;font-size:.9em}
.error{background:#fdecea;border-left:4px solid #d93025;padding:.4em .8em;margin:.4em 0;font-size:.9em}
.chart{overflow-x:auto}.images{display:flex;flex-wrap:wrap;gap:1.5em}
figure{margin:0}figure img{max-width:560px;border:1px solid #eee}figcaption{text-align:center;color:#444}"""

# Once the page is done, marks each image loaded or not and each chart laid out or not, so a
# broken image or an SVG the browser could not draw shows in the DOM, not only on screen.
SCRIPT = """addEventListener("load",()=>{for(const im of document.images)im.dataset.loaded=String(im.complete&&im.naturalWidth>0);for(const c of document.querySelectorAll(".chart>svg")){const b=c.getBBox();c.dataset.drawn=String(b.width>0&&b.height>0)}})"""


def write(views: Sequence[PlotView], out_dir: pathlib.Path, *, title: str = "pivot plots") -> pathlib.Path:
    """Write `out_dir/index.html` showing `views` in order, and return its path."""
    charts, svgs = _draw(views)
    sections = [_section(view, number, chart, svg) for number, (view, chart, svg) in enumerate(zip(views, charts, svgs, strict=True), 1)]
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / "index.html"
    page.write_text(_document(title, views, sections), encoding="utf-8")
    return page


def renderer() -> Render:
    """vl-convert's Vega-Lite to SVG, or a clear error saying how to install it."""
    try:
        import vl_convert
    except ImportError as exc:
        raise errors.ConfigError(
            f"drawing plots needs the 'vl-convert-python' package, which cannot be imported ({exc})",
            hint=INSTALL_HINT,
        ) from None

    def render(spec: Mapping[str, Any]) -> str:
        # No base URL is allowed: the specs carry their data inline, and nothing may be fetched.
        return vl_convert.vegalite_to_svg(dict(spec), allowed_base_urls=[])

    return render


def _draw(views: Sequence[PlotView]) -> tuple[list[vega.Chart], list[str | None]]:
    """Each view's chart and its SVG (None: nothing to draw). vl-convert draws outside the GIL,
    so each chart is handed to it as soon as its spec is built: the next spec is built while
    it draws, and on more cores several charts draw at once."""
    charts = []
    pending: list[concurrent.futures.Future[str] | None] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=RENDER_THREADS) as pool:
        render: Render | None = None
        for view in views:
            chart = vega.chart(view)
            charts.append(chart)
            if chart.spec is not None:
                render = render or renderer()
                pending.append(pool.submit(render, chart.spec))
            else:
                pending.append(None)
        return charts, [future.result() if future is not None else None for future in pending]


def _document(title: str, views: Sequence[PlotView], sections: Sequence[str]) -> str:
    links = "".join(f'<a href="#plot-{n}">{html.escape(view.id)}</a>' for n, view in enumerate(views, 1))
    body = "\n".join(sections) if sections else '<p class="note">No plots to show.</p>'
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head>\n<body><h1>{html.escape(title)}</h1><nav>{links}</nav>\n{body}\n"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def _section(view: PlotView, number: int, chart: vega.Chart, svg: str | None) -> str:
    spec = view.spec
    revisions = ", ".join(series.revision for series in view.series)
    meta = [f"<code>{html.escape(spec.path)}</code>", f"{html.escape(spec.template)}" if view.kind == "data" else "image"]
    if spec.stage:
        meta.append(f"stage <code>{html.escape(spec.stage)}</code>")
    meta.append(f"revisions: {html.escape(revisions)}")
    parts = [f"<h2>{html.escape(view.id)}</h2>", f'<p class="meta">{" · ".join(meta)}</p>']
    parts += [f'<p class="error">{html.escape(s.revision)}: {html.escape(s.error)}</p>' for s in view.series if s.error]
    parts.append(_images(view, number) if view.kind == "image" else _chart(view, number, chart, svg))
    return f'<section class="plot" id="plot-{number}" data-plot="{html.escape(view.id)}">\n' + "\n".join(parts) + "\n</section>"


def _chart(view: PlotView, number: int, chart: vega.Chart, svg: str | None) -> str:
    parts = [f'<p class="note">{html.escape(note)}</p>' for note in chart.notes]
    if chart.thinned:
        shown = "; ".join(f"{t.label}: {t.drawn:,} of {t.total:,}" for t in chart.thinned)
        parts.append(
            f'<p class="note thinned">Thinned for drawing (the lowest and highest point per pixel column kept'
            f"{'; an even sample for a scatter' if view.spec.template == 'scatter' else ''}): {html.escape(shown)} points.</p>"
        )
    if svg is None:
        parts.append('<p class="note">Nothing to draw.</p>')
    else:
        svg = _local_ids(_plain_svg(svg), f"plot-{number}-")
        parts.append(f'<div class="chart" data-series="{len(chart.labels)}">{svg}</div>')
    return "\n".join(parts)


def _plain_svg(svg: str) -> str:
    """The SVG as inline HTML wants it: without the namespace declarations (the HTML parser
    puts <svg> in its namespace), so the page holds no URL at all."""
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)


def _local_ids(svg: str, prefix: str) -> str:
    """Each chart's ids (legend gradients, clip paths) made unique in the page: every chart
    numbers its own from 0, and a second `gradient_0` would paint with the first one's colours."""
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}\1"', svg)


def _images(view: PlotView, number: int) -> str:
    mime = _MIME.get(pathlib.PurePosixPath(view.spec.path).suffix.lower(), "application/octet-stream")
    figures = []
    for series in view.series:
        if series.image is None:
            continue
        data = base64.b64encode(series.image).decode("ascii")
        alt = f"{view.spec.path} at {series.revision}"
        figures.append(
            f'<figure><img src="data:{mime};base64,{data}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(series.revision)}</figcaption></figure>"
        )
    if not figures:
        return '<p class="note">Nothing to draw.</p>'
    return f'<div class="images" id="plot-{number}-images">' + "".join(figures) + "</div>"
