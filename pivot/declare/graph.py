"""The stage graph: who produces each path, edges from deps to producers, cycles, and run order."""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence

from pivot import errors
from pivot.declare import outshapes, targets
from pivot.declare.stage import Stage, base_name


@dataclasses.dataclass(frozen=True, slots=True)
class Graph:
    """The stages and who depends on whom, in run order."""

    stages: Mapping[str, Stage]
    upstream: Mapping[str, frozenset[str]]  # stage -> the stages producing its deps
    downstream: Mapping[str, frozenset[str]]
    order: tuple[str, ...]  # topological; ties keep pivot.yaml order
    producers: Mapping[str, str]  # output path -> stage
    # stage -> its deps that do not exist and that no stage produces: they block only that stage
    # and its downstream, so the rest of the pipeline can still be shown and run.
    missing: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    temps: Mapping[str, str] = dataclasses.field(default_factory=dict)  # temp output path -> stage

    def producer_of(self, path: str) -> str | None:
        return ProducerIndex(self.producers).exact_or_parent(path)


def build(stages: Mapping[str, Stage], exists: Callable[[str], bool]) -> Graph:
    producers = _producer_map(stages)
    index = ProducerIndex(producers)
    upstream: dict[str, set[str]] = {name: set() for name in stages}
    missing: dict[str, tuple[str, ...]] = {}
    temps = {out.path: name for name, stage in stages.items() for out in stage.outs if out.temp}
    ordered = sorted(temps)
    for name, stage in stages.items():
        for dep in stage.dep_paths:
            found = index.related(dep)
            if temps:
                _check_temp_read(stage, dep, temps, ordered)
            if name in found:
                raise errors.GraphError(
                    f"{_at(stage)}stage '{name}' depends on '{dep}', which is (or overlaps) its own output",
                    hint="a stage cannot read what it writes: rename the dep or the output",
                )
            if not found and not exists(dep):
                missing[name] = (*missing.get(name, ()), dep)
            upstream[name].update(found)
    downstream: dict[str, set[str]] = {name: set() for name in stages}
    for name, ups in upstream.items():
        for up in ups:
            downstream[up].add(name)
    order = _toposort(list(stages), upstream)
    return Graph(
        stages=stages,
        upstream={k: frozenset(v) for k, v in upstream.items()},
        downstream={k: frozenset(v) for k, v in downstream.items()},
        order=order,
        producers=producers,
        missing=missing,
        temps=temps,
    )


def _check_temp_read(stage: Stage, dep: str, temps: Mapping[str, str], ordered: Sequence[str]) -> None:
    """A temp output is read whole: a file inside one has no recorded hash once it is removed,
    and a directory holding one would change each time it is. (`ordered`: the temps, sorted.)"""
    parts = dep.split("/")
    parents = ("/".join(parts[:end]) for end in range(len(parts) - 1, 0, -1))
    inside = next((parent for parent in parents if parent in temps), None)
    prefix = dep.rstrip("/") + "/"
    at = bisect.bisect_left(ordered, prefix)
    held = ordered[at] if at < len(ordered) and ordered[at].startswith(prefix) else None
    temp = inside or held
    if temp is None:
        return
    how = f"lies inside temp output '{temp}'" if inside else f"holds temp output '{temp}'"
    raise errors.GraphError(
        f"{_at(stage)}stage '{stage.name}' reads '{dep}', which {how} of stage '{temps[temp]}'",
        hint=f"read '{temp}' itself, or make it not temp" if inside else f"read the paths beside '{temp}' one by one, or make it not temp",
    )


def check_sources(graph: Graph, names: Sequence[str]) -> None:
    """Refuse, before anything runs, a selection that needs a dep nothing can provide (as
    Snakemake's MissingInputException does for the requested targets only)."""
    blocked = [name for name in names if name in graph.missing]
    if not blocked:
        return
    first = blocked[0]
    stage = graph.stages[first]
    paths = ", ".join(f"'{path}'" for path in graph.missing[first])
    which = "which does" if len(graph.missing[first]) == 1 else "which do"
    it = "it" if len(graph.missing[first]) == 1 else "them"
    others = f" (and {len(blocked) - 1} more stages need missing files: pivot status lists them)" if len(blocked) > 1 else ""
    raise errors.GraphError(
        f"{_at(stage)}stage '{first}' depends on {paths}, {which} not exist and no stage produces {it}{others}",
        hint="create the file, fix the path, or add the stage that writes it; stages that do not "
        "need it run with 'pivot run STAGE...', or all of them with 'pivot run -k'",
    )


