"""The architecture rules of DESIGN.md section 2, checked by parsing every module of pivot/: the
layers, which package may import which, where heavy libraries are imported, and that only the CLI
writes to the terminal. The checks live in tests/layer_rules.py; tests/test_layer_rules.py shows
each one catching a planted violation."""

from __future__ import annotations

import ast
import functools
import pathlib
from collections.abc import Mapping

import layer_rules
import pytest

import pivot

PACKAGE = pathlib.Path(pivot.__file__).parent

# Lower numbers are lower layers; a module may import only from its own layer or below.
# `pivot exp run`'s and `pivot exp save`'s modules, above the library they drive; the rest of
# pivot.experiments (the records, `exp show`'s table, `exp apply`) sits below it, for the
# library's `exp show`.
SWEEP_MODULES = ("plan", "sweep", "scratch", "runner", "outcome", "save", "queue", "queueworker")

LAYERS = {
    "pivot": 0,
    "pivot.__main__": 9,
    "pivot.program": 9,  # the program's entry: what it starts before the CLI
    "pivot.errors": 0,
    # Role packages: each module inside has its own entry; the package itself holds no code.
    "pivot.base": 0,
    "pivot.code": 1,
    "pivot.declare": 1,
    "pivot.decide": 5,
    "pivot.worktree": 1,
    "pivot.base.atomic": 0,
    "pivot.base.lifetime": 0,  # whether the process ends with its command (the pivot program)
    "pivot.base.codecache": 0,
    "pivot.base.rootdir": 0,
    "pivot.base.diskfull": 0,
    "pivot.base.yamlio": 0,
    "pivot.base.yamledit": 0,
    "pivot.base.importing": 0,
    "pivot.base.wording": 0,
    "pivot.base.plain": 0,
    "pivot.base.redaction": 0,
    "pivot.base.git": 0,  # the only module that runs git (test_only_base_git_runs_git)
    "pivot.base.project": 1,
    "pivot.base.yamldoc": 1,
    "pivot.loaders": 1,
    "pivot.loaders_more": 1,
    "pivot.outputs": 1,
    "pivot.stage_def": 1,
    "pivot.declare.stage": 1,
    "pivot.code.source": 1,
    "pivot.code.scope": 1,
    "pivot.pipeline": 1,
    "pivot.worktree.gitignore": 1,
    "pivot.worktree.noopmemo": 1,  # the no-op memo: stats and its format only, cheap to import
    "pivot.storage": 2,
    "pivot.storage.runcache": 2,  # the run cache's one interface: keys, lookups, records, restores
    "pivot.declare.config": 3,
    "pivot.declare.config_schema": 3,
    "pivot.declare.validation": 3,  # pydantic's errors as pivot's, with file:line
    "pivot.declare.config_plain": 3,
    "pivot.declare.config_edit": 3,
    "pivot.declare.params": 3,
    "pivot.declare.paramschema": 3,
    "pivot.declare.matrix": 3,
    "pivot.declare.shell": 3,  # shell stages (`cmd:`) from pivot.yaml, no import needed
    "pivot.declare.shellvalues": 3,
    "pivot.declare.signature": 3,  # what a stage function's annotations declare
    "pivot.declare.names": 3,  # stage names from plain YAML, for shell completion
    "pivot.declare.editor_schema": 3,  # `pivot schema`: the config models as JSON Schema
    "pivot.code.fingerprint": 3,
    "pivot.declare.discovery": 4,
    "pivot.declare.loadmemo": 4,
    "pivot.declare.graph": 4,
    "pivot.declare.targets": 4,
    "pivot.declare.selection": 4,  # which stages run/status/explain pick, over the graph
    "pivot.decide.status": 5,
    "pivot.worktree.workspace": 5,
    "pivot.worktree.lockview": 5,
    "pivot.declare.dag": 5,
    "pivot.decide.observe": 6,
    "pivot.worktree.tracking": 6,
    "pivot.worktree.pvtfile": 2,  # the .pvt format: plain data over the hashing layer
    "pivot.worktree.references": 6,
    "pivot.executor.reporting": 6,
    "pivot.worktree.restore": 6,
    "pivot.worktree.session": 6,
    "pivot.worktree.collect": 6,
    "pivot.worktree.tracker": 6,
    # `pivot import-dvc`: reads DVC's files, writes pivot.yaml and tracks data through the worktree.
    "pivot.dvcimport": 6.5,
    # Experiments: records, the `exp show` table and `exp apply`, over the worktree and the
    # report tables; the record format sits low, so gc (through the library) can read it.
    "pivot.experiments": 7.2,
    # Plain files, read by `pivot gc` (through the library) to keep what they name.
    "pivot.experiments.record": 1,
    # Plot files at revisions and what draws them: read by reports (the PR comment's charts).
    "pivot.plots": 6.6,
    "pivot.executor": 7,
    "pivot.remote": 7,
    "pivot.report": 7,
    # Joins the executor's worker to the remote cache (Dask's remote-cache mode): above both, so
    # neither imports the other; only the CLI uses it.
    "pivot.scaleout": 7.5,
    # The library the CLI is a shell over: every operation on a project, no printing.
    "pivot.api": 7.8,
    # The sweeps of `pivot exp run`: run through the library, beside the workspace.
    **{f"pivot.experiments.{name}": 7.9 for name in SWEEP_MODULES},
    "pivot.cli": 8,
}

