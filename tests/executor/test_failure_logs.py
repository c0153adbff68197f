"""A failing stage's `.pivot/logs/<stage>.log` ends with why it failed: what it printed, then its
traceback (or the one-line reason), on the process pool and in-process alike."""

from __future__ import annotations

import pytest

RAISES = '''
import sys
from typing import Annotated

from pivot import loaders, outputs


def boom() -> Annotated[str, outputs.Out("boom.txt", loaders.Text())]:
    print("loading the data", flush=True)
    print("about to divide", file=sys.stderr, flush=True)
    return str(1 / 0)


def liar() -> Annotated[dict, outputs.Out("liar.json", loaders.PathOnly())]:
    print("writing nothing", flush=True)
    return "liar.json"
'''

PIPELINE = "stages:\n  boom:\n    python: stages.boom\n  liar:\n    python: stages.liar\n"


def _log(root, stage):
    return (root / ".pivot" / "logs" / f"{stage}.log").read_text()


def test_a_failing_stage_log_holds_its_output_and_traceback_on_the_pool(project, pivot):
    root = project({"stages.py": RAISES, "pivot.yaml": PIPELINE})
    result = pivot("run", "-k")
    assert result.exit_code == 1, result.output
    log = _log(root, "boom")
    assert log.index("loading the data") < log.index("Traceback (most recent call last):")
    assert "about to divide" in log
    assert 'return str(1 / 0)' in log and log.rstrip().endswith("ZeroDivisionError: division by zero")
    # the console shows the traceback once, not once from the log and again from the result
    assert result.output.count("ZeroDivisionError: division by zero") == 2  # the FAILED line and the traceback
    liar = _log(root, "liar")
    assert "writing nothing" in liar
    assert "error: output 'return': the stage did not create 'liar.json'" in liar


@pytest.mark.slow
def test_a_failing_stage_log_holds_its_output_and_traceback_in_process(project, pivot_proc):
    root = project({"stages.py": RAISES, "pivot.yaml": PIPELINE})
    done = pivot_proc("run", "-k", "--executor", "inprocess", cwd=root)
    assert done.returncode == 1, done.stdout + done.stderr
    log = _log(root, "boom")
    assert log.index("loading the data") < log.index("Traceback (most recent call last):")
    assert log.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "error: output 'return': the stage did not create 'liar.json'" in _log(root, "liar")


def test_a_rerun_that_succeeds_starts_a_fresh_log(project, pivot):
    root = project({"stages.py": RAISES, "pivot.yaml": PIPELINE})
    pivot("run", "boom")
    (root / "stages.py").write_text(RAISES.replace("1 / 0", "1 / 1"))
    assert pivot("run", "boom").exit_code == 0
    assert "Traceback" not in _log(root, "boom")


DIES = '''
import os
from typing import Annotated

from pivot import loaders, outputs


def dies() -> Annotated[str, outputs.Out("dies.txt", loaders.Text())]:
    print("last words", flush=True)
    os._exit(3)
'''


@pytest.mark.slow
def test_a_stage_whose_worker_dies_has_the_cause_in_its_log(project, pivot):
    root = project({"stages.py": DIES, "pivot.yaml": "stages:\n  dies:\n    python: stages.dies\n"})
    result = pivot("run")
    assert result.exit_code == 1, result.output
    log = _log(root, "dies").splitlines()
    assert log[0] == "last words"
    assert log[-1].startswith("error: ") and "os._exit" in log[-1] and "3" in log[-1]
