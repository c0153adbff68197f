"""Reading the output shapes from annotations and pivot.yaml: lists and tuples of paths,
directories as `{relative path: value}`, incremental outputs and placeholder deps.

Every spec still names one path: a list `Dep(["a", "b"])` becomes the specs `files[0]` and
`files[1]`, each with a `Member` saying where it sits, so the graph, hashing, locks and remotes
see plain paths and only the worker puts the sequence back together.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pivot import errors, loaders, outputs
from pivot.base import project
from pivot.declare import plotopts
from pivot.declare.stage import DepSpec, Member, OutKind, OutSpec, Shape, Stage

# Markers a parameter may carry; an IncrementalOut there receives the output's previous value.
PARAMETER_MARKERS = (outputs.Dep, outputs.PlaceholderDep, outputs.IncrementalOut)
PLACEHOLDER = ""  # the path of a PlaceholderDep until pivot.yaml gives one

Spec = typing.TypeVar("Spec", DepSpec, OutSpec)


def field_of(spec: DepSpec | OutSpec) -> str:
    """The parameter or returned field a spec belongs to (a list's name for its members)."""
    return spec.member.field if spec.member is not None else spec.name


def dep_specs(context: str, param: str, marker: Any) -> tuple[DepSpec, ...]:
    if isinstance(marker, outputs.IncrementalOut):
        return ()  # not a dep: the output's previous version, linked by `link_incremental`
    if isinstance(marker, outputs.PlaceholderDep):
        return (DepSpec(param, PLACEHOLDER, marker.loader),)
    shape = Shape.DIRECTORY if isinstance(marker, outputs.DirectoryDep) else Shape.FILE
    paths = _paths(context, f"parameter '{param}'", marker)
    return tuple(
        DepSpec(name, path, marker.loader, shape, member) for name, path, member in _members(param, marker.path, paths)
    )


def out_specs(context: str, field: str, marker: Any, kind: OutKind) -> tuple[OutSpec, ...]:
    paths = _paths(context, f"output '{field}'", marker)
    shape = Shape.DIRECTORY if isinstance(marker, outputs.DirectoryOut) else Shape.FILE
    if shape is Shape.DIRECTORY and isinstance(marker.loader, loaders.PathOnly):
        raise errors.StageDefinitionError(
            f"{context}: output '{field}' is a DirectoryOut with PathOnly, which saves no values",
            hint=f"give it a loader (DirectoryOut('{marker.path}', loaders.JSON())), or declare "
            f"Out('{marker.path}', loaders.PathOnly()) for a directory the stage writes itself",
        )
    incremental = isinstance(marker, outputs.IncrementalOut)
    temp = getattr(marker, "temp", False) is True
    if temp and incremental:
        raise errors.StageDefinitionError(
            f"{context}: output '{field}' is an IncrementalOut with temp=True: each run builds on the last one, which a temp output removes",
            hint="drop temp=True, or make it a plain Out",
        )
    plot = _plot_options(context, field, marker)
    return tuple(
        OutSpec(name, path, marker.loader, kind, marker.cache and not temp, shape, member, incremental, plot=plot, temp=temp)
        for name, path, member in _members(field, marker.path, paths)
    )


def _plot_options(context: str, field: str, marker: Any) -> plotopts.Options:
    if not isinstance(marker, outputs.Plot):
        return ()
    options = {key: getattr(marker, key) for key in plotopts.KEYS}
    bad = plotopts.first_problem(options)
    if bad is not None:
        raise errors.StageDefinitionError(
            f"{context}: output '{field}': {bad[1]}",
            hint=f"e.g. Plot('{marker.path}', x='epoch', y=['loss'], template='linear') (see docs/plots.md)",
        )
    return plotopts.normalized(options)


def _paths(context: str, what: str, marker: Any) -> tuple[str, ...]:
    path = marker.path
    single = isinstance(marker, outputs.IncrementalOut | outputs.DirectoryOut | outputs.DirectoryDep)
    if isinstance(path, str):
        return (path,)
    if single or not isinstance(path, list | tuple) or not path or not all(isinstance(p, str) for p in path):
        kind = type(marker).__name__
        expected = "one path" if single else "a path, or a non-empty list or tuple of paths"
        raise errors.StageDefinitionError(
            f"{context}: {what}: {kind} takes {expected}, got {path!r}",
            hint=f"e.g. {kind}('data.csv')" if single else f"e.g. {kind}(['a.csv', 'b.csv'])",
        )
    return tuple(path)


def _members(field: str, declared: Any, paths: Sequence[str]) -> Iterable[tuple[str, str, Member | None]]:
    if isinstance(declared, str):
        yield field, paths[0], None
        return
    sequence = "tuple" if isinstance(declared, tuple) else "list"
    for index, path in enumerate(paths):
        yield f"{field}[{index}]", path, Member(field, index, len(paths), sequence)


def link_incremental(context: str, ref: str, hints: Mapping[str, Any], outs: tuple[OutSpec, ...]) -> tuple[OutSpec, ...]:
    """Give each IncrementalOut the parameter annotated with it (matched by path), if any."""
    params = {
        name: marker
        for name, hint in hints.items()
        if name != "return" and isinstance(marker := _metadata(hint, outputs.IncrementalOut), outputs.IncrementalOut)
    }
    if not params:
        return outs
    incremental = {out.path for out in outs if out.incremental}
    for param, marker in params.items():
        if marker.path not in incremental:
            raise errors.StageDefinitionError(
                f"{context}: parameter '{param}' of {ref} is an IncrementalOut('{marker.path}'), "
                "but the return type declares no IncrementalOut with that path",
                hint=f"return it too: a field annotated with IncrementalOut('{marker.path}', ...)",
            )
    param_of = {marker.path: param for param, marker in params.items()}
    return tuple(dataclasses.replace(out, param=param_of[out.path]) if out.incremental and out.path in param_of else out for out in outs)


def _metadata(hint: Any, kind: type) -> Any:
    if typing.get_origin(hint) is not typing.Annotated:
        return None
    return next((extra for extra in hint.__metadata__ if isinstance(extra, kind)), None)


Where = Callable[[str], str]  # an override key -> "pivot.yaml:12"


def regroup(
    stage: str, section: str, specs: tuple[Spec, ...], overrides: Mapping[str, Any], where: Where
) -> tuple[tuple[Spec, ...], dict[str, Any]]:
    """Apply pivot.yaml's list overrides (`files: [a.csv, b.csv]`), which may change how many
    members a list has, and check that every placeholder got a path. Returns the specs and the
    overrides left for the one-path-per-key rules."""
    fields: dict[str, list[Spec]] = {}
    for spec in specs:
        fields.setdefault(field_of(spec), []).append(spec)
    rest = dict(overrides)
    for key, value in overrides.items():
        members = fields.get(key)
        if members is None:
            continue  # unknown: the caller names it, with a suggestion
        listed = isinstance(value, list | tuple)
        grouped = members[0].member is not None
        if listed != grouped:
            raise _shape_mismatch(stage, section, key, members, where(key), grouped)
        if listed:
            fields[key] = _relisted(stage, section, key, members[0], value, where(key))
            del rest[key]
    if section == "deps":
        _check_placeholders(stage, specs, rest, where)
    return tuple(spec for group in fields.values() for spec in group), rest


def _relisted(stage: str, section: str, key: str, first: Spec, value: Sequence[Any], at: str) -> list[Spec]:
    assert first.member is not None
    if not value or not all(isinstance(item, str) for item in value):
        raise errors.ConfigError(
            f"{at}: stage '{stage}': {section[:-1]} '{key}' must be a non-empty list of paths",
            hint=f"write '{key}: [a.csv, b.csv]'",
        )
    specs = []
    for index, raw in enumerate(value):
        name = f"{key}[{index}]"
        path = project.normalize(raw, what=f"{at}: stage '{stage}': {section[:-1]} '{name}'")
        member = dataclasses.replace(first.member, index=index, size=len(value))
        specs.append(dataclasses.replace(first, name=name, path=path, member=member))
    return specs


def _shape_mismatch(stage: str, section: str, key: str, members: Sequence[Spec], at: str, grouped: bool) -> errors.ConfigError:
    if grouped:
        return errors.ConfigError(
            f"{at}: stage '{stage}': {section[:-1]} '{key}' is declared as a list of {len(members)} paths, "
            "so pivot.yaml must give a list",
            hint=f"write '{key}: [{', '.join(m.path for m in members)}]'",
        )
    return errors.ConfigError(
        f"{at}: stage '{stage}': {section[:-1]} '{key}' is declared as one path, not a list",
        hint=f"write '{key}: {members[0].path or 'path/to/file'}', or declare a list in the annotation",
    )


def _check_placeholders(stage: str, specs: Sequence[DepSpec | OutSpec], given: Mapping[str, Any], where: Where) -> None:
    names = {spec.name for spec in specs}
    for spec in specs:
        if spec.path != PLACEHOLDER or spec.name in given:
            continue
        strays = [key for key in given if key not in names]
        import difflib  # only for a message: not on every command's path

        close = difflib.get_close_matches(spec.name, strays, n=1, cutoff=0.6)
        suggestion = f"; did you mean '{spec.name}' where it says '{close[0]}'?" if close else ""
        raise errors.ConfigError(
            f"{where('')}: stage '{stage}': parameter '{spec.name}' is a PlaceholderDep, so its path must be "
            f"given under 'deps:'{suggestion}",
            hint=f"add 'deps: {{{spec.name}: path/to/input}}' to the stage in pivot.yaml",
        )


def in_declared_order(declared: Sequence[OutSpec], resolved: Iterable[OutSpec]) -> tuple[OutSpec, ...]:
    """`resolved` (overridden kind by kind) in the order the fields were declared."""
    position = {field: i for i, field in enumerate(dict.fromkeys(field_of(out) for out in declared))}
    return tuple(sorted(resolved, key=lambda out: position[field_of(out)]))


def nests(stage: Stage, outer: str, inner: str) -> bool:
    """Whether output `inner` may lie inside output `outer` of the same stage: a Metric or Plot
    file inside a directory output it is part of (DVC's `outs: [eval]` with
    `metrics: [eval/metrics.json]`). The directory is cached whole, the metric stays readable."""
    by_path = {out.path: out for out in stage.outs}
    if outer not in by_path or inner not in by_path:
        return False
    return by_path[outer].kind is OutKind.OUT and by_path[inner].kind is not OutKind.OUT
