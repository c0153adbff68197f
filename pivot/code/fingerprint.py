"""Code fingerprints: a stage function plus every project-local function, class and constant it
uses, transitively, each hashed from its normalized syntax tree into a manifest `{name: hash}`.

Normalizing through the AST means comments, docstrings and formatting do not count; renaming a
variable does. Only code under the project root is walked (never a virtualenv inside it), so a
third-party upgrade is not a code change. Names are resolved with Python's scope rules
(`codescope`): a parameter or local named like a module-level function is not a use of it. The walk
is static: names resolved through `getattr`, `eval` or `importlib` at run time are not seen; where
the code does that, the fingerprint says so (`unseen`), and `pivot explain` shows it.

Besides the hashed parts, `sources` holds every project file the walk read or resolved a name
through (a package `__init__` that re-exports a helper, a module imported inside a function): a
change to any of them means the fingerprint must be computed again, and the load memo watches them.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import importlib
import importlib.util
import inspect
import os
import sys
import textwrap
import types
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import xxhash

from pivot.base import importing
from pivot.code import canonical
from pivot.code import source as codesource

if TYPE_CHECKING:
    from pivot.code import scope as codescope
from pivot.code.source import SourceFile, binding_statements, imported_module, imported_name, load_source, node_for, top_level_imports


@dataclasses.dataclass(frozen=True, slots=True)
class Unseen:
    """A place where the code reaches other code in a way a static walk cannot follow."""

    name: str  # the part that does it, e.g. "stages.train"
    what: str  # e.g. "getattr with a computed name"
    location: str  # "stages.py:12"


@dataclasses.dataclass(frozen=True, slots=True)
class Fingerprint:
    """The hash of the code a stage reaches, and the hash of each function or class in it."""

    digest: str
    manifest: Mapping[str, str]  # qualified name -> hash of its normalized source
    locations: Mapping[str, str]  # qualified name -> "file.py:line", for messages only
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict)  # file -> content hash
    unseen: tuple[Unseen, ...] = ()  # not part of the digest: reported, never a reason to run
    scheme: int = canonical.SCHEME  # how parts were hashed; the lock records it


def of(func: Callable[..., Any], *, relative_to: str, scheme: int = canonical.SCHEME) -> Fingerprint:
    """The fingerprint of a stage function in the project rooted at `relative_to`; `scheme` other
    than the current one only to compare with a lock written before it (`canonical`)."""
    walker = _Walker(os.path.abspath(relative_to), scheme)
    walker.visit(func, None, "")
    if not walker.manifest:  # a stage function from an installed package: at least its own code counts
        walker.manifest[qualified_name(func)] = _code_hash(inspect.unwrap(func), scheme)
    manifest = dict(sorted(walker.manifest.items()))
    sources = dict(sorted(walker.sources.items()))
    unseen = tuple(dict.fromkeys(walker.unseen))
    return Fingerprint(combine(manifest), manifest, walker.locations, sources, unseen, scheme)


def combine(manifest: Mapping[str, str]) -> str:
    text = "\n".join(f"{key}={manifest[key]}" for key in sorted(manifest))
    return xxhash.xxh3_128_hexdigest(text.encode())


def qualified_name(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def sources_unchanged(fp: Fingerprint, root: str, seen: dict[str, str | None] | None = None) -> bool:
    """Whether every file that went into `fp` still has the content it had (memo validity)."""
    return codesource.unchanged(root, fp.sources, seen)


class _Walker:
    def __init__(self, root: str, scheme: int) -> None:
        self.root = root
        self.scheme = scheme
        self.manifest: dict[str, str] = {}
        self.locations: dict[str, str] = {}
        self.sources: dict[str, str] = {}
        self.unseen: list[Unseen] = []
        self._seen: set[int] = set()
        self._followed: set[tuple[str, str]] = set()  # (module, name) already followed
        self._files: dict[str | None, SourceFile | None] = {}  # module file -> parsed project source

    def visit(self, obj: Any, owner: types.ModuleType | None, name: str) -> None:
        """`obj` is what `name` means in module `owner` (None for the stage function itself)."""
        if isinstance(obj, types.MethodType):
            obj = obj.__func__
        if isinstance(obj, functools.partial):
            for part in (obj.func, *obj.args, *obj.keywords.values()):
                self.visit(part, None, "")
            if owner is not None and name:
                self._visit_constant(owner, name)
            return
        if owner is not None and name:
            self._follow(owner, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            alias = f"{owner.__name__}.{name}" if owner is not None and name else ""
            self._visit_definition(inspect.unwrap(obj) if inspect.isfunction(obj) else obj, alias)
        elif owner is not None and name and not inspect.ismodule(obj) and not inspect.isbuiltin(obj):
            self._visit_constant(owner, name)

    def _visit_definition(self, obj: Any, alias: str = "") -> None:
        if id(obj) in self._seen:
            return
        self._seen.add(id(obj))
        module = sys.modules.get(obj.__module__)
        source = self._project_source(module)
        if module is None or source is None:
            return  # third-party, standard library or built in: not walked
        node = node_for(source, obj.__qualname__, getattr(getattr(obj, "__code__", None), "co_firstlineno", 0))
        # A lambda has no name of its own: it goes by the name it is bound to (`square = lambda x: ...`).
        key = (alias or f"{obj.__module__}.<lambda>") if _is_lambda(obj) else qualified_name(obj)
        if node is None:  # no source to read (defined by exec): the compiled code stands in
            self.manifest[key] = _code_hash(obj, self.scheme)
            return
        self._record(key, source, [node])
        self._walk_names(source, [node], module, key)
        for cell_value in _closure_values(obj):
            self.visit(cell_value, None, "")

    def _visit_constant(self, module: types.ModuleType, name: str, depth: int = 0) -> None:
        source = self._project_source(module)
        key = f"{module.__name__}.{name}"
        if source is None or key in self.manifest or depth > 8:
            return
        statements = binding_statements(source, name)
        origin = _imported_from(statements, module)
        if origin is not None:  # `from config import THRESHOLD`: the value lives over there
            target = sys.modules.get(origin[0])
            if target is not None:
                self._visit_constant(target, origin[1], depth + 1)
            return
        if statements:
            self._record(key, source, statements)
            self._walk_names(source, statements, module, key)
        else:  # bound dynamically (globals(), a star import): plain data is hashed by value
            text = _plain_repr(getattr(module, name, None))
            if text is not None:
                self.manifest[key] = xxhash.xxh3_128_hexdigest(text.encode())

    def _record(self, key: str, source: SourceFile, nodes: Sequence[ast.AST]) -> None:
        self.manifest[key] = _part(source, nodes, self.scheme).digest
        self.locations[key] = f"{source.relpath}:{getattr(nodes[0], 'lineno', 0)}"
        self.sources[source.relpath] = source.digest

    def _walk_names(self, source: SourceFile, nodes: Sequence[ast.AST], module: types.ModuleType, key: str) -> None:
        part = _part(source, nodes, self.scheme)
        for spot in part.unseen:
            self.unseen.append(Unseen(key, spot.what, f"{source.relpath}:{spot.line}"))
        namespace = vars(module)
        for read in part.reads:
            chain = read.chain
            if read.via is not None:  # bound by an import inside a function
                head = self._resolve_import(read.via, chain[0], module)
                if head is None:
                    continue
                owner, value = head
            elif chain[0] in namespace:
                owner, value = module, namespace[chain[0]]
            else:
                continue  # a builtin, or a name bound only at run time
            name = chain[0] if owner is module else imported_name(read.via, chain[0]) or ""
            for index, attr in enumerate(chain[1:], start=1):
                if not inspect.ismodule(value) or self._project_source(value) is None:
                    break
                if not hasattr(value, attr):
                    break
                self._follow(owner, name)  # `lib.text.clean`: lib/__init__.py is looked through too
                owner, value, name = value, getattr(value, attr), attr
                chain = chain[: index + 1]
            self.visit(value, owner, name)

    def _resolve_import(self, stmt: ast.stmt, bound: str, module: types.ModuleType) -> tuple[types.ModuleType, Any] | None:
        """What `bound` means after `stmt`, an import inside a function, for project modules only:
        finding a module's file never imports it, so `import torch` in a stage costs nothing here."""
        if isinstance(stmt, ast.ImportFrom):
            base = imported_module(stmt, module.__package__)
            target = self._import_project_module(base)
            attr = imported_name(stmt, bound)
            if target is None or attr is None:
                return None
            if not hasattr(target, attr):  # `from pkg import submodule`, not imported by pkg itself
                sub = self._import_project_module(f"{base}.{attr}")
                return (target, sub) if sub is not None else None
            return target, getattr(target, attr)
        for alias in stmt.names:  # type: ignore[attr-defined]
            if (alias.asname or alias.name.split(".")[0]) != bound:
                continue
            target = self._import_project_module(alias.name)
            if target is not None:
                return module, target if alias.asname else sys.modules[alias.name.split(".")[0]]
        return None

    def _follow(self, module: types.ModuleType, name: str, depth: int = 0) -> None:
        """Watch every project file `name` is looked up in on its way from `module` to where it is
        defined (`from .impl import clean` in a package `__init__`): editing one of them can make
        the name mean another function, though no hashed part changed."""
        key = (module.__name__, name)
        if key in self._followed or depth > 8:
            return
        self._followed.add(key)
        source = self._project_source(module)
        if source is None:
            return
        self.sources[source.relpath] = source.digest
        stmt = top_level_imports(source).get(name)
        if stmt is None:
            return
        if isinstance(stmt, ast.ImportFrom):
            target = sys.modules.get(imported_module(stmt, module.__package__))
            attr = imported_name(stmt, name)
            if target is not None and attr is not None:
                self._follow(target, attr, depth + 1)
            return
        for alias in stmt.names:  # `import a.b as name`: the module itself is what the name means
            target = sys.modules.get(alias.name if alias.asname else alias.name.split(".")[0])
            if (alias.asname or alias.name.split(".")[0]) == name and target is not None:
                self._watch(target)

    def _watch(self, module: types.ModuleType) -> None:
        source = self._project_source(module)
        if source is not None:
            self.sources[source.relpath] = source.digest

    def _import_project_module(self, name: str) -> types.ModuleType | None:
        try:
            spec = importlib.util.find_spec(name.split(".")[0])
            if spec is None or not importing.is_project_module(spec.origin, self.root):
                return None
            return importlib.import_module(name)
        except Exception:  # the stage will meet the same error when it runs; nothing to walk here
            return None

    def _project_source(self, module: types.ModuleType | None) -> SourceFile | None:
        path: str | None = getattr(module, "__file__", None)
        if path is None:
            return None
        if path in self._files:  # one stat per file and walk, however often names lead there
            return self._files[path]
        source = None
        if importing.is_project_module(path, self.root) and path.endswith(".py"):
            with contextlib.suppress(OSError, SyntaxError, ValueError):
                source = load_source(path, self.root)
        self._files[path] = source
        return source


