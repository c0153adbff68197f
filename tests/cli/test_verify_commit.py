"""`pivot verify` (a CI gate: exit 0 only when reproduced) and `pivot commit` (locks for outputs
made by hand), through the real CLI on shell stages in a fresh project."""

from __future__ import annotations

import contextlib
import os
import pathlib
import pty
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping

import pytest
from click.testing import Result

from tests.conftest import assert_clean_error

PIPELINE = """
stages:
  prepare:
    cmd: python -c "open('prepared.txt', 'w').write(open('data.txt').read().upper())"
    deps: [data.txt]
    outs: [prepared.txt]
  train:
    cmd: python -c "open('model.txt', 'w').write('model of ' + open('prepared.txt').read())"
    deps: [prepared.txt]
    outs: [model.txt]
"""
FILES = {"pivot.yaml": PIPELINE, "data.txt": "hello\n"}
RUN = ("run", "--executor", "inprocess")
Project = Callable[[Mapping[str, str]], pathlib.Path]
Pivot = Callable[..., Result]


def test_verify_passes_when_reproduced_and_names_each_problem_otherwise(project: Project, pivot: Pivot) -> None:
    root = project(FILES)
    first = pivot("verify")
    assert first.exit_code == 1
    assert "prepare: never run" in first.output and "train: never run" in first.output
    assert pivot(*RUN).exit_code == 0
    assert pivot("verify").exit_code == 0

    (root / "data.txt").write_text("changed\n")
    stale = pivot("verify")
    assert stale.exit_code == 1
    assert "prepare: stale: Dependencies changed (data.txt modified)" in stale.output
    assert "train" not in stale.stdout  # its own dep is as locked: only the cause is named

    (root / "data.txt").write_text("hello\n")
    (root / "model.txt").write_text("edited\n")
    edited = pivot("verify", "train")
    assert edited.exit_code == 1 and "train: output 'model.txt' differs from its lock" in edited.output


def test_verify_accepts_outputs_in_the_cache_but_not_outputs_nowhere(project: Project, pivot: Pivot) -> None:
    root = project(FILES)
    assert pivot(*RUN).exit_code == 0
    (root / "prepared.txt").unlink()
    (root / "model.txt").unlink()
    assert pivot("verify").exit_code == 0  # `pivot checkout` would bring both back
    shutil.rmtree(root / ".pivot" / "cache")
    gone = pivot("verify")
    assert gone.exit_code == 1
    assert "prepare: output 'prepared.txt' is not in the workspace or the cache" in gone.output
    assert "train: output 'model.txt' is not in the workspace or the cache" in gone.output


def test_verify_allow_missing_asks_the_default_remote(project: Project, pivot: Pivot, tmp_path: pathlib.Path) -> None:
    root = project(FILES)
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "remote")).exit_code == 0
    assert pivot(*RUN).exit_code == 0
    assert pivot("push").exit_code == 0
    shutil.rmtree(root / ".pivot" / "cache")
    (root / "prepared.txt").unlink()
    (root / "model.txt").unlink()
    assert pivot("verify").exit_code == 1
    assert pivot("verify", "--allow-missing").exit_code == 0
    assert not [p for p in (root / ".pivot").rglob("*") if p.is_file() and "cache" in p.parts]  # nothing fetched
    shutil.rmtree(tmp_path / "remote")
    (tmp_path / "remote").mkdir()
    lost = pivot("verify", "--allow-missing")
    assert lost.exit_code == 1 and "is not in the workspace, the cache or the default remote" in lost.output


def test_verify_unknown_stage_is_a_usage_error(project: Project, pivot: Pivot) -> None:
    project(FILES)
    assert_clean_error(pivot("verify", "nosuch"), "nosuch")


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_commit_records_hand_made_outputs_without_running(project: Project, pivot: Pivot) -> None:
    root = project(FILES)
    assert pivot(*RUN).exit_code == 0
    # The script was run by hand on new data: its output is new, the lock is not.
    (root / "data.txt").write_text("new\n")
    (root / "prepared.txt").write_text("NEW BY HAND\n")
    assert pivot("verify", "prepare").exit_code == 1

    done = pivot("commit", "-f", "prepare")
    assert done.exit_code == 0, done.output
    assert "warning: prepare changed since its lock: Dependencies changed (data.txt)" in done.stderr
    assert "Committed prepare" in done.stdout
    assert (root / "prepared.txt").read_text() == "NEW BY HAND\n"  # not run
    assert pivot("verify", "prepare").exit_code == 0
    # train depends on the committed output: now stale, as a run would find it.
    assert "train: stale: Dependencies changed (prepared.txt modified)" in pivot("verify").output
    (root / "prepared.txt").unlink()
    assert pivot("checkout", "prepare").exit_code == 0  # the committed version is in the cache
    assert (root / "prepared.txt").read_text() == "NEW BY HAND\n"
    assert "Nothing to commit" in pivot("commit", "-f", "prepare").output


