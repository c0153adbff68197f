"""The text a definition's syntax tree is hashed from, the same on every CPython version.

`ast.dump` is not that text: its output changes between minor versions (3.12 added
`type_params=[]` to every function and class, 3.13 leaves empty fields out), so hashing it made
every stage "code changed" after a Python upgrade and kept machines on different versions from
sharing the run cache. The canonical form names each node by its type and its fields in sorted
order, leaves out fields that are None or empty (which is how a new version's additions look on
code that does not use them, so later versions follow without a change here), never includes
positions, and writes constants with their type (`1`, `1.0` and `True` differ).

Scheme 1 (the `ast.dump` text) is kept only to compare locks written before scheme 2 once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

SCHEME = 2  # recorded in every lock beside the fingerprint
LEGACY_SCHEME = 1  # locks without a recorded scheme


def text(node: ast.AST, scheme: int = SCHEME) -> str:
    """`node` without docstrings, positions or comments (which the tree never had)."""
    with _docstrings_cut(node):
        if scheme == LEGACY_SCHEME:
            return ast.dump(node, annotate_fields=False)
        parts: list[str] = []
        _write(node, parts)
        return "".join(parts)


def _write(value: object, out: list[str]) -> None:
    if isinstance(value, ast.AST):
        out.append(type(value).__name__)
        fields = [(name, getattr(value, name, None)) for name in sorted(value._fields)]
        present = [(name, field) for name, field in fields if field is not None and field != []]
        if not present:
            return  # `Load`, `Add`, `Pass`: the type says it all
        out.append("(")
        for index, (name, field) in enumerate(present):
            out.append(f"{',' if index else ''}{name}=")
            if isinstance(value, ast.Constant) and name == "value":
                out.append(f"{type(field).__name__}:{field!r}")
            else:
                _write(field, out)
        out.append(")")
    elif isinstance(value, list):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:  # identifiers, operators' own strings, conversion codes: plain values
        out.append(repr(value))


class _docstrings_cut:
    """Docstrings are taken out of the (cached, shared) tree only while it is written and put
    back at once: far cheaper than copying the tree."""

    def __init__(self, node: ast.AST) -> None:
        self._cut = list(_docstring_bodies(node))

    def __enter__(self) -> None:
        for child, body in self._cut:
            child.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]

    def __exit__(self, *exc: object) -> None:
        for child, body in self._cut:
            child.body = body  # type: ignore[attr-defined]


def _docstring_bodies(node: ast.AST) -> Iterator[tuple[ast.AST, list[ast.stmt]]]:
    for child in ast.walk(node):
        body = getattr(child, "body", None)
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                yield child, body