@dataclasses.dataclass(frozen=True, slots=True)
class _Part:
    """What the walk needs from one definition's syntax, computed once per parsed file."""

    digest: str
    reads: tuple[codescope.Read, ...]  # module lookups and names bound by imports inside functions
    unseen: tuple[codescope.BlindSpot, ...]


def _part(source: SourceFile, nodes: Sequence[ast.AST], scheme: int) -> _Part:
    key = (scheme, *(id(node) for node in nodes))  # stable: the source keeps its tree alive
    found = source.parts.get(key)
    if found is None:
        digest = xxhash.xxh3_128_hexdigest("\n".join(canonical.text(n, scheme) for n in nodes).encode())
        from pivot.code import scope as codescope  # only when a definition is walked, never on a memo hit

        reads, unseen = codescope.reads(list(nodes))
        found = _Part(digest, tuple(reads), tuple(unseen))
        source.parts[key] = found
    return found


def _imported_from(statements: list[ast.stmt], module: types.ModuleType) -> tuple[str, str] | None:
    if len(statements) != 1 or not isinstance(statements[0], ast.ImportFrom):
        return None
    stmt = statements[0]
    for alias in stmt.names:
        return imported_module(stmt, module.__package__), alias.name
    return None


def _closure_values(func: Any) -> list[Any]:
    cells = getattr(func, "__closure__", None) or ()
    values = []
    for cell in cells:
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    return values


