"""The architecture rules of DESIGN.md section 2, checked by parsing every module's imports."""

from __future__ import annotations

import ast
import functools
import pathlib

import pivot

PACKAGE = pathlib.Path(pivot.__file__).parent

# Lower numbers are lower layers; a module may import only from its own layer or below.
LAYERS = {
    "pivot": 0,
    "pivot.__main__": 9,
    "pivot.errors": 0,
    "pivot.atomic": 0,
    "pivot.diskfull": 0,
    "pivot.yamlio": 0,
    "pivot.importing": 0,
    "pivot.wording": 0,
    "pivot.redaction": 0,
    "pivot.project": 1,
    "pivot.yamldoc": 1,
    "pivot.loaders": 1,
    "pivot.outputs": 1,
    "pivot.stage_def": 1,
    "pivot.stage": 1,
    "pivot.codesource": 1,
    "pivot.codescope": 1,
    "pivot.pipeline": 1,
    "pivot.gitignore": 1,
    "pivot.storage": 2,
    "pivot.storage.runcache": 2,  # entries are plain values; observe (6) computes their keys
    "pivot.config": 3,
    "pivot.config_schema": 3,
    "pivot.config_edit": 3,
    "pivot.params": 3,
    "pivot.matrix": 3,
    "pivot.fingerprint": 3,
    "pivot.discovery": 4,
    "pivot.loadmemo": 4,
    "pivot.graph": 4,
    "pivot.targets": 4,
    "pivot.status": 5,
    "pivot.workspace": 5,
    "pivot.dag": 5,
    "pivot.observe": 6,
    "pivot.tracking": 6,
    "pivot.references": 6,
    "pivot.reporting": 6,
    "pivot.restore": 6,
    "pivot.executor": 7,
    "pivot.remote": 7,
    "pivot.report": 7,
    # Joins the executor's worker to the remote cache (Dask's remote-cache mode): above both, so
    # neither imports the other; only the CLI uses it.
    "pivot.scaleout": 7.5,
    "pivot.cli": 8,
}

# Third-party imports that only one place may make.
OWNERS = {
    "loky": ("pivot.executor.pool",),
    "distributed": ("pivot.executor.cluster",),
    "dask": ("pivot.executor.cluster",),
    "fsspec": ("pivot.remote.fs",),
    "s3fs": ("pivot.remote.fs",),
    "gcsfs": ("pivot.remote.fs",),
    "click": ("pivot.cli",),
    "tqdm": ("pivot.cli",),
}


@functools.cache  # every test reads the same tree: parse it once per session
def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(), filename=str(path))
    return found


def _imports(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _layer(module: str) -> int:
    best = max((key for key in LAYERS if module == key or module.startswith(key + ".")), key=len)
    return LAYERS[best]


def _is(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_every_module_has_a_layer():
    """A new module must be placed in a layer on purpose, not fall into the package's own."""
    unplaced = [
        name for name in _modules() if name != "pivot" and not any(name == k or name.startswith(k + ".") for k in LAYERS if k != "pivot")
    ]
    assert not unplaced, f"add these to LAYERS: {unplaced}"


def test_modules_import_only_from_their_layer_or_below():
    problems = []
    for name, tree in _modules().items():
        for imported in _imports(tree):
            target = _resolve(imported)
            if target and _layer(target) > _layer(name):
                problems.append(f"{name} (layer {_layer(name)}) imports {target} (layer {_layer(target)})")
    assert not problems, "\n".join(sorted(problems))


def _resolve(imported: str) -> str | None:
    """The pivot module an import names (`from pivot import status` names pivot.status)."""
    if not _is(imported, "pivot"):
        return None
    parts = imported.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        path = PACKAGE.parent / pathlib.Path(*parts[:end])
        if path.with_suffix(".py").exists() or (path / "__init__.py").exists():
            return candidate
    return None


def test_executor_and_remote_never_import_each_other():
    for name, tree in _modules().items():
        imports = _imports(tree)
        if _is(name, "pivot.executor"):
            assert not any(_is(i, "pivot.remote") for i in imports), name
        if _is(name, "pivot.remote"):
            assert not any(_is(i, "pivot.executor") for i in imports), name
        if _is(name, "pivot.report"):
            assert not any(_is(i, "pivot.executor") for i in imports), name


def test_heavy_and_io_libraries_are_imported_in_one_place():
    for name, tree in _modules().items():
        for imported in _imports(tree):
            for library, owners in OWNERS.items():
                if _is(imported, library):
                    assert any(_is(name, owner) for owner in owners), f"{name} imports {library}"


def test_only_the_cli_prints():
    for name, tree in _modules().items():
        if _is(name, "pivot.cli"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                raise AssertionError(f"{name} calls print() at line {node.lineno}")
