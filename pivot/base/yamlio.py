"""YAML through libyaml's C parser and emitter when present: ten times faster than pure Python,
which matters when a no-op run reads hundreds of lock files."""

from __future__ import annotations

from typing import Any

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
