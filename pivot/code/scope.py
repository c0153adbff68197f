"""Which names in a piece of code are module lookups: Python's scope rules applied to a syntax tree.

A name a function binds itself (a parameter, an assignment, a loop, with or except target, a
comprehension variable, a nested def) is a local: reading it never means the module-level function
or constant of the same name, so it is no code dependency. Names bound by an `import` inside a
function are locals too, but they stand for what the import names: those reads are returned with
their import statement, for the walk to resolve. The same pass finds the constructs a static walk
cannot see through (`eval`, `getattr` with a computed name, ...), which `pivot explain` reports.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator, Mapping

# A name's binding in a scope: None for a plain local, else the import statement that binds it.
Env = Mapping[str, ast.stmt | None]
_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSION = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_SCOPES = (*_FUNCTION, ast.ClassDef)
_LEAVES = (ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.alias, ast.Pass)


@dataclasses.dataclass(frozen=True, slots=True)
class Read:
    """A read of `a` or `a.b.c`: a module lookup when `via` is None, else through that import."""

    chain: tuple[str, ...]
    via: ast.stmt | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class BlindSpot:
    """A construct whose reads cannot be known from the source (a computed getattr, say)."""

    what: str  # e.g. "getattr with a computed name"
    line: int


def reads(nodes: list[ast.AST]) -> tuple[list[Read], list[BlindSpot]]:
    """Every outermost chain read in `nodes` (module-level statements or a def/class) that is not a
    plain local, in order, and the blind spots met on the way."""
    scan = _Scan()
    for node in nodes:
        scan.visit(node, {}, {})
    return list(dict.fromkeys(scan.reads)), scan.blind


class _Scan:
    def __init__(self) -> None:
        self.reads: list[Read] = []
        self.blind: list[BlindSpot] = []

    def visit(self, node: ast.AST, env: Env, nested: Env) -> None:
        """`env`: what names mean here; `nested`: what they mean to a function defined here (a
        class body's names are not visible inside its methods)."""
        if isinstance(node, ast.Attribute | ast.Name):  # the most frequent nodes first
            self._chain(node, env, nested)
        elif isinstance(node, _FUNCTION):
            self._function(node, env, nested)
        elif isinstance(node, ast.ClassDef):
            for child in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
                self.visit(child, env, nested)
            own = {**env, **_bindings(node.body)[0]}
            for stmt in node.body:
                self.visit(stmt, own, nested)
        elif isinstance(node, _COMPREHENSION):
            self._comprehension(node, env, nested)
        else:
            if isinstance(node, ast.Call):
                self._check_call(node, env)
            for inner in ast.iter_child_nodes(node):
                if not isinstance(inner, _LEAVES):
                    self.visit(inner, env, nested)

    def _function(self, node: ast.AST, env: Env, nested: Env) -> None:
        args: ast.arguments = node.args  # type: ignore[attr-defined]
        outer = [*getattr(node, "decorator_list", []), *args.defaults, *(d for d in args.kw_defaults if d)]
        every_arg = [*args.posonlyargs, *args.args, *args.kwonlyargs, *filter(None, (args.vararg, args.kwarg))]
        outer += [a.annotation for a in every_arg if a.annotation] + [r for r in [getattr(node, "returns", None)] if r]
        for child in outer:  # evaluated where the function is defined, not inside it
            self.visit(child, env, nested)
        body = node.body if isinstance(node.body, list) else [node.body]  # type: ignore[attr-defined]
        bound, declared_global = _bindings(body)
        inner = {k: v for k, v in nested.items() if k not in declared_global}
        inner.update({a.arg: None for a in every_arg})
        inner.update({k: v for k, v in bound.items() if k not in declared_global})
        for stmt in body:
            self.visit(stmt, inner, inner)

    def _comprehension(self, node: ast.AST, env: Env, nested: Env) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        self.visit(generators[0].iter, env, nested)  # the first iterable is evaluated outside
        inner = dict(nested)  # a function scope of its own: a class body's names are not seen
        for gen in generators:
            inner.update({n.id: None for n in ast.walk(gen.target) if isinstance(n, ast.Name)})
        rest = [generators[0].target, *generators[0].ifs]
        for gen in generators[1:]:
            rest += [gen.target, gen.iter, *gen.ifs]
        rest += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]  # type: ignore[attr-defined]
        for child in rest:
            self.visit(child, inner, inner)

    def _chain(self, node: ast.Attribute | ast.Name, env: Env, nested: Env) -> None:
        current, parts = _split(node)
        if not isinstance(current, ast.Name):  # `f().x`, `a[0].b`: the base holds the reads
            self.visit(current, env, nested)
            return
        if not isinstance(current.ctx, ast.Load) and not parts:
            return  # a binding (`x = ...`), not a read
        if current.id in env and env[current.id] is None:
            return  # a local: never the module-level name of the same spelling
        self.reads.append(Read((current.id, *parts), env.get(current.id)))

    def _getattr_read(self, obj: ast.expr, attr: str, env: Env) -> None:
        """`getattr(m, "f")` reads `m.f`, as the attribute would."""
        base, parts = _split(obj)
        if isinstance(base, ast.Name) and not _is_local(base, env):
            self.reads.append(Read((base.id, *parts, attr), env.get(base.id)))

    def _check_call(self, node: ast.Call, env: Env) -> None:
        name = _callee(node.func)
        if name is None or _is_local(node.func, env):
            return
        if name == "getattr" and len(node.args) >= 2 and _is_name(node.args[1]):
            self._getattr_read(node.args[0], node.args[1].value, env)  # type: ignore[attr-defined]
        computed = bool(node.args) and not isinstance(node.args[0], ast.Constant)
        if name in ("eval", "exec", "__import__"):
            self.blind.append(BlindSpot(name, node.lineno))
        elif name == "getattr" and len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant):
            if not _is_local(node.args[0], env):  # `getattr(row, column)` on a local reads data, not code
                self.blind.append(BlindSpot("getattr with a computed name", node.lineno))
        elif name in ("importlib.import_module", "import_module") and computed:
            self.blind.append(BlindSpot("importlib.import_module with a computed name", node.lineno))
        elif name == "globals" and not node.args:
            self.blind.append(BlindSpot("globals()", node.lineno))


