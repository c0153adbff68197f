"""The global -q/--quiet and -v/--verbose, and colour only on a terminal without NO_COLOR."""

from __future__ import annotations

import os
import pathlib
import pty
import re
import subprocess
import sys

import pytest

PIPELINE = """
stages:
  hello:
    cmd: echo hi > hello.txt && echo said hello
    outs: [hello.txt]
  broken:
    cmd: exit 3
"""
SUMMARY = re.compile(r"^\d+ ran, \d+ skipped, \d+ failed.* in [\d.]+s$")


def test_quiet_run_prints_failures_and_the_summary_only(project, pivot) -> None:
    project({"pivot.yaml": PIPELINE})
    loud = pivot("run", "-k", "hello")
    assert "hello: running" in loud.output
    (pathlib.Path("hello.txt")).unlink()
    result = pivot("-q", "run", "-k")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "broken: FAILED: stage 'broken': command exited with code 3", result.output
    assert SUMMARY.match(lines[1]) and ", 1 failed" in lines[1], result.output
    assert len(lines) == 2, result.output


def test_quiet_run_with_nothing_to_do_prints_the_summary(project, pivot) -> None:
    project({"pivot.yaml": PIPELINE})
    pivot("run", "hello")
    result = pivot("-q", "run", "hello")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 1 and SUMMARY.match(result.stdout.strip()), result.output


def test_verbose_adds_how_long_the_command_took(project, pivot) -> None:
    project({"pivot.yaml": PIPELINE})
    result = pivot("-v", "status")
    assert re.search(r"^pivot status: [\d.]+s$", result.stderr, re.M), result.output
    assert "pivot status:" not in pivot("status").output


def test_quiet_and_verbose_together_is_a_usage_error(pivot) -> None:
    result = pivot("-q", "-v", "status")
    assert result.exit_code == 2
    assert "choose one of -q/--quiet and -v/--verbose" in result.output


def _doctor_on_a_terminal(root: pathlib.Path, **env: str) -> str:
    """`pivot doctor` with its stdout on a pseudo-terminal, as a user at a terminal runs it."""
    leader, follower = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    subprocess.run(
        [sys.executable, "-m", "pivot", "doctor"], cwd=root, stdout=follower, stderr=subprocess.DEVNULL,
        env={**environ, "TERM": "xterm", **env}, timeout=60, check=False,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other end closed: all was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return b"".join(chunks).decode()


@pytest.mark.slow
def test_colour_only_on_a_terminal_and_never_with_no_color(project, pivot) -> None:
    root = project({"pivot.yaml": PIPELINE})
    assert "\x1b[" in _doctor_on_a_terminal(root)
    assert "\x1b[" not in _doctor_on_a_terminal(root, NO_COLOR="1")
    assert "\x1b[" not in _doctor_on_a_terminal(root, TERM="dumb")
    piped = subprocess.run([sys.executable, "-m", "pivot", "doctor"], cwd=root, capture_output=True, text=True, timeout=60)
    assert "OK   python" in piped.stdout and "\x1b[" not in piped.stdout


def test_the_flags_also_work_after_the_command_as_in_dvc(project, pivot) -> None:
    project({"pivot.yaml": PIPELINE})
    pivot("run", "hello")
    quiet = pivot("run", "-q", "hello")
    assert quiet.exit_code == 0 and len(quiet.stdout.splitlines()) == 1, quiet.output
    assert re.search(r"^pivot status: [\d.]+s$", pivot("status", "--verbose").stderr, re.M)
    clash = pivot("-q", "status", "-v")
    assert clash.exit_code == 2
    assert "choose one of -q/--quiet and -v/--verbose" in clash.output


def test_the_flags_after_the_command_stay_out_of_its_help(pivot) -> None:
    """`pivot --help` documents them once; each command's help stays about the command."""
    assert "--quiet" in pivot("--help").output
    assert "--quiet" not in pivot("run", "--help").output