# Third-party imports that only one place may make.
OWNERS = {
    "loky": ("pivot.executor.pool",),
    "distributed": ("pivot.executor.cluster",),
    "dask": ("pivot.executor.cluster",),
    "fsspec": ("pivot.remote.fs", "pivot.remote.sources"),  # the cache remote; data imported from a URL
    "s3fs": ("pivot.remote.fs",),
    "gcsfs": ("pivot.remote.fs",),
    "click": ("pivot.cli",),
    # Round-trip YAML for the commands that edit config files; reading stays on PyYAML (yamlio).
    "ruamel": ("pivot.base.yamledit",),
    "tqdm": ("pivot.cli",),
    "wcwidth": ("pivot.base.wording",),  # every terminal width is measured the same way
    "watchfiles": ("pivot.api.watch",),  # `pivot run --watch`: one file watcher, one loop
    # GitHub is reached from one module: its REST client (pivot.report.github keeps the comment logic).
    "http.client": ("pivot.report.github_client",),
    "urllib.request": ("pivot.report.github_client",),
}


# Which package may import which, besides itself and ALWAYS: the "May import" sentence of each
# package's `__init__` docstring as a table. Layers order modules; this table also forbids arrows
# between packages of one layer (executor, remote and report are peers that never meet).
ALWAYS = ("pivot", "pivot.errors")  # the version and the one error tree
DECLARATIONS = ("pivot.loaders", "pivot.loaders_more", "pivot.outputs", "pivot.stage_def", "pivot.pipeline")  # the user's imports
BELOW_EXECUTOR = ("pivot.base", "pivot.code", "pivot.declare", "pivot.storage", "pivot.worktree", "pivot.decide")
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    # Imported by every user's pipeline.py: each other only, so a declaration stays cheap; the
    # loaders also write through pivot.base.atomic (temp file and rename), which imports no library.
    "pivot.loaders": ("pivot.base", "pivot.loaders_more"),
    "pivot.loaders_more": ("pivot.base", "pivot.loaders"),
    "pivot.outputs": ("pivot.loaders",),
    "pivot.stage_def": (),
    "pivot.pipeline": (),
    "pivot.base": (),  # "May import only `pivot.errors` and each other."
    "pivot.code": ("pivot.base",),  # "May import `pivot.base` and `pivot.errors`"
    # "May import `pivot.base`, `pivot.code`, `pivot.errors` and the public declaration modules"
    "pivot.declare": ("pivot.base", "pivot.code", *DECLARATIONS),
    # Locks and run-cache entries describe declared stages and outputs (declare.stage sits below
    # storage in LAYERS), but storage never reaches the worktree or what decides.
    "pivot.storage": ("pivot.base", "pivot.declare", *DECLARATIONS),
    # "May import `pivot.storage`, `pivot.declare` and below."
    "pivot.worktree": ("pivot.base", "pivot.code", "pivot.declare", "pivot.storage", *DECLARATIONS),
    # "May import everything below the executor."
    "pivot.decide": ("pivot.base", "pivot.code", "pivot.declare", "pivot.storage", "pivot.worktree", *DECLARATIONS),
    "pivot.dvcimport": ("pivot.base", "pivot.code", "pivot.declare", "pivot.storage", "pivot.worktree", *DECLARATIONS),
    "pivot.executor": (*BELOW_EXECUTOR, *DECLARATIONS),
    # The experiment record format (plain files, layer 1): records travel to and from remotes.
    "pivot.remote": (*BELOW_EXECUTOR, *DECLARATIONS, "pivot.experiments.record"),
    "pivot.report": (*BELOW_EXECUTOR, *DECLARATIONS, "pivot.plots"),
    # Plot data from the workspace, git, the cache and experiment records; never the remote
    # (the library fetches what is missing first) and never the executor.
    "pivot.plots": (*BELOW_EXECUTOR, *DECLARATIONS, "pivot.experiments.record"),
    "pivot.scaleout": (*BELOW_EXECUTOR, *DECLARATIONS, "pivot.executor", "pivot.remote"),
    # "May import everything below the executor, and `pivot.report`"
    "pivot.experiments": (*BELOW_EXECUTOR, *DECLARATIONS, "pivot.report", "pivot.experiments.record"),
    "pivot.__main__": ("pivot.program",),
    # The program's entry: the fork server started ahead (the library), then the CLI.
    "pivot.program": ("pivot.base", "pivot.executor", "pivot.cli"),
    "pivot.experiments.record": ("pivot.base",),
}
# "it may import every layer below the CLI": the library surface the CLI is a thin shell over.
MAY_IMPORT["pivot.api"] = tuple(key for key in MAY_IMPORT if key not in ("pivot.__main__", "pivot.program"))
# "may import `pivot.api` and every layer below it"
for _name in SWEEP_MODULES:  # the library, and each other
    MAY_IMPORT[f"pivot.experiments.{_name}"] = (
        *MAY_IMPORT["pivot.api"], "pivot.api", *(f"pivot.experiments.{other}" for other in SWEEP_MODULES)
    )
