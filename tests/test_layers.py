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
    # Role packages: each module inside has its own entry; the package itself holds no code.
    "pivot.base": 0,
    "pivot.code": 1,
    "pivot.declare": 1,
    "pivot.decide": 5,
    "pivot.worktree": 1,
    "pivot.base.atomic": 0,
    "pivot.base.diskfull": 0,
    "pivot.base.yamlio": 0,
    "pivot.base.importing": 0,
    "pivot.base.wording": 0,
    "pivot.base.redaction": 0,
    "pivot.base.git": 0,  # the only module that runs git (test_only_base_git_runs_git)
    "pivot.base.project": 1,
    "pivot.base.yamldoc": 1,
    "pivot.loaders": 1,
    "pivot.outputs": 1,
    "pivot.stage_def": 1,
    "pivot.declare.stage": 1,
    "pivot.code.source": 1,
    "pivot.code.scope": 1,
    "pivot.pipeline": 1,
    "pivot.worktree.gitignore": 1,
    "pivot.storage": 2,
    "pivot.storage.runcache": 2,  # entries are plain values; observe (6) computes their keys
    "pivot.declare.config": 3,
    "pivot.declare.config_schema": 3,
    "pivot.declare.config_edit": 3,
    "pivot.declare.params": 3,
    "pivot.declare.matrix": 3,
    "pivot.code.fingerprint": 3,
    "pivot.declare.discovery": 4,
    "pivot.declare.loadmemo": 4,
    "pivot.declare.graph": 4,
    "pivot.declare.targets": 4,
    "pivot.decide.status": 5,
    "pivot.worktree.workspace": 5,
    "pivot.declare.dag": 5,
    "pivot.decide.observe": 6,
    "pivot.worktree.tracking": 6,
    "pivot.worktree.references": 6,
    "pivot.executor.reporting": 6,
    "pivot.worktree.restore": 6,
    "pivot.worktree.session": 6,
    "pivot.worktree.collect": 6,
    "pivot.worktree.tracker": 6,
    "pivot.executor": 7,
    "pivot.remote": 7,
    "pivot.report": 7,
    # Joins the executor's worker to the remote cache (Dask's remote-cache mode): above both, so
    # neither imports the other; only the CLI uses it.
    "pivot.scaleout": 7.5,
    "pivot.api": 7.8,
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
    # GitHub is reached from one module: its REST client.
    "http.client": ("pivot.report.github",),
    "urllib.request": ("pivot.report.github",),
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


def _runs_git(tree: ast.Module) -> list[int]:
    """Lines where a subprocess call's argument list starts with the literal "git"."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
            continue
        owner = node.func.value
        if not (isinstance(owner, ast.Name) and owner.id == "subprocess"):
            continue
        argv = node.args[0]
        first = argv.elts[0] if isinstance(argv, ast.List | ast.Tuple) and argv.elts else argv
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.split()[:1] == ["git"]:
            lines.append(node.lineno)
    return lines


GIT_OWNER = "pivot.base.git"


def _git_runners(modules: dict[str, ast.Module]) -> list[str]:
    return [f"{name}:{line}" for name, tree in modules.items() if name != GIT_OWNER for line in _runs_git(tree)]


def test_only_base_git_runs_git():
    """Every git process starts in pivot.base.git: one place to give git its environment,
    timeouts and errors."""
    assert _git_runners(_modules()) == []
    assert _runs_git(_modules()[GIT_OWNER]), "the rule looks for the wrong call shape"


def test_the_git_rule_catches_a_planted_call():
    planted = {
        "pivot.worktree.planted": ast.parse('import subprocess\nsubprocess.run(["git", "status"], check=False)\n'),
        "pivot.cli.planted": ast.parse('import subprocess\nsubprocess.check_output(("git", "rev-parse", "HEAD"))\n'),
        "pivot.report.fine": ast.parse('import subprocess\nsubprocess.run(["ls"])\n'),
        GIT_OWNER: ast.parse('import subprocess\nsubprocess.run(["git", "log"])\n'),
    }
    assert _git_runners(planted) == ["pivot.worktree.planted:2", "pivot.cli.planted:2"]
