"""YAML files read with the line of every key, so errors can say `pivot.yaml:12`."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Iterable, Mapping
from typing import Any

from pivot import errors
from pivot.base import yamlio
from pivot.base.yamlio import yaml

Loc = tuple[str | int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Document:
    """A parsed YAML file with the line of each key, so errors can say `file:line`."""

    path: pathlib.Path
    display: str  # the name users know the file by, e.g. "pivot.yaml"
    data: Any
    lines: Mapping[Loc, int]  # 1-based line of each key (and list item)
    text: str = ""  # the file as read: what a validation memo is keyed by

    def where(self, loc: Loc) -> str:
        """`file:line` for the deepest known location on `loc`."""
        for end in range(len(loc), 0, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return f"{self.display}:{line}"
        return self.display


def load(path: pathlib.Path, display: str) -> Document:
    """Parse `path`; a missing or empty file is an empty mapping. Syntax errors name file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Document(path, display, {}, {})
    except UnicodeDecodeError as exc:
        raise errors.ConfigError(f"{display}: not UTF-8 text ({exc.reason})", hint="save it as UTF-8") from None
    except OSError as exc:  # a directory, no permission, ...
        raise errors.ConfigError(
            f"{display}: cannot read it: {exc.strerror or exc}", hint=f"make {display} a readable file"
        ) from None
    try:
        node, data = yamlio.compose_and_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise errors.ConfigError(
            f"{display}{line}: YAML syntax error: {problem}",
            hint="check the indentation and quoting around that line",
        ) from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _collect_lines(node, (), lines, display, ())
    return Document(path, display, {} if data is None else data, lines, text)


def _collect_lines(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], display: str, parents: tuple[yaml.Node, ...]
) -> None:
    if any(node is parent for parent in parents):
        raise errors.ConfigError(
            f"{display}:{node.start_mark.line + 1}: an alias refers to a mapping that contains it",
            hint="YAML anchors (&name) may be reused, but not inside themselves",
        )
    parents = (*parents, node)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*loc, key_node.value)
            line = key_node.start_mark.line + 1
            # YAML silently keeps the last of two equal keys: a second stage 'train' would
            # replace the first without a word. Merge keys ('<<') may repeat.
            if key in lines and key_node.value != "<<" and isinstance(key_node, yaml.ScalarNode):
                raise errors.ConfigError(
                    f"{display}:{line}: duplicate key '{key_node.value}' (first at line {lines[key]})",
                    hint="remove or rename one of them",
                )
            lines[key] = line
            _collect_lines(value_node, key, lines, display, parents)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            _collect_lines(item, (*loc, index), lines, display, parents)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, or listing the choices when none is close."""
    options = sorted(str(choice) for choice in choices)
    import difflib  # only for a message: not on every command's path

    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if options:
        return "expected one of: " + ", ".join(options)
    return None
