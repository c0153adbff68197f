"""The layered drawing behind `pivot dag --html`: what a reader of the page would notice, on
graphs built in memory (the page itself: test_dag_html*.py)."""

from __future__ import annotations

import itertools

from pivot.report import daglayout


def _overlap(a: daglayout.Box, b: daglayout.Box) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


def _chains(chains: int, length: int) -> tuple[list[str], list[tuple[str, str]]]:
    """`chains` chains side by side, each link also fed by the chain to its left two steps up
    (long and crossing edges), and a final stage that joins every chain's end."""
    names = [f"c{c}s{s}" for s in range(length) for c in range(chains)]
    edges = [(f"c{c}s{s - 1}", f"c{c}s{s}") for s in range(1, length) for c in range(chains)]
    edges += [(f"c{c - 1}s{s - 2}", f"c{c}s{s}") for s in range(2, length) for c in range(1, chains)]
    names.append("join")
    edges += [(f"c{c}s{length - 1}", "join") for c in range(chains)]
    return names, edges


def test_boxes_never_overlap_and_every_edge_runs_down_between_its_boxes():
    names, edges = _chains(6, 8)
    sizes = {name: (60.0 + 10 * (i % 4), 40.0 + 16 * (i % 3)) for i, name in enumerate(names)}
    drawn = daglayout.layout(names, edges, sizes)
    boxes = drawn.boxes
    assert not [(a, b) for a, b in itertools.combinations(names, 2) if _overlap(boxes[a], boxes[b])]
    assert {(up, down) for up, down, _ in drawn.edges} == set(edges)
    for up, down, points in drawn.edges:
        top, bottom = boxes[up], boxes[down]
        assert points[0] == (top.x + top.width / 2, top.y + top.height)
        assert points[-1] == (bottom.x + bottom.width / 2, bottom.y)
        assert all(y1 <= y2 for (_, y1), (_, y2) in itertools.pairwise(points))
    assert all(b.x + b.width <= drawn.width and b.y + b.height <= drawn.height for b in boxes.values())


def test_an_edge_across_layers_passes_beside_the_boxes_between():
    names = ["a", "b", "c", "d"]
    drawn = daglayout.layout(names, [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")], dict.fromkeys(names, (80.0, 30.0)))
    (line,) = [points for up, down, points in drawn.edges if (up, down) == ("a", "d")]
    for name in ("b", "c"):
        box = drawn.boxes[name]
        assert all(not (box.x <= x <= box.x + box.width and box.y <= y <= box.y + box.height) for x, y in line[1:-1])


def test_the_sweeps_uncross_edges_the_declared_order_would_cross():
    # Declared order puts c (b's child) left of d (a's child): drawn as declared, the edges cross.
    names = ["a", "b", "c", "d"]
    drawn = daglayout.layout(names, [("b", "c"), ("a", "d")], dict.fromkeys(names, (50.0, 30.0)))
    assert (drawn.boxes["a"].x < drawn.boxes["b"].x) == (drawn.boxes["d"].x < drawn.boxes["c"].x)


def test_a_parent_sits_centred_over_its_children():
    names = ["top", "left", "middle", "right"]
    drawn = daglayout.layout(names, [("top", child) for child in names[1:]], dict.fromkeys(names, (60.0, 30.0)))
    centre = {name: box.x + box.width / 2 for name, box in drawn.boxes.items()}
    assert abs(centre["top"] - centre["middle"]) < 1e-6


def test_a_sheared_pipeline_does_not_drift_sideways_layer_after_layer():
    # Each stage also reads the stage beside its parent: centring on parents alone moved every
    # layer further left, and a thousand stages were drawn twice as wide as their widest layer.
    names, edges = _chains(20, 50)
    drawn = daglayout.layout(names, edges, dict.fromkeys(names, (200.0, 50.0)))
    widest_row = 20 * (200.0 + daglayout.H_GAP) + 19 * (daglayout.POINT_WIDTH + daglayout.H_GAP)
    assert drawn.width < 1.3 * widest_row
