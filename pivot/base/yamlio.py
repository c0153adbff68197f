"""YAML through libyaml's C parser and emitter when present: ten times faster than pure Python,
which matters when a no-op run reads hundreds of lock files.

The one place pivot imports PyYAML (other modules take `yaml` from here). Its import compiles a
pattern only its pure-Python reader uses (`Reader.NON_PRINTABLE`, a class of 1.1 million
characters: 4-5 ms, a third of the import, on every command); libyaml checks for unprintable
characters itself. So that pattern is compiled on first use instead (pivot.base.lazyregex): on
a machine without libyaml, when the pure-Python reader reads."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pivot.base import lazyregex

# PyYAML 6.0's text of it (another version's text, if it differs, is compiled at import as before).
_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"

if TYPE_CHECKING:
    import yaml as yaml
else:
    with lazyregex.deferred(_NON_PRINTABLE):
        import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)


def load_value(text: str) -> Any:
    """One YAML scalar or flow value (`0.1`, `true`, `[1, 2]`, `"text"`), as a command line gives
    it; ValueError, with YAML's reason, when it is not valid YAML."""
    try:
        return yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        reason = getattr(exc, "problem", None) or str(exc)  # without the "<unicode string>" position
        raise ValueError(" ".join(reason.split())) from None


def compose_and_load(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data, from one parse."""
    loader = SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def dump(data: Any) -> str:
    """Block-style YAML with sorted keys. The common shape, a lock file's (mappings, lists of
    strings, plain names, numbers and booleans), is written directly, as PyYAML writes it: its
    representer, not libyaml, takes ~0.2 ms a lock, and a run writes one per stage. Anything else
    (a float, a string YAML would quote, a long key) goes through PyYAML."""
    lines: list[str] = []
    if type(data) is dict and data and _block(data, "", lines, set()):
        return "\n".join(lines) + "\n"
    return yaml.dump(data, Dumper=SafeDumper, sort_keys=True, default_flow_style=False, allow_unicode=True)


_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./-]{0,99}")  # never quoted, unless YAML reads it as another type
_STR_TAG = "tag:yaml.org,2002:str"
_resolver: Any = None


def _block(mapping: dict[Any, Any], indent: str, lines: list[str], seen: set[int]) -> bool:
    """`mapping`'s lines as PyYAML writes them at `indent`; False for anything it writes otherwise
    (a mapping or list met twice, for one, is an anchor and an alias there)."""
    if id(mapping) in seen or not all(type(key) is str for key in mapping):
        return False
    seen.add(id(mapping))
    for key in sorted(mapping):
        value = mapping[key]
        head = _scalar(key)
        if head is None:
            return False
        if type(value) is dict and value:
            lines.append(f"{indent}{head}:")
            if not _block(value, indent + "  ", lines, seen):
                return False
        elif type(value) is list and value:  # a sequence in a mapping: at the key's own indent
            lines.append(f"{indent}{head}:")
            items = [_scalar(item) for item in value]
            if None in items or id(value) in seen:
                return False
            seen.add(id(value))
            lines.extend(f"{indent}- {item}" for item in items)
        else:
            text = "{}" if type(value) is dict else "[]" if type(value) is list else _scalar(value)
            if text is None:
                return False
            lines.append(f"{indent}{head}: {text}")
    return True


def _scalar(value: Any) -> str | None:
    global _resolver
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is not str or not _PLAIN.fullmatch(value) or value.startswith("..."):  # ("..." ends a document)
        return None
    if _resolver is None:
        _resolver = yaml.resolver.Resolver()
    return value if _resolver.resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG else None