def _is_lambda(obj: Any) -> bool:
    return getattr(obj, "__name__", "") == "<lambda>"


_PLAIN = (str, int, float, bool, bytes, type(None))


def _plain_repr(value: Any, depth: int = 0) -> str | None:
    if isinstance(value, _PLAIN):
        return repr(value)
    if depth > 4:
        return None
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain_repr(item, depth + 1) for item in value]
        known = [item for item in items if item is not None]
        if len(known) != len(items):
            return None
        body = sorted(known) if isinstance(value, set | frozenset) else known
        return f"{type(value).__name__}({', '.join(body)})"
    if isinstance(value, dict):
        pairs = [(_plain_repr(k, depth + 1), _plain_repr(v, depth + 1)) for k, v in value.items()]
        if any(k is None or v is None for k, v in pairs):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    return None


def _code_hash(obj: Any, scheme: int) -> str:
    """For code with no project source to walk (a function from an installed package, or one
    defined by exec): its own source when it can be read, else its compiled code, which (unlike
    the source) differs between Python versions."""
    if scheme != canonical.LEGACY_SCHEME:
        with contextlib.suppress(OSError, TypeError, SyntaxError, ValueError):
            tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
            return xxhash.xxh3_128_hexdigest(canonical.text(tree, scheme).encode())
    code = getattr(obj, "__code__", None)
    payload = code.co_code + repr(code.co_consts).encode() if code else repr(obj).encode()
    return xxhash.xxh3_128_hexdigest(payload)