def _producer_map(stages: Mapping[str, Stage]) -> dict[str, str]:
    producers: dict[str, str] = {}
    for name, stage in stages.items():
        for path in stage.out_paths:
            other = producers.get(path)
            if other is not None:
                which = f"stages '{other}' and '{name}' both declare" if other != name else f"stage '{name}' declares twice"
                siblings = other != name and base_name(other) == base_name(name)
                raise errors.GraphError(
                    f"{_at(stage)}{which} the output '{path}'",
                    hint="put the matrix dimensions in the path, e.g. 'models/${model}.pkl', so each "
                    "variant writes its own" if siblings else "every output path must belong to exactly one stage",
                )
            producers[path] = name
    # Check every parent, not sorted neighbours: 'out-x' sorts between 'out' and 'out/a'.
    for path, name in producers.items():
        parts = path.split("/")
        for end in range(len(parts) - 1, 0, -1):
            parent = "/".join(parts[:end])
            if parent in producers and not (producers[parent] == name and outshapes.nests(stages[name], parent, path)):
                raise errors.GraphError(
                    f"{_at(stages[name])}output '{path}' of stage '{name}' lies inside output "
                    f"'{parent}' of stage '{producers[parent]}'",
                    hint="outputs may not overlap: declare the directory or the files in it, not both",
                )
    return producers


def _at(stage: Stage) -> str:
    return f"{stage.source}: " if stage.source else ""


class ProducerIndex:
    """Finds outputs equal to a path, containing it (a directory output) or inside it."""

    def __init__(self, producers: Mapping[str, str]) -> None:
        self._producers = producers
        self._sorted = sorted(producers)

    def exact_or_parent(self, path: str) -> str | None:
        parts = path.split("/")
        for end in range(len(parts), 0, -1):
            owner = self._producers.get("/".join(parts[:end]))
            if owner is not None:
                return owner
        return None

    def related(self, path: str) -> set[str]:
        found = set()
        owner = self.exact_or_parent(path)
        if owner is not None:
            found.add(owner)
        prefix = path.rstrip("/") + "/"
        start = bisect.bisect_left(self._sorted, prefix)
        for out in self._sorted[start:]:
            if not out.startswith(prefix):
                break
            found.add(self._producers[out])
        return found


def _toposort(names: Sequence[str], upstream: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    position = {name: i for i, name in enumerate(names)}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    order: list[str] = []
    for root in names:
        if root in state:
            continue
        stack: list[tuple[str, list[str]]] = [(root, sorted(upstream[root], key=position.__getitem__))]
        state[root] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                state[node] = 2
                order.append(node)
                continue
            nxt = todo.pop(0)
            if state.get(nxt) == 1:
                cycle = [entry[0] for entry in stack]
                cycle = [*cycle[cycle.index(nxt) :], nxt]
                # The stack runs against the data (each stage needs the next); print it with it.
                raise errors.GraphError(
                    "the pipeline has a cycle: " + " -> ".join(reversed(cycle)) + " (each stage feeds the next)",
                    hint="a stage cannot depend, directly or through others, on its own outputs",
                )
            if nxt not in state:
                state[nxt] = 1
                stack.append((nxt, sorted(upstream[nxt], key=position.__getitem__)))
    return tuple(order)


def select(graph: Graph, targets: Sequence[str], *, upstream: bool = True) -> tuple[str, ...]:
    """The targets (default: all; names, base names or globs, see `targets`) and, unless told
    otherwise, everything they depend on, in order."""
    if not targets:
        return graph.order
    names = resolve_targets(graph, targets)
    wanted = set(names)
    if upstream:
        todo = list(names)
        while todo:
            for up in graph.upstream[todo.pop()]:
                if up not in wanted:
                    wanted.add(up)
                    todo.append(up)
    return tuple(name for name in graph.order if name in wanted)


def resolve_targets(graph: Graph, patterns: Sequence[str]) -> tuple[str, ...]:
    """The stages the command-line `patterns` name, without their upstream (all for none)."""
    return targets.resolve(patterns, list(graph.stages)) if patterns else tuple(graph.stages)
