"""The checks behind tests/test_layers.py, as functions over a parsed tree of modules so each rule can
be shown catching a violation planted in a small fake package (tests/test_layer_rules.py).

A tree maps dotted module names to `Module`s; it is read from a directory or built from source
text. Every check returns its findings as `file:line: what` strings, sorted, empty when clean."""

from __future__ import annotations

import ast
import dataclasses
import functools
import pathlib
import re
from collections.abc import Collection, Iterator, Mapping

STD_STREAMS = ("sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__")


@dataclasses.dataclass(frozen=True)
class Module:
    name: str
    path: str  # shown in findings
    tree: ast.Module
    is_package: bool  # an `__init__`: its relative imports start from itself, not its parent


@dataclasses.dataclass(frozen=True)
class Import:
    target: str  # absolute dotted name as imported, e.g. "pivot.storage.cache.put"
    line: int
    how: str  # "import", "relative import", "importlib", "__import__"


Tree = Mapping[str, Module]


def read_tree(package_dir: pathlib.Path) -> dict[str, Module]:
    """Every module under `package_dir`, named as Python would import it."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        tree = ast.parse(path.read_text(), filename=str(path))
        found[name] = Module(name, str(path), tree, is_package)
    return found


def parse_sources(sources: Mapping[str, str], packages: Collection[str] = ()) -> dict[str, Module]:
    """A tree from source text; a module is a package if named in `packages` or if another
    module lives inside it."""
    found = {}
    for name, text in sources.items():
        is_package = name in packages or any(other.startswith(name + ".") for other in sources)
        path = name.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        found[name] = Module(name, path, ast.parse(text, filename=path), is_package)
    return found


def is_in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def owner(module: str, keys: Collection[str]) -> str | None:
    """The most specific key `module` falls under."""
    matches = [key for key in keys if is_in(module, key)]
    return max(matches, key=len) if matches else None


@functools.cache  # several checks read the imports of each module of one tree
def imports(module: Module) -> tuple[Import, ...]:
    """Every import `module` makes: statements (relative ones made absolute) and calls of
    `importlib.import_module` or `__import__` with a constant name (or a constant dotted prefix,
    as in f"pivot.remote.{name}")."""
    found: list[Import] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno, "import") for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.extend(_from_import(module, node))
        elif isinstance(node, ast.Call):
            dynamic = _dynamic_import(module, node)
            found.extend([dynamic] if dynamic is not None else [])
    return tuple(found)


def _from_import(module: Module, node: ast.ImportFrom) -> Iterator[Import]:
    if node.level == 0:
        base, how = node.module or "", "import"
    else:
        resolved = _relative_base(module, node.level)
        if resolved is None:
            return  # beyond the top package: Python refuses it at import time
        base = f"{resolved}.{node.module}" if node.module else resolved
        how = "relative import"
    yield Import(base, node.lineno, how)
    for alias in node.names:
        if alias.name != "*":
            yield Import(f"{base}.{alias.name}", node.lineno, how)


def _relative_base(module: Module, level: int) -> str | None:
    """The package `from .` (level 1), `from ..` (level 2), ... means inside `module`."""
    parts = module.name.split(".")
    keep = len(parts) - level + (1 if module.is_package else 0)
    return ".".join(parts[:keep]) if keep > 0 else None


def _dynamic_import(module: Module, call: ast.Call) -> Import | None:
    name = _dotted(call.func)
    if name in ("importlib.import_module", "import_module"):
        how = "importlib"
    elif name in ("__import__", "builtins.__import__"):
        how = "__import__"
    else:
        return None
    if not call.args:
        return None
    target = _constant_prefix(call.args[0])
    if target is None or not target.strip("."):
        return None  # computed at run time: no static check can follow it
    if target.startswith("."):
        anchor = _package_argument(module, call)
        if anchor is None:
            return None
        level = len(target) - len(target.lstrip("."))
        anchored = _relative_base(Module(anchor, module.path, module.tree, True), level)
        if anchored is None:
            return None
        target = f"{anchored}.{target.lstrip('.')}"
    return Import(target.rstrip("."), call.lineno, how)


def _constant_prefix(node: ast.expr) -> str | None:
    """A constant string, or the whole dotted names known before run time of an f-string or `+`
    (f"pivot.remote.{name}" -> "pivot.remote"; f"pivot.re{x}" says only "pivot")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return _head(node).rpartition(".")[0] or None


