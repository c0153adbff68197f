"""A run with nothing to do is answered from the stats of every watched file (the no-op memo), and
every edit that matters after such a run still makes the next run notice it: a source file,
params.yaml, pivot.yaml, a dep, an output deleted or edited, a lock removed, a .pvt file."""

from __future__ import annotations

import pathlib

import pytest
from conftest import TRAIN_STAGES, runs

from pivot.base import project as project_mod
from pivot.worktree import noopmemo

PIPELINE = """\
stages:
  train:
    python: stages.train
  evaluate:
    python: stages.evaluate
"""
RUN = ("run", "--executor", "inprocess")


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return str(result.output)


def answered(root: pathlib.Path, targets: tuple[str, ...] = ()) -> bool:
    """Whether the next run of `targets` would be answered from the memo, as things stand."""
    proj = project_mod.Project(root)
    memo = noopmemo.read(proj, targets)
    return memo is not None and noopmemo.holds(proj, memo)


@pytest.fixture
def root(project, pivot) -> pathlib.Path:  # type: ignore[no-untyped-def]
    """An initialised project whose first run ran both stages: the memo holds straight away."""
    made = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    ok(pivot("init"))
    ok(pivot(*RUN))
    assert answered(made)
    return made


def test_a_run_with_nothing_to_do_is_answered_and_says_so(root, pivot):
    output = ok(pivot(*RUN))
    assert "train: up to date" in output and "evaluate: up to date" in output
    assert "0 ran, 2 skipped, 0 failed" in output
    assert (runs(root, "train"), runs(root, "evaluate")) == (1, 1)
    assert answered(root)


def test_a_source_edit_is_noticed(root, pivot):
    stages = root / "stages.py"
    stages.write_text(stages.read_text().replace('return f"report of {model}"', 'return f"REPORT of {model}"'))
    assert not answered(root)
    output = ok(pivot(*RUN))
    assert "evaluate: ran" in output
    assert (root / "report.txt").read_text().startswith("REPORT")
    assert answered(root)  # and the next no-op is answered again


def test_a_params_edit_is_noticed(root, pivot):
    (root / "params.yaml").write_text("train:\n  lr: 0.5\n")
    output = ok(pivot(*RUN))
    assert "train: running (Parameters changed)" in output
    assert "lr=0.5" in (root / "model.txt").read_text()


def test_a_pivot_yaml_edit_is_noticed(root, pivot):
    (root / "pivot.yaml").write_text(PIPELINE.replace("stages.train\n", "stages.train\n    params:\n      lr: 0.3\n"))
    output = ok(pivot(*RUN))
    assert "train: running (Parameters changed)" in output
    assert "lr=0.3" in (root / "model.txt").read_text()


def test_a_dep_edit_is_noticed(root, pivot):
    (root / "data.txt").write_text("other rows\n")
    output = ok(pivot(*RUN))
    assert "train: running (Dependencies changed)" in output
    assert "other rows" in (root / "report.txt").read_text()


def test_a_deleted_output_is_restored(root, pivot):
    (root / "report.txt").unlink()
    output = ok(pivot(*RUN))
    assert "evaluate: up to date (restored report.txt from the cache)" in output
    assert (root / "report.txt").read_text().startswith("report of model(rows")


def test_an_edited_output_is_replaced(root, pivot):
    (root / "report.txt").write_text("by hand\n")
    output = ok(pivot(*RUN))
    assert "evaluate: running (Outputs missing or modified)" in output
    assert runs(root, "evaluate") == 2


def test_a_removed_lock_is_noticed(root, pivot):
    (root / ".pivot" / "stages" / "evaluate.lock").unlink()
    output = ok(pivot(*RUN))
    assert "evaluate: restored from run cache (Never run)" in output


def test_a_pvt_file_over_an_output_is_refused_as_before(root, pivot):
    (root / "report.txt.pvt").write_text("path: report.txt\noid: 0\nsize: 0\nnfiles: 1\n")
    result = pivot(*RUN)
    assert result.exit_code == 2, result.output
    assert "report.txt.pvt" in result.output


def test_a_removed_gitignore_line_is_written_again(root, pivot):
    (root / ".gitignore").write_text("")
    ok(pivot(*RUN))
    assert "/model.txt" in (root / ".gitignore").read_text()


def test_other_targets_are_not_answered_from_the_memo_of_all(root, pivot):
    output = ok(pivot(*RUN, "train"))
    assert "train: up to date" in output and "evaluate" not in output
    assert answered(root, ("train",))


def test_forced_runs_run(root, pivot):
    output = ok(pivot(*RUN, "--force"))
    assert "2 ran" in output


def test_a_damaged_memo_is_ignored(root, pivot):
    (root / ".pivot" / "tmp" / "noop.memo").write_bytes(b"\x00 not a memo")
    output = ok(pivot(*RUN))
    assert "0 ran, 2 skipped" in output
    assert answered(root)


def test_without_init_the_first_run_records_it(project, pivot):
    """The first run creates .pivot/ after loading, and then writes the load memo the answer
    builds on: the next run imports none of the user's code."""
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    ok(pivot(*RUN))
    assert answered(root)
    assert "0 ran, 2 skipped" in ok(pivot(*RUN))


def test_a_failed_run_records_nothing(project, pivot):
    root = project({"stages.py": TRAIN_STAGES, "pivot.yaml": PIPELINE})  # data.txt is missing
    assert pivot(*RUN).exit_code != 0
    assert not (root / ".pivot" / "tmp" / "noop.memo").exists()


# `python -m pivot ARGS` that writes, at exit, the names of every module it imported to argv[1].
RUN_LOGGING_IMPORTS = """
import atexit, runpy, sys
log = sys.argv.pop(1)
atexit.register(lambda: open(log, "w").write("\\n".join(sys.modules)))
sys.argv[0] = "pivot"
runpy.run_module("pivot", run_name="__main__", alter_sys=True)
"""


@pytest.mark.slow
def test_an_answered_run_imports_no_loading_deciding_or_running_code(root, tmp_path):
    """What makes an answered run take a tenth of a second: it reads no YAML and no settings,
    and imports neither the user's code nor pivot's loading, deciding and executing layers."""
    import os
    import subprocess
    import sys

    log = tmp_path / "modules.txt"
    env = {**os.environ}
    env.pop("CI", None)
    done = subprocess.run([sys.executable, "-c", RUN_LOGGING_IMPORTS, str(log), *RUN], cwd=root, env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert "0 ran, 2 skipped" in done.stdout
    imported = set(log.read_text().split())
    assert "pivot.cli.run" in imported  # the log works
    heavy = ("stages", "yaml", "pydantic", "loky", "pivot.declare.config", "pivot.declare.discovery", "pivot.decide.observe", "pivot.executor.run", "pivot.executor.pool")
    assert sorted(name for name in heavy if name in imported) == []
