"""YAML through libyaml's C parser and emitter when present: ten times faster than pure Python,
which matters when a no-op run reads hundreds of lock files.

The one place pivot imports PyYAML (other modules take `yaml` from here). Its import compiles a
pattern only its pure-Python reader uses (`Reader.NON_PRINTABLE`, a class of 1.1 million
characters: 4-5 ms, a third of the import, on every command); libyaml checks for unprintable
characters itself. So that pattern is compiled on first use instead (pivot.base.lazyregex): on
a machine without libyaml, when the pure-Python reader reads."""

from __future__ import annotations

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
    return yaml.dump(data, Dumper=SafeDumper, sort_keys=True, default_flow_style=False, allow_unicode=True)
