"""A no-op run loads the pipeline from its memo without importing the user's modules, and every
edit that matters (a module, pivot.yaml, params.yaml) still reaches the stages."""

from __future__ import annotations

import pathlib

import pytest

STAGES = '''
import pathlib
from typing import Annotated

import settings
from pivot import loaders, outputs

with open("imports.log", "a") as log:  # a side effect of importing this module, for the test
    log.write("x")


def s(text: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out(settings.OUT, loaders.Text())]:
    return text.strip() + settings.SUFFIX
'''
FILES = {
    "stages.py": STAGES,
    "settings.py": 'OUT = "out.txt"\nSUFFIX = "!"\n',
    "in.txt": "ab\n",
    "pivot.yaml": "stages:\n  s:\n    python: stages.s\n",
}


def imports(root: pathlib.Path) -> int:
    log = root / "imports.log"
    return len(log.read_text()) if log.exists() else 0


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_no_op_run_and_explain_import_no_user_module(project, pivot_proc):
    root = project(FILES)
    assert pivot_proc("init", cwd=root).returncode == 0
    assert pivot_proc("run", cwd=root).returncode == 0
    before = imports(root)
    assert before >= 1
    for command in (("run",), ("explain",), ("status",)):
        done = pivot_proc(*command, cwd=root)
        assert done.returncode == 0, done.stderr
    assert imports(root) == before
    assert "s: up to date" in pivot_proc("run", cwd=root).stdout


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_an_edit_to_a_module_the_declarations_use_is_seen(project, pivot_proc):
    root = project(FILES)
    assert pivot_proc("run", cwd=root).returncode == 0
    (root / "settings.py").write_text('OUT = "renamed.txt"\nSUFFIX = "!"\n')
    done = pivot_proc("run", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / "renamed.txt").read_text() == "ab!"


def test_a_damaged_memo_is_ignored(project, pivot):
    root = project(FILES)
    assert pivot("run").exit_code == 0
    (root / ".pivot" / "tmp" / "pipeline.memo").write_bytes(b"\x80\x05not a pickle")
    result = pivot("run")
    assert result.exit_code == 0, result.output
    assert "s: up to date" in result.output


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_params_yaml_edits_reach_the_stage_through_the_memo(project, pivot):
    files = {
        "stages.py": (
            "from typing import Annotated\nfrom pivot import loaders, outputs\nfrom pivot.stage_def import StageParams\n\n"
            "class P(StageParams):\n    times: int = 2\n\n"
            "def s(params: P, text: Annotated[str, outputs.Dep('in.txt', loaders.Text())]) -> Annotated[str, outputs.Out('out.txt', loaders.Text())]:\n"
            "    return text.strip() * params.times\n"
        ),
        "in.txt": "ab\n",
        "pivot.yaml": "stages:\n  s:\n    python: stages.s\n",
    }
    root = project(files)
    assert pivot("run").exit_code == 0
    (root / "params.yaml").write_text("s:\n  times: 3\n")
    result = pivot("run")
    assert "s: running (Parameters changed)" in result.output
    assert (root / "out.txt").read_text() == "ababab"


def test_memos_that_cannot_be_written_never_stop_a_command(project, pivot):
    """.pivot/tmp holds only memos: when it cannot be written (here a file is in its way), every
    command still works, only slower."""
    root = project(FILES)
    assert pivot("run").exit_code == 0
    tmp = root / ".pivot" / "tmp"
    for child in sorted(tmp.rglob("*"), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    tmp.rmdir()
    tmp.write_text("in the way")
    (root / "stages.py").write_text(STAGES + "# edited: the memo must be written again\n")
    (root / "pivot.yaml").write_text("stages:\n  s:\n    python: stages.s  # edited too\n")
    for command in (("status",), ("explain",), ("run",)):
        result = pivot(*command)
        assert result.exit_code == 0, result.output
    assert "s: up to date" in pivot("run").output


def test_a_params_yaml_that_became_a_directory_is_not_taken_for_an_absent_one(project, pivot):
    """The memo records params.yaml as absent; a directory there is reported, not read as absent."""
    root = project(FILES)
    assert pivot("init").exit_code == 0
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    (root / "in.txt").write_text("cd\n")  # something to do, so the no-op answer is not the one asked
    (root / "params.yaml").mkdir()

    result = pivot("run", "--executor", "inprocess")

    assert result.exit_code == 2, result.output
    assert "params.yaml" in result.output and "Traceback" not in result.output


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_the_first_run_of_a_project_nobody_initialised_writes_the_memo(project, pivot_proc):
    root = project(FILES)
    assert pivot_proc("run", cwd=root).returncode == 0
    before = imports(root)

    done = pivot_proc("run", cwd=root)

    assert done.returncode == 0, done.stderr
    assert "s: up to date" in done.stdout
    assert imports(root) == before
