"""Matrix stages: a pivot.yaml entry with `matrix:` becomes one stage per combination of its
dimensions' values, named `base@value_value` (or by a `name:` template), with `${dim}` filled in.

Works on the raw YAML, so it is right whether or not schema validation ran for this content.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

from pivot import errors
from pivot.base import yamldoc
from pivot.declare.stage import VARIANT_SEPARATOR

DIMENSION = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # fullmatch only
VARIANT = re.compile(r"[A-Za-z0-9_.-]+")  # fullmatch only
PATH_SECTIONS = ("deps", "outs", "metrics", "plots")
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_NAME_CHARS = "letters, digits, '_', '.' and '-'"

Loc = yamldoc.Loc
ParamLayer = tuple[Mapping[str, Any], Loc]  # values, and where their mapping was written


@dataclasses.dataclass(frozen=True, slots=True)
class Variant:
    """One expanded stage: its sections with overrides merged and `${dim}` filled in."""

    name: str
    python: str
    paths: Mapping[str, Mapping[str, Any]]  # section -> key -> path (or paths; a plot may be {path, options})
    locs: Mapping[tuple[str, str], Loc]  # (section, key) -> where that path was written
    param_layers: tuple[ParamLayer, ...]  # lowest precedence first


@dataclasses.dataclass(frozen=True, slots=True)
class _Choice:
    """One value of one matrix dimension, and where it was written."""

    dimension: str
    value: Any  # a list item, or a mapping key, as YAML typed it
    overrides: Mapping[str, Any]  # {section: {key: value}} from a mapping-valued dimension
    loc: Loc


def text(value: Any) -> str:
    """A dimension value as it appears in names and paths: YAML's spelling for booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def expand(base: str, entry: Mapping[str, Any], doc: yamldoc.Document) -> list[Variant]:
    return [_variant(base, name, entry, combo, doc) for name, combo in _named(base, entry, doc)]


def combinations(base: str, entry: Mapping[str, Any], doc: yamldoc.Document) -> list[tuple[str, dict[str, Any]]]:
    """Each variant's name and its dimensions' values, for a stage that fills in `${...}` itself
    (a shell stage); a dimension value with overrides is refused, as only Python stages take them."""
    named = []
    for name, combo in _named(base, entry, doc):
        for choice in combo:
            if choice.overrides:
                raise errors.ConfigError(
                    f"{doc.where(choice.loc)}: stage '{base}': a shell stage's matrix values take no overrides",
                    hint=f"list the values ('{choice.dimension}: [a, b]') and use '${{{choice.dimension}}}' in cmd and paths",
                )
        named.append((name, {choice.dimension: choice.value for choice in combo}))
    return named


def _named(base: str, entry: Mapping[str, Any], doc: yamldoc.Document) -> list[tuple[str, tuple[_Choice, ...]]]:
    dimensions = _dimensions(base, entry["matrix"], doc)
    namer = _Namer(base, entry.get("name"), [choices[0].dimension for choices in dimensions], doc)
    variants: dict[str, tuple[_Choice, ...]] = {}
    expanded = []
    for combo in itertools.product(*dimensions):
        name = namer.name(combo)
        other = variants.setdefault(name, combo)
        if other is not combo:
            raise errors.ConfigError(
                f"{doc.where(('stages', base, 'matrix'))}: stage '{base}': two variants are both named "
                f"'{name}' ({_describe(other)}; {_describe(combo)})",
                hint=namer.duplicate_hint(),
            )
        expanded.append((name, combo))
    return expanded


def check_plain(name: str, entry: Mapping[str, Any], doc: yamldoc.Document) -> None:
    """A stage without `matrix:` has nothing to fill `${dim}` from: say so rather than create a
    file literally named `${model}`."""
    if entry.get("name") is not None:
        raise errors.ConfigError(
            f"{doc.where(('stages', name, 'name'))}: stage '{name}': 'name:' names the variants of a "
            "matrix, but the stage has no 'matrix:'",
            hint="add a 'matrix:' with the dimensions the name uses, or remove 'name:'",
        )
    for section in PATH_SECTIONS:
        for key, path in (entry.get(section) or {}).items():
            if "${" in str(path):
                raise errors.ConfigError(
                    f"{doc.where(('stages', name, section, key))}: stage '{name}': {section[:-1]} '{key}' "
                    f"is '{path}', but the stage has no 'matrix:' to fill '${{...}}' from",
                    hint="add a 'matrix:' with that dimension, or write the path out",
                )


