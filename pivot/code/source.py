"""Parsed project source files, memoized by stat, and lookups in them: a definition by its
qualified name, the statements that bind a module-level name, the names its imports bind."""

from __future__ import annotations

import ast
import dataclasses
import os
from collections.abc import Iterator, Mapping
from typing import Any

import xxhash


@dataclasses.dataclass(frozen=True, slots=True)
class SourceFile:
    """One parsed Python source file, as the fingerprint walk reads it."""

    relpath: str  # project-relative POSIX path, as shown to the user
    digest: str  # xxh3-128 of the file's bytes
    tree: ast.Module
    parts: dict[Any, Any] = dataclasses.field(default_factory=dict)  # per-node results of the fingerprint walk


_parsed: dict[tuple[str, str], tuple[tuple[int, int, int], SourceFile]] = {}


def load_source(path: str, root: str) -> SourceFile:
    """The file parsed; parsed again only when its stat changed (a long-lived process sees edits)."""
    info = os.stat(path)
    key = (info.st_mtime_ns, info.st_size, info.st_ino)
    cached = _parsed.get((path, root))
    if cached is not None and cached[0] == key:
        return cached[1]
    with open(path, "rb") as handle:
        data = handle.read()
    relpath = os.path.relpath(path, root).replace(os.sep, "/")
    source = SourceFile(relpath, xxhash.xxh3_128_hexdigest(data), ast.parse(data, filename=path))
    _parsed[(path, root)] = (key, source)
    return source


def file_digest(path: str) -> str:
    """xxh3-128 of a file's bytes (source files are small: reading beats trusting a stat)."""
    with open(path, "rb") as handle:
        return xxhash.xxh3_128_hexdigest(handle.read())


def unchanged(root: str, digests: Mapping[str, str], seen: dict[str, str | None] | None = None) -> bool:
    """Whether every file (project-relative) still has the content hash it had. `seen` carries
    the digests already read in one load, so a helper module many stages use is read once."""
    seen = {} if seen is None else seen
    for rel, digest in digests.items():
        if rel not in seen:
            try:
                seen[rel] = file_digest(os.path.join(root, rel))
            except OSError:
                seen[rel] = None
        if seen[rel] != digest:
            return False
    return True


def node_for(source: SourceFile, qualname: str, firstlineno: int = 0) -> ast.AST | None:
    """The def/class node of `qualname`, or, for a lambda, the top-level statement holding it."""
    node: ast.AST = source.tree
    found: ast.AST | None = None
    for part in qualname.split("."):
        if part == "<locals>":
            continue
        if part == "<lambda>":
            return _statement_at(source, firstlineno)
        candidates = _definitions(source, node).get(part)
        if not candidates:
            return _statement_at(source, firstlineno) if firstlineno else None
        exact = [c for c in candidates if _first_line(c) == firstlineno]
        node = found = exact[-1] if exact else candidates[-1]  # the last definition is the one bound at run time
    return found


def binding_statements(source: SourceFile, name: str) -> list[ast.stmt]:
    """Module-level statements that bind `name` (inside top-level if/try/with blocks too)."""
    index = source.parts.get("bindings")
    if index is None:
        index = {}
        for stmt in _flatten(source.tree.body):
            for bound in _bound_names(stmt):
                index.setdefault(bound, []).append(stmt)
        source.parts["bindings"] = index
    return list(index.get(name, ()))


def top_level_imports(source: SourceFile) -> dict[str, ast.Import | ast.ImportFrom]:
    """Module-level names bound by an import, each to its (last) import statement; computed once
    per parsed file, so resolving a name through it costs a lookup, not a scan."""
    found = source.parts.get("imports")
    if found is None:
        found = {}
        for stmt in _flatten(source.tree.body):
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                for alias in stmt.names:
                    found[alias.asname or alias.name.split(".")[0]] = stmt
        source.parts["imports"] = found
    return found


def imported_module(stmt: ast.ImportFrom, package: str | None) -> str:
    """The module a from-import reads, a relative one resolved against the importer's package."""
    base = stmt.module or ""
    if stmt.level:
        parts = (package or "").split(".")
        base = ".".join([*parts[: len(parts) - stmt.level + 1], *([base] if base else [])])
    return base


def imported_name(stmt: ast.stmt | None, bound: str) -> str | None:
    """The name in the other module that `from m import name as bound` binds to `bound`."""
    if not isinstance(stmt, ast.Import | ast.ImportFrom):
        return None
    for alias in stmt.names:
        if (alias.asname or alias.name) == bound:
            return alias.name
    return None


def _flatten(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        if isinstance(stmt, ast.If | ast.Try | ast.With | ast.For | ast.While):
            for block in ("body", "orelse", "finalbody"):
                yield from _flatten(getattr(stmt, block, []))
            for handler in getattr(stmt, "handlers", []):
                yield from _flatten(handler.body)
        else:
            yield stmt


def _bound_names(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, ast.Assign):
        return {n.id for target in stmt.targets for n in ast.walk(target) if isinstance(n, ast.Name)}
    if isinstance(stmt, ast.AnnAssign | ast.AugAssign) and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return {(alias.asname or alias.name).split(".")[0] for alias in stmt.names}
    return set()


def _first_line(node: ast.AST) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    line: int = getattr(node, "lineno", 0)
    return min([d.lineno for d in decorators] + [line])


def _definitions(source: SourceFile, scope: ast.AST) -> dict[str, list[ast.stmt]]:
    """The def/class statements of one body (module or class/function) by name, in source order;
    indexed once per parsed file and scope, so a module with thousands of functions is not
    flattened again for every lookup (that made fingerprinting quadratic in its size)."""
    key = ("defs", scope)
    index: dict[str, list[ast.stmt]] | None = source.parts.get(key)
    if index is None:
        index = {}
        for stmt in _flatten(getattr(scope, "body", [])):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                index.setdefault(stmt.name, []).append(stmt)
        source.parts[key] = index
    return index


def _statement_at(source: SourceFile, line: int) -> ast.stmt | None:
    """The first module-level statement (in walk order) spanning `line`, by an index built once."""
    index: dict[int, ast.stmt] | None = source.parts.get("lines")
    if index is None:
        index = {}
        for stmt in _flatten(source.tree.body):
            for covered in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1):
                index.setdefault(covered, stmt)
        source.parts["lines"] = index
    return index.get(line)
