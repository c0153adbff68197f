"""Each check of tests/test_layers.py catches a violation planted in a small fake `pivot` package in
tmp_path, judged by the real rule tables, and stays quiet about what the rules allow."""

from __future__ import annotations

import importlib.util
import pathlib
import textwrap

import layer_rules
import pytest
from test_layers import ALWAYS, CONSOLE, FORBIDDEN, LAYERS, MAY_IMPORT, OWNERS


def _plant(root: pathlib.Path, files: dict[str, str]) -> dict[str, layer_rules.Module]:
    """A fake pivot/ with `files` (path -> source) and an `__init__.py` in every folder."""
    for name, text in files.items():
        path = root / "pivot" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in [path.parent, *path.parent.parents]:
            if folder == root:
                break
            (folder / "__init__.py").touch()
        path.write_text(textwrap.dedent(text))
    return layer_rules.read_tree(root / "pivot")


# Modules the planted imports land on.
TARGETS = {
    "errors.py": "",
    "executor/run.py": "",
    "remote/transfer.py": "",
    "report/diff.py": "",
    "storage/links.py": "",
}
LANDING = {
    "pivot.executor": "pivot.executor.run",
    "pivot.remote": "pivot.remote.transfer",
    "pivot.report": "pivot.report.diff",
}


@pytest.mark.parametrize(
    ("module", "is_package", "statement"),
    [
        ("pivot.storage.cache", False, "from . import links"),
        ("pivot.storage.cache", False, "from .links import copy"),
        ("pivot.storage.cache", False, "from .. import errors"),
        ("pivot.storage.cache", False, "from ..executor import run"),
        ("pivot.storage", True, "from . import cache"),
        ("pivot.storage", True, "from .cache import put"),
        ("pivot.storage", True, "from ..remote.transfer import push"),
    ],
)
def test_relative_imports_resolve_as_python_resolves_them(module, is_package, statement):
    tree = layer_rules.parse_sources({module: statement}, packages=[module] if is_package else [])
    package = module if is_package else module.rpartition(".")[0]
    dots, _, _ = statement.removeprefix("from ").partition(" import ")
    expected = importlib.util.resolve_name(dots, package)
    found = layer_rules.imports(tree[module])
    assert found[0] == layer_rules.Import(expected, 1, "relative import")
    name = statement.rpartition(" import ")[2]
    assert found[1].target == f"{expected}.{name}"


def test_a_relative_import_beyond_the_top_package_names_nothing():
    tree = layer_rules.parse_sources({"pivot.cache": "from ... import x"})
    assert layer_rules.imports(tree["pivot.cache"]) == ()


def test_a_relative_import_upwards_is_reported(tmp_path):
    tree = _plant(tmp_path, {**TARGETS, "storage/cache.py": "import os\nfrom ..executor import run\n"})
    problems = layer_rules.upward_imports(tree, LAYERS)
    assert len(problems) == 1
    assert problems[0].endswith(
        "storage/cache.py:2: pivot.storage.cache (layer 2) imports pivot.executor.run (layer 7) by relative import"
    )


@pytest.mark.parametrize(
    "source",
    [
        'import importlib\nimportlib.import_module("pivot.executor.run")',
        'from importlib import import_module\nimport_module("pivot.executor")',
        'import builtins\n__import__("pivot.executor.run")',
        'import importlib\nimportlib.import_module(".run", "pivot.executor")',
        'import importlib\nimportlib.import_module("..executor.run", package=__package__)',
        'import importlib\nimportlib.import_module(f"pivot.executor.{NAME}")',
        'import importlib\nimportlib.import_module("pivot.executor." + NAME)',
    ],
)
def test_an_importlib_import_upwards_is_reported(tmp_path, source):
    tree = _plant(tmp_path, {**TARGETS, "storage/cache.py": source})
    problems = layer_rules.upward_imports(tree, LAYERS)
    assert len(problems) == 1
    assert "storage/cache.py:2: pivot.storage.cache (layer 2) imports pivot.executor" in problems[0]
    assert problems[0].endswith(("by importlib", "by __import__"))


def test_an_import_by_a_name_known_only_at_run_time_is_not_guessed(tmp_path):
    tree = _plant(tmp_path, {**TARGETS, "storage/cache.py": "import importlib\nimportlib.import_module(NAME)\n"})
    assert layer_rules.upward_imports(tree, LAYERS) == []


@pytest.mark.parametrize(("importer", "imported"), sorted(FORBIDDEN))
def test_an_arrow_within_a_layer_the_design_forbids_is_reported(tmp_path, importer, imported):
    """Executor, remote and report share a layer, so only the package rule can catch these."""
    module = LANDING[imported]
    package, _, name = module.rpartition(".")
    tree = _plant(tmp_path, {**TARGETS, importer.removeprefix("pivot.") + "/x.py": f"from {package} import {name}\n"})
    assert layer_rules.upward_imports(tree, LAYERS) == []
    problems = layer_rules.forbidden_imports(tree, MAY_IMPORT, ALWAYS)
    assert len(problems) == 1
    assert problems[0].endswith(f"{importer}.x imports {module} by import, but {importer} may not import {imported}")


