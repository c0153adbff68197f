"""The pipeline for people to read: each stage's deps and outputs (`pivot list`), and the stage
graph as indented text, Mermaid or Graphviz DOT (`pivot dag`). Paths are project-relative."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pivot.base import wording
from pivot.declare.graph import Graph
from pivot.declare.stage import OutKind, Stage


def describe(stage: Stage) -> dict[str, Any]:
    """One stage as plain values: its function, deps and outputs by kind."""
    described: dict[str, Any] = {"name": stage.name, "function": stage.func, "deps": list(stage.dep_paths)}
    if stage.desc:
        described["desc"] = stage.desc
    if stage.is_shell:
        described["cmd"] = list(stage.cmd)
    for kind in OutKind:
        described[kind.value] = [out.path for out in stage.outs if out.kind is kind]
    return described


def listing(stages: Sequence[Stage]) -> str:
    blocks = []
    for stage in stages:
        described = describe(stage)
        runs = described["function"] or " && ".join(described.get("cmd", []))
        lines = [f"{stage.name}  ({runs})", *([f"  {stage.desc}"] if stage.desc else [])]
        for key in ("deps", *(kind.value for kind in OutKind)):
            if described[key]:
                lines.append(f"  {key + ':':<8} {', '.join(described[key])}")
        blocks.append("\n".join(lines) + "\n")
    return "".join(blocks)


def edges(graph: Graph, names: Sequence[str]) -> list[tuple[str, str]]:
    """(upstream, downstream) among `names`, in run order of both ends."""
    place = {name: i for i, name in enumerate(names)}
    return [(up, name) for name in names for up in sorted((u for u in graph.upstream[name] if u in place), key=place.__getitem__)]


def text(graph: Graph, names: Sequence[str]) -> str:
    """One line per stage in run order, with the stages it waits for."""
    waits_for: dict[str, list[str]] = {name: [] for name in names}
    for up, down in edges(graph, names):
        waits_for[down].append(up)
    width = max((wording.width(name) for name in names), default=0)
    lines = [f"{wording.ljust(name, width)}  <- {', '.join(ups)}" if ups else name for name, ups in waits_for.items()]
    return "".join(f"{line}\n" for line in lines)


def mermaid(graph: Graph, names: Sequence[str]) -> str:
    """A `flowchart TD`; ids are `s0, s1, ...` since stage names may hold '@', '.' and '-'."""
    ids = {name: f"s{index}" for index, name in enumerate(names)}
    lines = ["flowchart TD"]
    lines += [f'    {ids[name]}["{name}"]' for name in names]
    lines += [f"    {ids[up]} --> {ids[down]}" for up, down in edges(graph, names)]
    return "\n".join(lines) + "\n"


def dot(graph: Graph, names: Sequence[str]) -> str:
    """A Graphviz `digraph`; quoted ids take any stage name as it is."""
    lines = ["digraph pipeline {", "    rankdir=TB;"]
    lines += [f'    "{name}";' for name in names]
    lines += [f'    "{up}" -> "{down}";' for up, down in edges(graph, names)]
    return "\n".join(lines) + "\n}\n"
