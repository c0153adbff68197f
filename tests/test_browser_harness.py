"""The browser the HTML tests use really is offline: a page that needs the network shows its
failure there, as it would to a user without one, while inline content renders."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # starts Chromium

PAGE = """<!doctype html><html><body><svg id="chart" width="100" height="50"><path d="M0 0 L10 10"/></svg>
<img id="inline" src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">
<img id="remote" src="https://example.com/chart.png">
<script>addEventListener("load", () => { for (const im of document.images) im.dataset.loaded = String(im.complete && im.naturalWidth > 0) })</script>
</body></html>"""


def test_inline_content_renders_and_the_network_is_cut_off(browser, tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE)
    dom = browser.dom(page)
    assert '<svg id="chart"' in dom
    assert 'id="inline" src="data:image/gif;base64,' in dom and 'data-loaded="true"' in dom
    assert 'id="remote" src="https://example.com/chart.png" data-loaded="false"' in dom
    assert browser.screenshot(page, tmp_path / "page.png", size="400,300").stat().st_size > 0