MAY_IMPORT["pivot.cli"] = tuple(key for key in MAY_IMPORT if key != "pivot.program")

# Arrows the design forbids, each with why; the table above must keep forbidding them.
FORBIDDEN = {
    ("pivot.executor", "pivot.remote"): "stages run the same whichever remote the cache syncs to",
    ("pivot.remote", "pivot.executor"): "syncing never runs a stage; pivot.scaleout joins the two",
    ("pivot.executor", "pivot.report"): "reports read what runs left behind, after the fact",
    ("pivot.report", "pivot.executor"): "a report never runs a stage",
    ("pivot.report", "pivot.remote"): "reports read locks and files at revisions, never the remote",
    ("pivot.remote", "pivot.report"): "syncing has nothing to show",
}

# The only package that writes to the terminal; everything else returns values or takes a callback.
CONSOLE = ("pivot.cli",)


@functools.cache  # every test reads the same tree: parse it once per session
def _tree() -> dict[str, layer_rules.Module]:
    return layer_rules.read_tree(PACKAGE)


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_every_module_has_a_layer():
    """A new module must be placed in a layer on purpose, not fall into the package's own."""
    unplaced = layer_rules.unplaced(_tree(), LAYERS)
    assert not unplaced, f"add these to LAYERS: {unplaced}"