def _dimensions(base: str, matrix: Mapping[str, Any], doc: yamldoc.Document) -> list[list[_Choice]]:
    dimensions = []
    for dim, spec in matrix.items():
        loc = ("stages", base, "matrix", dim)
        if not DIMENSION.fullmatch(str(dim)):
            raise errors.ConfigError(
                f"{doc.where(loc)}: stage '{base}': matrix dimension '{dim}' is not a valid name",
                hint="use letters, digits and '_' (not first), so that '${name}' can refer to it",
            )
        if isinstance(spec, Mapping):
            choices = [_Choice(dim, key, dict(over or {}), (*loc, text(key))) for key, over in spec.items()]
        elif isinstance(spec, list):
            choices = [_Choice(dim, value, {}, (*loc, index)) for index, value in enumerate(spec)]
        else:
            raise errors.ConfigError(
                f"{doc.where(loc)}: stage '{base}': matrix dimension '{dim}' must be a list of values "
                "or a mapping of values to overrides",
                hint=f"write '{dim}: [a, b]', or '{dim}:' with one 'value: {{params: ...}}' per line",
            )
        if not choices:
            raise errors.ConfigError(
                f"{doc.where(loc)}: stage '{base}': matrix dimension '{dim}' has no values",
                hint="give it at least one value, or remove the dimension",
            )
        _check_distinct(base, choices, doc)
        dimensions.append(choices)
    if not dimensions:
        raise errors.ConfigError(
            f"{doc.where(('stages', base, 'matrix'))}: stage '{base}': 'matrix:' has no dimensions",
            hint="add a dimension such as 'model: [small, large]', or remove 'matrix:'",
        )
    return dimensions


def _check_distinct(base: str, choices: list[_Choice], doc: yamldoc.Document) -> None:
    seen: dict[str, _Choice] = {}
    for choice in choices:
        first = seen.setdefault(text(choice.value), choice)
        if first is not choice:
            raise errors.ConfigError(
                f"{doc.where(choice.loc)}: stage '{base}': matrix dimension '{choice.dimension}' lists "
                f"'{text(choice.value)}' twice (first at {doc.where(first.loc)})",
                hint="remove one of them",
            )


def _describe(combo: Sequence[_Choice]) -> str:
    return ", ".join(f"{choice.dimension}={text(choice.value)}" for choice in combo)


class _Namer:
    """Variant names: `base@v1_v2` in dimension order, or a `name:` template like `base@{a}-{b}`."""

    def __init__(self, base: str, template: Any, dimensions: list[str], doc: yamldoc.Document) -> None:
        self._base = base
        self._template = template
        self._dimensions = dimensions
        self._doc = doc
        if template is not None:
            self._check_template()

    def _error(self, problem: str, hint: str) -> errors.ConfigError:
        loc = ("stages", self._base, "name")
        return errors.ConfigError(f"{self._doc.where(loc)}: stage '{self._base}': {problem}", hint=hint)

    @property
    def _example(self) -> str:
        return f"{self._base}@" + "-".join(f"{{{dim}}}" for dim in self._dimensions)

    def _check_template(self) -> None:
        example = self._example
        template = self._template
        if not isinstance(template, str) or not template.startswith(f"{self._base}{VARIANT_SEPARATOR}"):
            raise self._error(
                f"the name template {template!r} must start with '{self._base}@'", f"for example '{example}'"
            )
        try:
            fields = [(field, spec, conv) for _, field, spec, conv in string.Formatter().parse(template) if field is not None]
        except ValueError as exc:
            raise self._error(f"the name template '{template}' is malformed: {exc}", f"for example '{example}'") from None
        for field, spec, conv in fields:
            if field not in self._dimensions:
                raise self._error(
                    f"the name template '{template}' uses '{{{field}}}', which is not a matrix dimension",
                    yamldoc.did_you_mean(field, self._dimensions) or f"for example '{example}'",
                )
            if spec or conv:
                raise self._error(
                    f"the name template '{template}' formats '{{{field}}}'; only plain '{{dimension}}' fields work",
                    f"for example '{example}'",
                )

    def name(self, combo: Sequence[_Choice]) -> str:
        if self._template is None:
            variant = "_".join(text(choice.value) for choice in combo)
        else:
            filled = self._template.format(**{choice.dimension: text(choice.value) for choice in combo})
            variant = filled[len(self._base) + 1 :]
        if not VARIANT.fullmatch(variant):
            bad = next((c for c in combo if not VARIANT.fullmatch(text(c.value))), None)
            loc = bad.loc if bad is not None and self._template is None else ("stages", self._base, "name")
            raise errors.ConfigError(
                f"{self._doc.where(loc)}: stage '{self._base}': variant name "
                f"'{self._base}@{variant}' has characters other than {_NAME_CHARS}",
                hint="write the dimension as a mapping from short names to overrides, e.g. "
                "'imdb: {deps: {data: data/imdb.csv}}', or change the name template",
            )
        return f"{self._base}{VARIANT_SEPARATOR}{variant}"

    def duplicate_hint(self) -> str:
        if self._template is not None:
            return f"use every dimension in the name template, with separators no value contains: '{self._example}'"
        return f"name the variants with a separator no value contains: 'name: \"{self._example}\"'"


