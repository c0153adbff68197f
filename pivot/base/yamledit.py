"""Editing a YAML file as a person would: comments, key order, blank lines and quoting survive,
and only the keys a command changes are rewritten (ruamel.yaml's round trip).

The commands that edit config files are its only users: reading stays on PyYAML's C loader
(`yamlio`), ten times faster, so `pivot run` never imports ruamel.

ruamel keeps the lines that follow a key (blank lines, comments) as that key's trailing comment.
The lines after the last entry of a section belong, for the reader, to what comes next: so when
an entry is appended after it or the entry is removed, those lines move to stay just before what
came next.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.scalarstring import ScalarString
from ruamel.yaml.tokens import CommentToken

from pivot import errors

Path = Sequence[str]
_POST = 2  # in ruamel's comment slots of a mapping key: the lines after its value


def load(text: str, display: str) -> CommentedMap:
    """The document's top mapping, comments attached; an empty document is an empty mapping."""
    try:
        data = _yaml(2).load(text)
    except YAMLError as exc:
        raise errors.ConfigError(f"{display}: YAML this command cannot edit: {exc}", hint=f"fix {display} by hand") from None
    if not isinstance(data, CommentedMap):
        data = CommentedMap()
        if text.strip():  # nothing but comments: they open the file still
            data.ca.comment = [None, [_token(text if text.endswith("\n") else text + "\n")]]
    if not data:
        data.fa.set_block_style()  # `{}` written by an empty file must not make every new key flow style
    return data


def dump(data: CommentedMap, like: str) -> str:
    """The YAML text of `data`, indented as the original text `like` is."""
    out = io.StringIO()
    _yaml(_indent(like)).dump(data, out)
    return out.getvalue()


def put(data: MutableMapping[str, Any], path: Path, value: Any) -> None:
    """Set the key at `path` of `data` (from `load`) to `value`, creating missing sections at the
    end of their parent. An existing key keeps its place, its comment and its quoting; a new one
    goes last."""
    parent, rest = cast(CommentedMap, data), list(path)
    while len(rest) > 1 and isinstance(parent.get(rest[0]), CommentedMap) and parent[rest[0]]:
        parent = parent[rest.pop(0)]
    for inner in reversed(rest[1:]):  # a missing branch goes in whole: the lines moved land after it
        value = {inner: value}
    key, value = rest[0], _commented(value)
    if key in parent:
        _replace(parent, key, value)
        return
    keys = list(parent)
    tail = _take_tail(_last_leaf(parent, keys[-1])) if keys else ""
    parent[key] = value
    _give_tail(_last_leaf(parent, key), tail)


def drop(data: MutableMapping[str, Any], path: Path) -> None:
    """Remove the key at `path` of `data` (from `load`), and any section it leaves empty. The
    lines that followed it (blank lines, the comment over the next key) stay where they were."""
    root = cast(CommentedMap, data)
    chain = _chain(root, path)
    if chain is None:
        return
    while len(chain) > 1 and len(chain[-1][0]) == 1:  # the section would be left empty: drop it whole
        chain = chain[:-1]
    parent, key = chain[-1]
    tail = _take_tail(_last_leaf(parent, key))
    keys = list(parent)
    index = keys.index(key)
    del parent[key]
    if index > 0:  # the lines between the entry before and this one (its comment) go with it
        before = _last_leaf(parent, keys[index - 1])
        _take_tail(before)
        _give_tail(before, tail)
    elif not tail:
        return
    elif len(chain) > 1:  # the first entry of a section: the comment over it went with it
        grand, section = chain[-2]
        tail = tail.lstrip("\n")  # a blank line right under the section's key would look odd
        grand.ca.items.setdefault(section, [None, None, None, None])[3] = [_token(tail)] if tail else None
    else:  # the first key of the file: the lines go under the file's opening comment
        root.ca.comment = root.ca.comment or [None, []]
        opening = root.ca.comment[1] or []
        if opening and opening[-1].value.endswith("\n\n"):
            tail = tail.lstrip("\n")  # one blank line is enough
        root.ca.comment[1] = [*opening, _token(tail)]


def rename(data: MutableMapping[str, Any], path: Path, new: str) -> None:
    """Give the key at `path` of `data` (from `load`) the name `new`, where it stands, with its
    comments; nothing when there is no such key."""
    chain = _chain(cast(CommentedMap, data), path)
    if chain is None:
        return
    parent, key = chain[-1]
    position = list(parent).index(key)
    comment = parent.ca.items.pop(key, None)
    parent.insert(position, new, parent.pop(key))
    if comment is not None:
        parent.ca.items[new] = comment


def _yaml(indent: int) -> YAML:
    yaml = YAML()  # round trip
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never fold a long value onto a second line
    yaml.indent(mapping=indent, sequence=indent + 2, offset=indent)
    return yaml


def _indent(text: str) -> int:
    """The indentation of the first nested key in `text` (2 if none)."""
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if stripped and line != stripped and not stripped.startswith(("#", "-")):
            return len(line) - len(stripped)
    return 2


def _commented(value: Any) -> Any:
    if isinstance(value, Mapping) and not isinstance(value, CommentedMap):
        return CommentedMap((k, _commented(v)) for k, v in value.items())
    return value


def _replace(parent: CommentedMap, key: str, value: Any) -> None:
    old = parent[key]
    if isinstance(old, ScalarString) and isinstance(value, str) and not isinstance(value, ScalarString):
        value = type(old)(value)  # "quoted" stays "quoted"
    tail = _take_tail(_last_leaf(parent, key)) if isinstance(old, CommentedMap) else ""
    parent[key] = value
    _give_tail(_last_leaf(parent, key), tail)


def _chain(root: CommentedMap, path: Path) -> list[tuple[CommentedMap, str]] | None:
    """(mapping, key) for each step of `path`, or None if it is not there."""
    chain = []
    node: Any = root
    for part in path:
        if not isinstance(node, CommentedMap) or part not in node:
            return None
        chain.append((node, part))
        node = node[part]
    return chain


def _last_leaf(parent: CommentedMap, key: str) -> tuple[CommentedMap, str]:
    """The (mapping, key) whose line is the last of entry `key`: its trailing comment follows the entry."""
    while isinstance(parent[key], CommentedMap) and parent[key]:
        parent, key = parent[key], list(parent[key])[-1]
    return parent, key


def _take_tail(leaf: tuple[CommentedMap, str]) -> str:
    """Remove and return the whole lines after the leaf's own line (its end-of-line comment stays)."""
    parent, key = leaf
    slots = parent.ca.items.get(key)
    token = slots[_POST] if slots and len(slots) > _POST else None
    if not isinstance(token, CommentToken):
        return ""
    own, newline, tail = token.value.partition("\n")
    token.value = own + newline
    return tail


def _give_tail(leaf: tuple[CommentedMap, str], tail: str) -> None:
    if not tail:
        return
    parent, key = leaf
    slots = parent.ca.items.setdefault(key, [None, None, None, None])
    token = slots[_POST]
    if isinstance(token, CommentToken):
        token.value = (token.value if token.value.endswith("\n") else token.value + "\n") + tail
    else:
        slots[_POST] = _token("\n" + tail)


def _token(text: str) -> CommentToken:
    return CommentToken(text, CommentMark(0), None)