def test_every_module_has_a_rule_for_what_it_imports():
    unruled = layer_rules.unplaced(_tree(), {**MAY_IMPORT, **dict.fromkeys(ALWAYS)})
    assert not unruled, f"add these to MAY_IMPORT: {unruled}"


def test_the_rule_table_names_only_real_packages():
    """A stale entry would read as a rule while checking nothing."""
    named = set(MAY_IMPORT) | {target for targets in MAY_IMPORT.values() for target in targets}
    assert not [key for key in named if key not in _tree()], "remove or fix these MAY_IMPORT names"


def test_the_rule_table_forbids_what_the_design_forbids():
    allowed = [f"{a} -> {b} ({why})" for (a, b), why in FORBIDDEN.items() if b in MAY_IMPORT[a]]
    assert not allowed, "MAY_IMPORT allows arrows the design forbids:\n" + "\n".join(allowed)


def test_the_rule_table_allows_what_the_package_docstrings_grant():
    problems = layer_rules.docstring_grants(_tree(), MAY_IMPORT, ALWAYS)
    assert not problems, "\n".join(problems)


def test_modules_import_only_from_their_layer_or_below():
    problems = layer_rules.upward_imports(_tree(), LAYERS)
    assert not problems, "\n".join(problems)


def test_packages_import_only_what_their_rule_allows():
    problems = layer_rules.forbidden_imports(_tree(), MAY_IMPORT, ALWAYS)
    assert not problems, "\n".join(problems)


def test_heavy_and_io_libraries_are_imported_in_one_place():
    problems = layer_rules.misplaced_libraries(_tree(), OWNERS)
    assert not problems, "\n".join(problems)


def test_only_the_cli_writes_to_the_terminal():
    problems = layer_rules.console_writes(_tree(), CONSOLE)
    assert not problems, "\n".join(problems)


def _commit_imports_of_decide(tree: dict[str, layer_rules.Module]) -> list[str]:
    """The lock writer is handed what a decision was based on; it never reaches back for facts."""
    return sorted(
        {target for module, _, target in layer_rules.arrows(tree) if module.name == "pivot.executor.commit" and layer_rules.is_in(target, "pivot.decide")}
    )


def test_the_lock_writer_does_not_import_the_deciding_layer():
    assert not _commit_imports_of_decide(_tree())


def test_the_lock_writer_rule_catches_a_planted_import():
    planted = layer_rules.parse_sources(
        {
            "pivot": "",
            "pivot.decide": "",
            "pivot.decide.observe": "",
            "pivot.decide.status": "",
            "pivot.executor": "",
            "pivot.executor.commit": "from pivot.decide import observe\nimport pivot.decide.status\n",
        }
    )
    assert _commit_imports_of_decide(planted) == ["pivot.decide.observe", "pivot.decide.status"]


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


def _git_runners(modules: Mapping[str, ast.Module]) -> list[str]:
    return [f"{name}:{line}" for name, tree in modules.items() if name != GIT_OWNER for line in _runs_git(tree)]


def test_only_base_git_runs_git():
    """Every git process starts in pivot.base.git: one place to give git its environment,
    timeouts and errors."""
    modules = {name: module.tree for name, module in _tree().items()}
    assert _git_runners(modules) == []
    assert _runs_git(modules[GIT_OWNER]), "the rule looks for the wrong call shape"


def test_the_git_rule_catches_a_planted_call():
    planted = {
        "pivot.worktree.planted": ast.parse('import subprocess\nsubprocess.run(["git", "status"], check=False)\n'),
        "pivot.cli.planted": ast.parse('import subprocess\nsubprocess.check_output(("git", "rev-parse", "HEAD"))\n'),
        "pivot.report.fine": ast.parse('import subprocess\nsubprocess.run(["ls"])\n'),
        GIT_OWNER: ast.parse('import subprocess\nsubprocess.run(["git", "log"])\n'),
    }
    assert _git_runners(planted) == ["pivot.worktree.planted:2", "pivot.cli.planted:2"]