def test_commit_of_a_stage_never_run_writes_its_lock(project: Project, pivot: Pivot) -> None:
    root = project({**FILES, "prepared.txt": "HELLO\n"})
    done = pivot("commit", "-f", "prepare")
    assert done.exit_code == 0 and "warning" not in done.output
    assert (root / ".pivot" / "stages" / "prepare.lock").is_file()
    status = pivot("status", "prepare")
    assert status.output.split() == ["prepare", "up", "to", "date"]


def test_commit_asks_and_refuses_without_a_terminal(project: Project, pivot: Pivot) -> None:
    root = project({**FILES, "prepared.txt": "HELLO\n"})
    assert_clean_error(pivot("commit", "prepare"), "would write the locks of prepare", "pass -f")
    assert not (root / ".pivot" / "stages" / "prepare.lock").exists()


def test_commit_of_a_stage_whose_output_is_missing_names_it(project: Project, pivot: Pivot) -> None:
    project(FILES)
    assert_clean_error(pivot("commit", "-f", "train"), "stage 'train'", "'model.txt' is missing")
    assert_clean_error(pivot("commit", "-f", "nosuch"), "nosuch")


def _answering_on_a_terminal(root: pathlib.Path, answer: bytes, *args: str) -> tuple[int, str]:
    """Run pivot with a pseudo-terminal as stdin, stdout and stderr, typing `answer` once it asks."""
    main, side = pty.openpty()
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    proc = subprocess.Popen([sys.executable, "-m", "pivot", *args], cwd=root, env=env, stdin=side, stdout=side, stderr=side)
    os.close(side)
    shown = b""
    while b"[y/N]" not in shown:
        data = os.read(main, 65536)
        assert data, shown
        shown += data
    os.write(main, answer)
    with contextlib.suppress(OSError):  # the other side closed: the process ended
        while data := os.read(main, 65536):
            shown += data
    code = proc.wait(timeout=60)
    os.close(main)
    return code, shown.decode("utf-8", "replace")


@pytest.mark.slow  # a real terminal and a process
@pytest.mark.parametrize(("answer", "written"), [(b"y\n", True), (b"n\n", False)])
def test_commit_on_a_terminal_asks_first(project: Project, answer: bytes, written: bool) -> None:
    root = project({**FILES, "prepared.txt": "HELLO\n"})
    code, shown = _answering_on_a_terminal(root, answer, "commit", "prepare")
    assert "Write the locks of prepare from the workspace's outputs?" in shown
    assert (root / ".pivot" / "stages" / "prepare.lock").is_file() is written
    assert (code == 0) is written, shown
    assert ("Committed prepare" in shown) is written


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_verify_judges_a_missing_tracked_dep_by_its_pvt(project: Project, pivot: Pivot, tmp_path: pathlib.Path) -> None:
    root = project(FILES)
    assert pivot("track", "data.txt").exit_code == 0
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "remote")).exit_code == 0
    assert pivot(*RUN).exit_code == 0
    assert pivot("push").exit_code == 0
    (root / "data.txt").unlink()
    assert pivot("verify").exit_code == 0  # the cache holds it: checkout brings it back
    shutil.rmtree(root / ".pivot" / "cache")
    for out in ("prepared.txt", "model.txt"):
        (root / out).unlink()
    missing = pivot("verify")
    assert missing.exit_code == 1
    assert "tracked path 'data.txt' is not in the workspace or the cache" in missing.output
    assert "stale" not in missing.output  # prepare's dep counts as its recorded version
    assert pivot("verify", "--allow-missing").exit_code == 0