def _head(node: ast.expr) -> str:
    """The text a string expression starts with whatever its run-time parts are."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _head(node.values[0])
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _head(node.left)
    return ""


def _package_argument(module: Module, call: ast.Call) -> str | None:
    """The anchor of a relative `import_module(".x", package)`."""
    given = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "package":
            given = keyword.value
    if isinstance(given, ast.Constant) and isinstance(given.value, str):
        return given.value
    if isinstance(given, ast.Name) and given.id == "__package__":
        return module.name if module.is_package else module.name.rpartition(".")[0]
    if isinstance(given, ast.Name) and given.id == "__name__":
        return module.name
    return None


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of attribute lookups on a name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def resolve(target: str, tree: Tree) -> str | None:
    """The module of the tree an import names (`from pivot import status` names pivot.status,
    `from pivot.storage.cache import put` names pivot.storage.cache); None outside the tree."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in tree:
            return candidate
    return None


def arrows(tree: Tree) -> Iterator[tuple[Module, Import, str]]:
    """Each import of one module of the tree by another, with the module it lands on; of
    `from pivot.x import y` only pivot.x.y when that is a module (one line, one finding)."""
    for module in tree.values():
        landed: dict[tuple[int, str], Import] = {}
        for found in imports(module):
            target = resolve(found.target, tree)
            if target is not None and target != module.name:
                landed.setdefault((found.line, target), found)
        for (line, target), found in landed.items():
            if not any(at == line and other.startswith(target + ".") for at, other in landed):
                yield module, found, target


def where(module: Module, line: int) -> str:
    return f"{module.path}:{line}"


# The checks. Each names the file and line, what was imported or written, and the rule it breaks.


def unplaced(tree: Tree, table: Mapping[str, object], top: str = "pivot") -> list[str]:
    """Modules no entry of `table` covers, other than the top package's own entry: a new module
    or package must be placed on purpose, not fall into the top package's rule."""
    keys = [key for key in table if key != top]
    return sorted(name for name in tree if name != top and owner(name, keys) is None)


def upward_imports(tree: Tree, layers: Mapping[str, float]) -> list[str]:
    """Imports of a module in a higher layer than the importer's."""
    problems: set[str] = set()
    for module, found, target in arrows(tree):
        mine, theirs = owner(module.name, layers), owner(target, layers)
        if mine is None or theirs is None or layers[theirs] <= layers[mine]:
            continue
        problems.add(
            f"{where(module, found.line)}: {module.name} (layer {layers[mine]}) imports {target} "
            f"(layer {layers[theirs]}) by {found.how}"
        )
    return sorted(problems)


def forbidden_imports(
    tree: Tree, may_import: Mapping[str, Collection[str]], always: Collection[str], top: str = "pivot"
) -> list[str]:
    """Imports from one package of `may_import` into another that the importer's entry does not
    list; `always` are modules everyone may import. Arrows inside a package are the layers' job."""
    keys = [key for key in may_import if key != top]
    problems: set[str] = set()
    for module, found, target in arrows(tree):
        mine, theirs = owner(module.name, keys), owner(target, keys)
        if target in always or mine is None or theirs is None or mine == theirs:
            continue
        if theirs not in may_import[mine]:
            problems.add(
                f"{where(module, found.line)}: {module.name} imports {target} by {found.how}, "
                f"but {mine} may not import {theirs}"
            )
    return sorted(problems)