def _variant(base: str, name: str, entry: Mapping[str, Any], combo: Sequence[_Choice], doc: yamldoc.Document) -> Variant:
    values = {choice.dimension: choice.value for choice in combo}
    filler = _Filler(name, values, doc)
    paths: dict[str, dict[str, str | list[str]]] = {}
    locs: dict[tuple[str, str], Loc] = {}
    for section in PATH_SECTIONS:
        written = {key: (path, ("stages", base, section, key)) for key, path in (entry.get(section) or {}).items()}
        for choice in combo:
            overrides = choice.overrides.get(section) or {}
            written.update({key: (path, (*choice.loc, section, key)) for key, path in overrides.items()})
        paths[section] = {key: _filled(filler, path, loc) for key, (path, loc) in written.items()}
        locs.update({(section, key): loc for key, (_, loc) in written.items()})
    layers: list[ParamLayer] = [(entry.get("params") or {}, ("stages", base, "params"))]
    layers += [(c.overrides.get("params") or {}, (*c.loc, "params")) for c in combo if c.overrides.get("params")]
    param_layers = tuple((filler.params(values_, loc), loc) for values_, loc in layers)
    return Variant(name, entry["python"], paths, locs, param_layers)


def _filled(filler: _Filler, path: Any, loc: Loc) -> Any:
    if isinstance(path, Mapping):  # a plot with its drawing options: `${dim}` may be in any of them
        return filler.params(path, loc)
    if isinstance(path, list):  # a list of paths, for a dep or output declared as a list
        return [filler.text(str(item), loc) for item in path]
    return filler.text(str(path), loc)


class _Filler:
    """Fills `${dim}` in one variant's paths and params; `"${dim}"` alone keeps the value's type."""

    def __init__(self, stage: str, values: Mapping[str, Any], doc: yamldoc.Document) -> None:
        self._stage = stage
        self._values = values
        self._doc = doc

    def text(self, raw: str, loc: Loc) -> str:
        def substitute(match: re.Match[str]) -> str:
            return text(self._value(match.group(1), loc))

        filled = _PLACEHOLDER.sub(substitute, raw)
        if "${" in _PLACEHOLDER.sub("", raw):
            raise self._unresolved(raw, loc, "an unclosed '${'")
        return filled

    def params(self, values: Mapping[str, Any], loc: Loc) -> dict[str, Any]:
        return {key: self._any(value, (*loc, key)) for key, value in values.items()}

    def _any(self, value: Any, loc: Loc) -> Any:
        if isinstance(value, str):
            whole = _PLACEHOLDER.fullmatch(value)
            return self._value(whole.group(1), loc) if whole else self.text(value, loc)
        if isinstance(value, Mapping):
            return {key: self._any(item, (*loc, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self._any(item, (*loc, index)) for index, item in enumerate(value)]
        return value

    def _value(self, dimension: str, loc: Loc) -> Any:
        if dimension not in self._values:
            hint = yamldoc.did_you_mean(dimension, self._values)
            raise self._unresolved(f"${{{dimension}}}", loc, "no matrix dimension of that name", hint)
        return self._values[dimension]

    def _unresolved(self, what: str, loc: Loc, why: str, hint: str | None = None) -> errors.ConfigError:
        field = ".".join(str(part) for part in loc[2:])
        return errors.ConfigError(
            f"{self._doc.where(loc)}: stage '{self._stage}': '{what}' in '{field}' cannot be filled in: {why}",
            hint=hint or "write '${dimension}' with one of the matrix dimensions",
        )
