"""Views as plain JSON data (`pivot plots show --json`): every resolved field, so a script can
draw what pivot draws. An image's bytes are given in base64 beside their size."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence
from typing import Any

from pivot.plots.model import PlotView, Series


def to_data(views: Sequence[PlotView]) -> dict[str, Any]:
    return {"plots": [_view(view) for view in views]}


def _view(view: PlotView) -> dict[str, Any]:
    spec = dataclasses.asdict(view.spec)
    spec["y"] = list(view.spec.y)
    return {"id": view.id, "kind": view.kind, "spec": spec, "series": [_series(one) for one in view.series]}


def _series(series: Series) -> dict[str, Any]:
    data: dict[str, Any] = {"revision": series.revision, "error": series.error}
    if series.image is not None:
        data["image"] = {"size": len(series.image), "base64": base64.b64encode(series.image).decode("ascii")}
    else:
        data["rows"] = [dict(row) for row in series.rows]
    return data
