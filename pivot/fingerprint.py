"""Code fingerprints: a hash of a stage function's normalized source, plus a manifest naming each part.

Normalizing through the AST means comments, docstrings and formatting do not count; renaming a
variable does. The manifest `{module.qualname: hash}` lets `explain` name what changed.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

import xxhash


@dataclasses.dataclass(frozen=True, slots=True)
class Fingerprint:
    digest: str
    manifest: Mapping[str, str]  # qualified name -> hash of its normalized source
    locations: Mapping[str, str]  # qualified name -> "file.py:line", for messages only


@functools.cache
def of(func: Callable[..., Any], *, relative_to: str = "") -> Fingerprint:
    """Memoized per function object: a reload of the module makes new objects, so edits count."""
    name = qualified_name(func)
    manifest = {name: _node_hash(func)}
    locations = {name: _location(func, relative_to)}
    return Fingerprint(combine(manifest), manifest, locations)


def combine(manifest: Mapping[str, str]) -> str:
    text = "\n".join(f"{key}={manifest[key]}" for key in sorted(manifest))
    return xxhash.xxh3_128_hexdigest(text.encode())


def qualified_name(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


@functools.cache
def _node_hash(obj: Any) -> str:
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        # No source (built in C, or defined in a REPL): fall back to the compiled code.
        code = getattr(obj, "__code__", None)
        payload = code.co_code + repr(code.co_consts).encode() if code else repr(obj).encode()
        return xxhash.xxh3_128_hexdigest(payload)
    _strip_docstrings(tree)
    return xxhash.xxh3_128_hexdigest(ast.dump(tree, annotate_fields=False).encode())


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]


def _location(obj: Any, relative_to: str) -> str:
    try:
        path = inspect.getsourcefile(obj) or "?"
        line = inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return "?"
    if relative_to and path.startswith(relative_to.rstrip("/") + "/"):
        path = path[len(relative_to.rstrip("/")) + 1 :]
    return f"{path}:{line}"