@pytest.mark.parametrize(
    ("path", "source", "rule"),
    [
        ("worktree/restore.py", "from pivot.decide import status", "pivot.worktree may not import pivot.decide"),
        ("code/scope.py", "from pivot.declare import stage", "pivot.code may not import pivot.declare"),
        ("base/project.py", "from ..code import source", "pivot.base may not import pivot.code"),
        ("declare/graph.py", "from pivot.storage import cache", "pivot.declare may not import pivot.storage"),
        ("storage/cache.py", "import pivot.worktree.gitignore", "pivot.storage may not import pivot.worktree"),
        ("decide/status.py", "from pivot.executor import run", "pivot.decide may not import pivot.executor"),
        ("loaders.py", "from pivot.storage import cache", "pivot.loaders may not import pivot.storage"),
    ],
)
def test_a_role_package_importing_beyond_its_docstring_is_reported(tmp_path, path, source, rule):
    planted = dict.fromkeys(("decide/status.py", "declare/stage.py", "code/source.py", "storage/cache.py", "worktree/gitignore.py"), "")
    tree = _plant(tmp_path, {**TARGETS, **planted, path: source})
    problems = layer_rules.forbidden_imports(tree, MAY_IMPORT, ALWAYS)
    assert len(problems) == 1 and problems[0].endswith(rule)


def test_a_docstring_granting_what_the_table_forbids_is_reported(tmp_path):
    tree = _plant(
        tmp_path,
        {
            "worktree/__init__.py": '"""Files. May import `pivot.storage` and `pivot.decide`; never `pivot.cli`."""',
            "code/__init__.py": '"""Fingerprints. May import `pivot.base` and `pivot.errors`."""',
        },
    )
    problems = layer_rules.docstring_grants(tree, MAY_IMPORT, ALWAYS)
    assert len(problems) == 1
    assert problems[0].endswith("the docstring of pivot.worktree says it may import pivot.decide, but MAY_IMPORT does not allow it")


def test_what_the_rules_allow_is_not_reported(tmp_path):
    tree = _plant(
        tmp_path,
        {
            **TARGETS,
            "base/atomic.py": "",
            "storage/cache.py": "from pivot import errors\nfrom ..base import atomic\nfrom . import links\n",
            "scaleout/offload.py": "from pivot.executor import run\nfrom pivot.remote import transfer\n",
            "cli/run.py": "from pivot.scaleout import offload\nfrom pivot.report import diff\n",
        },
    )
    assert layer_rules.upward_imports(tree, LAYERS) == []
    assert layer_rules.forbidden_imports(tree, MAY_IMPORT, ALWAYS) == []


def test_a_module_or_package_outside_the_tables_is_reported(tmp_path):
    tree = _plant(tmp_path, {**TARGETS, "gadgets/render.py": "", "storage/packs2.py": ""})
    assert layer_rules.unplaced(tree, LAYERS) == ["pivot.gadgets", "pivot.gadgets.render"]
    assert layer_rules.unplaced(tree, {**MAY_IMPORT, **dict.fromkeys(ALWAYS)}) == ["pivot.gadgets", "pivot.gadgets.render"]


def test_a_heavy_library_imported_by_importlib_elsewhere_is_reported(tmp_path):
    source = 'import importlib\nloky = importlib.import_module("loky")\n'
    tree = _plant(tmp_path, {"storage/cache.py": source, "executor/pool.py": source})
    problems = layer_rules.misplaced_libraries(tree, OWNERS)
    assert len(problems) == 1 and problems[0].endswith("cache.py:2: pivot.storage.cache imports loky by importlib")


WRITES = [
    'print("done")',
    'import sys\nsys.stdout.write("x")',
    'import sys\nsys.stderr.write("x")',
    'import sys\nsys.__stdout__.write("x")',
    "import json, sys\njson.dump({}, sys.stdout)",
    "import click\nclick.echo('x')",
    "from click import secho",
    "from tqdm import tqdm",
    "import tqdm.auto",
    'import os\nos.write(2, b"x")',
    "from sys import stdout",
    "def relay(line, emit=print):\n    emit(line)",
    "import pprint\npprint.pprint({})",
    'import subprocess\nsubprocess.run(["git", "status"], check=False)',  # git's own messages
    'import subprocess\nsubprocess.check_output(["git", "rev-parse", "HEAD"])',
]


@pytest.mark.parametrize("source", WRITES)
def test_a_write_to_the_terminal_outside_the_cli_is_reported(tmp_path, source):
    tree = _plant(tmp_path, {"storage/cache.py": source})
    problems = layer_rules.console_writes(tree, CONSOLE)
    assert len(problems) == 1 and "pivot/storage/cache.py:" in problems[0]


@pytest.mark.parametrize("source", WRITES)
def test_the_cli_may_write_to_the_terminal(tmp_path, source):
    tree = _plant(tmp_path, {"cli/run.py": source})
    assert layer_rules.console_writes(tree, CONSOLE) == []


@pytest.mark.parametrize(
    "source",
    [
        "import sys\nsys.stdout.flush()\nsys.stderr.flush()",  # before pointing fds 1 and 2 at a log
        'with open("stage.log", "a") as log:\n    log.write("x")\n    print_line = log.write',
        'import os\nos.write(fd, b"x")\nos.dup2(fd, 1)',
        "import pprint\ntext = pprint.pformat({})",
        'import subprocess\nsubprocess.run(["git"], capture_output=True)\nsubprocess.Popen(["git"], stdout=f, stderr=f)',
        'import subprocess\nsubprocess.check_output(["git"], stderr=subprocess.DEVNULL)',
    ],
)
def test_writing_a_log_file_or_flushing_is_not_reported(tmp_path, source):
    tree = _plant(tmp_path, {"executor/worker.py": source})
    assert layer_rules.console_writes(tree, CONSOLE) == []