def _is_name(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, str) and expr.value.isidentifier()


def _split(expr: ast.expr) -> tuple[ast.expr, list[str]]:
    """`a.b.c` -> (the node `a`, ["b", "c"])."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    return expr, parts[::-1]


def _is_local(expr: ast.expr, env: Env) -> bool:
    base = _split(expr)[0]
    return isinstance(base, ast.Name) and base.id in env and env[base.id] is None


def _callee(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return None


def _bindings(body: list[ast.stmt]) -> tuple[dict[str, ast.stmt | None], set[str]]:
    """Names a scope binds in its own body (not in nested functions or classes), and the names it
    declares global. An import wins over a plain binding of the same name, so a read of it is
    still followed."""
    bound: dict[str, ast.stmt | None] = {}
    declared_global: set[str] = set()
    for node in _own_nodes(body):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound[(alias.asname or alias.name).split(".")[0]] = node
        elif isinstance(node, ast.Global):
            declared_global.update(node.names)
        else:
            for name in _bound_by(node):
                bound.setdefault(name, None)
    return bound, declared_global


def _bound_by(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        yield node.id
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
        if node.name:  # `except E:` and `case _:` bind nothing
            yield node.name
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield node.rest
    elif isinstance(node, ast.Nonlocal):
        yield from node.names  # the enclosing function's local: never a module lookup


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The nodes of one scope: nested functions and classes are yielded but not entered, and of a
    comprehension only its walrus targets, which bind in the enclosing scope. A loop, not
    recursion: this runs over every function body the walk reads."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.expr_context | ast.Constant):
            continue
        yield node
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, _COMPREHENSION):
            yield from (n.target for n in ast.walk(node) if isinstance(n, ast.NamedExpr))
            continue
        stack.extend(ast.iter_child_nodes(node))