def docstring_grants(tree: Tree, may_import: Mapping[str, Collection[str]], always: Collection[str]) -> list[str]:
    """Packages a package's docstring says it may import (the `pivot.x` names quoted in its "May
    import ..." clause) that its `may_import` entry does not allow: the table and the docstring
    must tell one story. ("and below" cannot be checked this way; the table spells it out.)"""
    problems = []
    for name, allowed in may_import.items():
        module = tree.get(name)
        if module is None:
            continue
        clause = re.search(r"may import(.*?)(?:\.\s|\.$|;|$)", ast.get_docstring(module.tree) or "", re.I | re.S)
        granted = re.findall(r"`(pivot(?:\.\w+)*)`", clause.group(1)) if clause else []
        problems += [
            f"{module.path}:1: the docstring of {name} says it may import {grant}, but MAY_IMPORT does not allow it"
            for grant in granted
            if grant not in (*allowed, *always, name)
        ]
    return sorted(problems)


def misplaced_libraries(tree: Tree, owners: Mapping[str, Collection[str]]) -> list[str]:
    """Imports of a third-party library by a module other than the one place allowed to."""
    problems: set[str] = set()
    for module in tree.values():
        for found in imports(module):
            for library, places in owners.items():
                if is_in(found.target, library) and not any(is_in(module.name, p) for p in places):
                    problems.add(f"{where(module, found.line)}: {module.name} imports {library} by {found.how}")
    return sorted(problems)


def console_writes(tree: Tree, allowed: Collection[str]) -> list[str]:
    """Writes to the terminal from modules outside `allowed`: print, click.echo, sys.stdout and
    sys.stderr (flushing them is fine), os.write to fd 1 or 2, tqdm's progress bars, and child
    processes left to print on the user's terminal."""
    problems: set[str] = set()
    for module in tree.values():
        if not any(is_in(module.name, place) for place in allowed):
            problems.update(f"{where(module, line)}: {module.name} {what}" for line, what in _console_uses(module))
    return sorted(problems)


def _console_uses(module: Module) -> Iterator[tuple[int, str]]:
    flushed = {
        id(node.value)
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Attribute) and node.attr == "flush" and _dotted(node.value) in STD_STREAMS
    }
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Name) and node.id == "print":
            yield node.lineno, "uses print"  # called, or handed on as a callback that prints
        elif isinstance(node, ast.Attribute) and _dotted(node) in (*STD_STREAMS, "click.echo", "click.secho"):
            if id(node) not in flushed:
                yield node.lineno, f"uses {_dotted(node)}"
        elif isinstance(node, ast.Call) and _prints(node):
            yield node.lineno, f"calls {_dotted(node.func)}"
        elif isinstance(node, ast.Call) and _lets_a_child_print(node):
            yield node.lineno, f"calls {_dotted(node.func)} without capturing the child's stdout and stderr"
    for found in imports(module):
        if found.target in (*STD_STREAMS, "click.echo", "click.secho"):
            yield found.line, f"imports {found.target}"
        elif is_in(found.target, "tqdm"):
            yield found.line, "imports tqdm (its progress bars write to stderr)"


SUBPROCESS_CALLS = (
    "subprocess.run",
    "subprocess.Popen",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
)


def _lets_a_child_print(call: ast.Call) -> bool:
    """A subprocess whose output would reach the terminal: one that neither captures its output
    nor sends both streams elsewhere (`**options` could do either: not judged)."""
    name = _dotted(call.func)
    if name not in SUBPROCESS_CALLS:
        return False
    given = {keyword.arg: keyword.value for keyword in call.keywords}
    if None in given:
        return False
    captured = given.get("capture_output")
    if isinstance(captured, ast.Constant) and captured.value is True:
        return False
    routed = {"stderr"} if name == "subprocess.check_output" else {"stdout", "stderr"}  # it captures stdout
    return not routed <= given.keys()


def _prints(call: ast.Call) -> bool:
    """pprint's printing functions, and os.write to fd 1 or 2 (not to a log file's fd)."""
    name = _dotted(call.func)
    if name == "os.write":
        fd = call.args[0] if call.args else None
        return isinstance(fd, ast.Constant) and fd.value in (1, 2)
    return name in ("pprint", "pprint.pprint")
