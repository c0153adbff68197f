"""A layered drawing of a DAG, top to bottom (the Sugiyama scheme, kept small):

1. layers by longest path from the sources, so every edge points down;
2. an edge spanning several layers passes through one invisible point per layer it crosses, so it
   is ordered and routed like the others instead of cutting through boxes;
3. the order within each layer from a few barycenter sweeps, down then up: each node moves
   towards the mean position of its neighbours in the layer before, which removes most crossings;
4. x positions as close as possible to the centre of each node's neighbours without overlap: for
   a fixed order that is an isotonic regression, solved exactly in linear time (pool adjacent
   violators), so a parent sits centred over its children rather than pushed to one side.

Pure arithmetic on names and box sizes: the page (`pivot.report.dagpage`) decides what a box
holds and draws it. Linear in nodes plus edge points, times the sweeps."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

H_GAP = 28.0  # between boxes of one layer
V_GAP = 56.0  # between layers: room for the edges to fan out
POINT_WIDTH = 8.0  # an edge's point in a layer it crosses: it keeps the edge off the boxes
SWEEPS = 4
MARGIN = 16.0


@dataclasses.dataclass(frozen=True, slots=True)
class Box:
    x: float  # left
    y: float  # top
    width: float
    height: float


@dataclasses.dataclass(frozen=True, slots=True)
class Layout:
    boxes: Mapping[str, Box]
    edges: tuple[tuple[str, str, tuple[tuple[float, float], ...]], ...]  # (up, down, polyline)
    width: float
    height: float


@dataclasses.dataclass(slots=True)
class _Graph:
    """Real nodes first (their index in the caller's order), then the edges' points."""

    layer: list[int]
    width: list[float]
    ups: list[list[int]]
    downs: list[list[int]]
    chains: list[tuple[int, int, list[int]]]  # per edge: up, down, the points between them


def layout(names: Sequence[str], edges: Sequence[tuple[str, str]], sizes: Mapping[str, tuple[float, float]]) -> Layout:
    """`names` in an order where every edge's upstream end comes first (run order); `sizes`:
    each name's (width, height)."""
    index = {name: i for i, name in enumerate(names)}
    graph = _build(names, [(index[up], index[down]) for up, down in edges], sizes)
    rows = _order(graph)
    xs = _place_x(graph, rows)
    tops, heights = _layer_tops(names, graph, rows, sizes)
    boxes = {name: Box(xs[i], tops[graph.layer[i]], *sizes[name]) for i, name in enumerate(names)}
    lines = tuple((names[up], names[down], _route(graph, boxes[names[up]], boxes[names[down]], points, xs, tops, heights)) for up, down, points in graph.chains)
    right = max((x + w for x, w in zip(xs, graph.width, strict=True)), default=0.0)
    bottom = tops[-1] + heights[-1] if tops else 0.0
    return Layout(boxes, lines, right + MARGIN, bottom + MARGIN)


def _build(names: Sequence[str], edges: Sequence[tuple[int, int]], sizes: Mapping[str, tuple[float, float]]) -> _Graph:
    count = len(names)
    layer = [0] * count
    ups: list[list[int]] = [[] for _ in range(count)]
    for up, down in edges:
        ups[down].append(up)
    for i in range(count):  # run order: every upstream layer is known before its downstream's
        layer[i] = max((layer[up] + 1 for up in ups[i]), default=0)
    graph = _Graph(layer, [sizes[name][0] for name in names], [[] for _ in range(count)], [[] for _ in range(count)], [])
    for up, down in edges:
        points, previous = [], up
        for depth in range(layer[up] + 1, layer[down]):
            point = len(graph.layer)
            graph.layer.append(depth)
            graph.width.append(POINT_WIDTH)
            graph.ups.append([previous])
            graph.downs.append([])
            graph.downs[previous].append(point)
            points.append(point)
            previous = point
        graph.downs[previous].append(down)
        graph.ups[down].append(previous)
        graph.chains.append((up, down, points))
    return graph


def _order(graph: _Graph) -> list[list[int]]:
    """Each layer's nodes, left to right, after the barycenter sweeps."""
    rows: list[list[int]] = [[] for _ in range(max(graph.layer, default=-1) + 1)]
    for node, depth in enumerate(graph.layer):
        rows[depth].append(node)
    position = [0.0] * len(graph.layer)
    for row in rows:
        for i, node in enumerate(row):
            position[node] = i
    for _ in range(SWEEPS):
        for depth in range(1, len(rows)):
            _sort_row(rows[depth], graph.ups, position)
        for depth in range(len(rows) - 2, -1, -1):
            _sort_row(rows[depth], graph.downs, position)
    return rows


def _sort_row(row: list[int], neighbours: list[list[int]], position: list[float]) -> None:
    """Sort by the mean position of each node's neighbours; a node without any keeps its place."""

    def key(node: int) -> float:
        near = neighbours[node]
        return sum(position[n] for n in near) / len(near) if near else position[node]

    row.sort(key=key)
    for i, node in enumerate(row):
        position[node] = i


def _place_x(graph: _Graph, rows: list[list[int]]) -> list[float]:
    """Left edges: packed, then pulled towards the centre of all their neighbours, above and
    below, in sweeps down and up. Both sides, not only the parents: in a sheared pipeline (each
    stage also reading the one beside its parent) parents alone pull every layer a little further
    aside, and a drawing of many layers drifts far off the screen."""
    xs = [0.0] * len(graph.layer)
    for row in rows:
        _fit_row(row, graph.width, xs, [None] * len(row))
    near = [ups + downs for ups, downs in zip(graph.ups, graph.downs, strict=True)]
    for order in (rows, rows[::-1], rows, rows[::-1]):
        for row in order:
            _fit_row(row, graph.width, xs, [_centre(near[node], graph.width, xs) for node in row])
    shift = MARGIN - min(xs, default=0.0)
    return [x + shift for x in xs]


def _centre(near: list[int], width: list[float], xs: list[float]) -> float | None:
    return sum(xs[n] + width[n] / 2 for n in near) / len(near) if near else None


def _fit_row(row: list[int], width: list[float], xs: list[float], wanted: list[float | None]) -> None:
    """Centres as near `wanted` (None: where the node is) as the order and the gaps allow, in the
    least-squares sense. With offset[i] the room the nodes before i take, left = offset + y, and
    y must not decrease along the row: pool adjacent violators gives the best such y."""
    offsets, taken = [], 0.0
    for node in row:
        offsets.append(taken)
        taken += width[node] + H_GAP
    blocks: list[list[float]] = []  # [sum of targets, count]
    for i, node in enumerate(row):
        want = wanted[i]
        centre = want if want is not None else xs[node] + width[node] / 2
        blocks.append([centre - width[node] / 2 - offsets[i], 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    i = 0
    for total, count in blocks:
        for _ in range(int(count)):
            xs[row[i]] = offsets[i] + total / count
            i += 1


def _layer_tops(
    names: Sequence[str], graph: _Graph, rows: list[list[int]], sizes: Mapping[str, tuple[float, float]]
) -> tuple[list[float], list[float]]:
    heights = [max((sizes[names[n]][1] for n in row if n < len(names)), default=0.0) for row in rows]
    tops, y = [], MARGIN
    for height in heights:
        tops.append(y)
        y += height + V_GAP
    return tops, heights


def _route(
    graph: _Graph, up: Box, down: Box, points: list[int], xs: list[float], tops: list[float], heights: list[float]
) -> tuple[tuple[float, float], ...]:
    """From the bottom centre of `up` to the top centre of `down`, straight down through the band
    of each layer the edge crosses."""
    line = [(up.x + up.width / 2, up.y + up.height)]
    for point in points:
        x, depth = xs[point] + POINT_WIDTH / 2, graph.layer[point]
        line += [(x, tops[depth]), (x, tops[depth] + heights[depth])]
    line.append((down.x + down.width / 2, down.y))
    return tuple(line)
