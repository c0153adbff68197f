"""Which stages `run`, `status` and `explain` work on (docs/selection.md).

The STAGE arguments (names, base names, globs: `pivot.declare.targets`) name stages; `--tag`
keeps those of them with any of the tags; then the graph is followed upstream (the default: what
the named stages need), downstream (`--downstream`: what needs them) or not at all
(`--single-stage`); last, `--exclude-tag` drops stages wherever they came from, and
`--omit-from` the stages it names with everything downstream of them (as Snakemake's). A stage whose dep
is missing and that no selected stage produces cannot run: that is an error naming the stage and
the path, or, with `--allow-missing`, the stage and its selected downstream are left out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from pivot import errors

if TYPE_CHECKING:  # only choosing uses them: a no-op run parses the options, never chooses
    from pivot.declare.graph import Graph, ProducerIndex


@dataclasses.dataclass(frozen=True, slots=True)
class Selection:
    """How far a command reaches from its STAGE arguments; the default is upstream, no tags."""

    downstream: bool = False
    single_stage: bool = False
    allow_missing: bool = False
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    omit_from: tuple[str, ...] = ()  # Snakemake's --omit-from: these stages and all downstream of them

    def __post_init__(self) -> None:
        if self.downstream and self.single_stage:
            raise errors.InputError(
                "--downstream and --single-stage contradict each other",
                hint="--downstream adds what depends on the stages, --single-stage runs them alone: choose one",
            )

    @property
    def plain(self) -> bool:
        """The selection a command makes without any of these options."""
        return self == Selection()


@dataclasses.dataclass(frozen=True, slots=True)
class LeftOut:
    """A stage `--allow-missing` skipped: its missing deps, or the skipped stage it needs."""

    stage: str
    missing: tuple[str, ...] = ()
    after: str = ""  # an upstream stage left out, whose outputs it needs

    def text(self) -> str:
        if self.after:
            return f"{self.stage}  skipped: needs stage '{self.after}', which is skipped"
        paths = ", ".join(f"'{path}'" for path in self.missing)
        return f"{self.stage}  skipped: needs {paths}, missing and not produced by a selected stage"


@dataclasses.dataclass(frozen=True, slots=True)
class Chosen:
    """The stages a command acts on, those it shows, and those a selection left out."""

    names: tuple[str, ...]  # the stages to decide (and run), in run order
    shown: tuple[str, ...]  # those `status` and `explain` report: the named ones, not their upstream
    left_out: tuple[LeftOut, ...] = ()


def choose(graph: Graph, patterns: Sequence[str], selection: Selection, exists: Callable[[str], bool]) -> Chosen:
    """The stages `patterns` and `selection` pick; `exists` says whether a dep is in the workspace."""
    from pivot.declare import targets

    named = targets.resolve(patterns, list(graph.stages)) if patterns else tuple(graph.stages)
    named = _with_tags(graph, named, selection.tags)
    excluded = _tagged(graph, _known(graph, selection.exclude_tags))
    if selection.omit_from:
        excluded |= _closure(targets.resolve(selection.omit_from, list(graph.stages)), graph.downstream)
    if selection.single_stage:
        wanted = set(named)
    elif selection.downstream:
        wanted = _closure(named, graph.downstream)
    else:
        wanted = _closure(named, graph.upstream)
    wanted -= excluded
    shown = _closure(named, graph.downstream) if selection.downstream else set(named)
    unproduced: dict[str, tuple[str, ...]] = {}
    if selection.single_stage or selection.downstream or excluded:  # upstream of all: every producer is in
        from pivot.declare.graph import ProducerIndex

        index = ProducerIndex(graph.producers)
        unproduced = {name: gaps for name in wanted if (gaps := _unproduced(graph, index, name, wanted, exists))}
    if unproduced and not selection.allow_missing:
        raise _unproduced_error(graph, unproduced)
    left_out: list[LeftOut] = []
    if selection.allow_missing:
        left_out = _left_out(graph, wanted, unproduced)
        wanted -= {item.stage for item in left_out}
    return Chosen(
        names=tuple(name for name in graph.order if name in wanted),
        shown=tuple(name for name in graph.order if name in wanted and name in shown),
        left_out=tuple(left_out),
    )


def _with_tags(graph: Graph, named: Sequence[str], tags: Sequence[str]) -> tuple[str, ...]:
    if not tags:
        return tuple(named)
    tagged = _tagged(graph, _known(graph, tags))
    return tuple(name for name in named if name in tagged)


def _known(graph: Graph, tags: Sequence[str]) -> tuple[str, ...]:
    """`tags`, each used by some stage: a misspelt tag would otherwise select nothing, silently."""
    used = dict.fromkeys(tag for stage in graph.stages.values() for tag in stage.tags)
    for tag in tags:
        if tag not in used:
            raise errors.UnknownStageError(
                f"no stage has the tag '{tag}'",
                hint=_did_you_mean(tag, used) or "give stages 'tags: [name, ...]' in pivot.yaml (docs/selection.md)",
            )
    return tuple(tags)


def _tagged(graph: Graph, tags: Collection[str]) -> set[str]:
    return {name for name, stage in graph.stages.items() if set(stage.tags) & set(tags)}


def _closure(start: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    found = set(start)
    todo = list(found)
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return found


def _unproduced(
    graph: Graph, index: ProducerIndex, name: str, wanted: Collection[str], exists: Callable[[str], bool]
) -> tuple[str, ...]:
    """Deps of `name` that only a stage left out of the selection makes, and that are missing."""
    gaps = []
    for dep in graph.stages[name].dep_paths:
        producers = index.related(dep)
        if producers and not producers <= set(wanted) and not exists(dep):
            gaps.append(dep)
    return tuple(gaps)


def _unproduced_error(graph: Graph, unproduced: Mapping[str, tuple[str, ...]]) -> errors.GraphError:
    from pivot.declare.graph import ProducerIndex

    first = next(name for name in graph.order if name in unproduced)
    dep = unproduced[first][0]
    makers = ", ".join(f"'{maker}'" for maker in sorted(ProducerIndex(graph.producers).related(dep)))
    more = f" (and {len(unproduced) - 1} more stages miss deps)" if len(unproduced) > 1 else ""
    return errors.GraphError(
        f"stage '{first}' needs '{dep}', which does not exist, and its producer {makers} is not selected{more}",
        hint=f"run {makers} first, or select it too (drop --single-stage or --exclude-tag), "
        "or add --allow-missing to skip the stages that cannot run",
    )


def _left_out(graph: Graph, wanted: Collection[str], unproduced: Mapping[str, tuple[str, ...]]) -> list[LeftOut]:
    """The stages that cannot run (a dep missing that nothing selected makes) and, after them,
    the selected stages that need one of them."""
    skipped: dict[str, LeftOut] = {}
    for name in graph.order:
        if name not in wanted:
            continue
        missing = (*graph.missing.get(name, ()), *unproduced.get(name, ()))
        after = next((up for up in sorted(graph.upstream[name]) if up in skipped), "")
        if missing:
            skipped[name] = LeftOut(name, missing)
        elif after:
            skipped[name] = LeftOut(name, after=after)
    return list(skipped.values())


def _did_you_mean(word: str, known: Collection[str]) -> str | None:
    from pivot.base import yamldoc  # (and yaml) only for the message

    return yamldoc.did_you_mean(word, known)
