"""Fewer points for drawing a long series, keeping what the eye sees in it.

A chart `width` pixels wide cannot show more than one minimum and one maximum per pixel column,
so a line (or bar) series longer than twice that is cut into `width` buckets in row order and
each bucket keeps its lowest and highest point: the drawn envelope, spikes included, is the one
the full series would draw. A scatter has no order to bucket by, so it keeps every k-th point
plus the overall extremes. Both keep the first and last point. Thinning serves the drawing only:
`--json` and the PR comment get the rows as read."""

from __future__ import annotations

from collections.abc import Sequence


def limit_for(width: int) -> int:
    """The most points a series keeps on a chart `width` pixels wide: a minimum and a maximum
    per pixel column. (Per two columns draws a long chart about a third faster, but a dense,
    noisy curve then shows white gaps where the whole series is a solid band.)"""
    return 2 * width


def envelope(values: Sequence[float], width: int) -> list[int]:
    """The indexes to draw of a line or bar series: every one when it fits, else the lowest and
    highest of each of `width` buckets, in order."""
    count = len(values)
    if count <= limit_for(width):
        return list(range(count))
    buckets = limit_for(width) // 2
    keep = {0, count - 1}
    for bucket in range(buckets):
        lo, hi = bucket * count // buckets, (bucket + 1) * count // buckets
        if lo < hi:
            span = list(values[lo:hi])
            keep.add(lo + span.index(min(span)))
            keep.add(lo + span.index(max(span)))
    return sorted(keep)


def stride(values: Sequence[float], width: int) -> list[int]:
    """The indexes to draw of a scatter series: every one when it fits, else an even sample
    with the first, last, lowest and highest points."""
    count = len(values)
    limit = limit_for(width)
    if count <= limit:
        return list(range(count))
    step = count / limit
    keep = {int(i * step) for i in range(limit)}
    keep |= {0, count - 1, min(range(count), key=values.__getitem__), max(range(count), key=values.__getitem__)}
    return sorted(keep)
