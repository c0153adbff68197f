"""`retries:` and `pivot run --retries N` (as Snakemake's): a failed stage runs again before it
counts as failed; each failed run's log is kept, and the console and `--jsonl` say so."""

from __future__ import annotations

import json

from conftest import assert_clean_error

STAGES = '''
import pathlib
from typing import Annotated

from pivot import loaders, outputs


def _attempt(name, succeed_on):
    counter = pathlib.Path(f"{name}.attempts")
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    print(f"{name} attempt {n}")
    if n < succeed_on:
        raise RuntimeError(f"{name} failed on attempt {n}")
    return f"{name} ok after {n}"


def flaky() -> Annotated[str, outputs.Out("flaky.txt", loaders.Text())]:
    return _attempt("flaky", 3)


def broken() -> Annotated[str, outputs.Out("broken.txt", loaders.Text())]:
    return _attempt("broken", 99)
'''

PIPELINE = """\
stages:
  flaky: {python: stages.flaky, retries: 2}
  broken: {python: stages.broken}
  stubborn: {cmd: 'test -f marker || { touch marker; exit 3; }; echo done > shell.txt', outs: [shell.txt], retries: 1}
"""


def test_a_flaky_stage_succeeds_on_a_later_run_and_each_failed_run_keeps_its_log(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE})
    result = pivot("run", "flaky", "stubborn", "-j1")
    assert result.exit_code == 0, result.output
    assert "flaky: failed (attempt 1 of 3), running it again: RuntimeError: flaky failed on attempt 1" in result.output
    assert "flaky: failed (attempt 2 of 3), running it again" in result.output
    assert "stubborn: failed (attempt 1 of 2), running it again: stage 'stubborn': command exited with code 3" in result.output
    assert (root / "flaky.txt").read_text() == "flaky ok after 3" and (root / "shell.txt").read_text() == "done\n"
    first = (root / ".pivot/logs/flaky.attempt-1.log").read_text()
    assert "flaky attempt 1" in first and "RuntimeError: flaky failed on attempt 1" in first
    assert "flaky attempt 3" in (root / ".pivot/logs/flaky.log").read_text()
    assert "0 ran, 2 skipped" in pivot("run", "flaky", "stubborn").output  # locked as any successful run


def test_run_retries_applies_to_stages_without_their_own(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE.replace("retries: 2", "retries: 0")})
    result = pivot("run", "--retries", "1", "broken", "flaky", "-k")
    assert result.exit_code == 1, result.output
    assert "broken: failed (attempt 1 of 2), running it again" in result.output
    assert (root / "broken.attempts").read_text() == "2"  # ran twice, then failed
    assert (root / "flaky.attempts").read_text() == "1"  # its own retries: 0 wins
    assert "flaky: failed (attempt" not in result.output


def test_jsonl_says_when_a_stage_runs_again(project, pivot):
    project({"stages.py": STAGES, "pivot.yaml": PIPELINE})
    result = pivot("run", "flaky", "--jsonl")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines()]
    kinds = [e["event"] for e in events if e["event"] != "stage_output"]
    assert kinds == ["run_started", "stage_started", "stage_retrying", "stage_started", "stage_retrying", "stage_started", "stage_finished", "run_finished"]
    retry = next(e for e in events if e["event"] == "stage_retrying")
    assert (retry["attempt"], retry["attempts"], retry["error"]) == (1, 3, "RuntimeError: flaky failed on attempt 1")


def test_retries_must_be_a_whole_number(project, pivot):
    project({"stages.py": STAGES, "pivot.yaml": "stages:\n  flaky:\n    python: stages.flaky\n    retries: -1\n"})
    assert_clean_error(pivot("run"), "pivot.yaml:4", "retries", "0 or more", "retries: 2")


def test_exp_run_takes_retries_and_resource_limits_too(project, pivot):
    pipeline = (
        "stages:\n  flaky:\n    cmd: 'test -f tried || { touch tried; exit 1; }; echo ${flaky.x} > out.txt'\n"
        "    params: [flaky.x]\n    outs: [out.txt]\n    resources: {gpu: 1}\n"
    )
    project({"pivot.yaml": pipeline, "params.yaml": "flaky:\n  x: 1\n"})
    failed = pivot("exp", "run", "-S", "flaky.x=2", "-n", "first")
    assert failed.exit_code == 1 and "0 ok, 1 failed" in failed.output, failed.output
    result = pivot("exp", "run", "-S", "flaky.x=3", "-n", "second", "--retries", "1", "--resources", "gpu=1")
    assert result.exit_code == 0 and "1 ok, 0 failed" in result.output, result.output
    assert_clean_error(pivot("exp", "run", "-S", "flaky.x=4", "--resources", "gpu"), "NAME=N")
