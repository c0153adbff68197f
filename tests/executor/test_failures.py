"""What a user sees when stages print, fail, or their worker dies: logs, summary, exit codes,
fail-fast and keep-going, and crashed workers reported by exit code or signal."""

from __future__ import annotations

import pathlib
import textwrap

import pytest
from conftest import COUNT_RUNS, runs

HELPERS = '''
import os
import pathlib
import signal
import subprocess
import sys
import time
from typing import Annotated

from pivot import loaders, outputs

''' + COUNT_RUNS + '''


def _wait_for(path, limit):
    deadline = time.monotonic() + limit
    while not pathlib.Path(path).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
'''


def lock(root: pathlib.Path, stage: str) -> pathlib.Path:
    return root / ".pivot" / "stages" / f"{stage}.lock"


def line_of(source: str, text: str) -> int:
    """The 1-based line of `text` in `source` as the `project` fixture writes it."""
    lines = textwrap.dedent(source).lstrip("\n").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def pipeline(*names: str) -> str:
    return "stages:\n" + "".join(f"  {name}:\n    python: stages.{name}\n" for name in names)


# --------------------------------------------------------------------------- logs


LOGS = HELPERS + '''

def chatty() -> Annotated[str, outputs.Out("chatty.txt", loaders.Text())]:
    print("hello from print")
    print("to stderr", file=sys.stderr)
    subprocess.run(["echo", "hello from echo"], check=True)
    return "done"
'''


def test_stage_output_goes_to_its_log_and_to_the_run_output(project, pivot):
    root = project({"stages.py": LOGS, "pivot.yaml": pipeline("chatty")})
    result = pivot("run")
    assert result.exit_code == 0, result.output
    log = (root / ".pivot" / "logs" / "chatty.log").read_text().splitlines()
    for line in ("hello from print", "to stderr", "hello from echo"):
        assert line in log
        assert f"[chatty] {line}" in result.output.splitlines()


INTERLEAVE = HELPERS + '''

def _chatter(me, other):
    pathlib.Path(f"{me}.marker").touch()
    _wait_for(f"{other}.marker", 20)  # print while the other stage prints too
    for i in range(3000):
        if i % 3 == 0:
            os.write(1, (me * 150 + "\\n").encode())
        else:
            print(me * 150, flush=i % 7 == 0)
        if i % 500 == 0:
            subprocess.run(["echo", me * 150], check=True)
    return me


def a() -> Annotated[str, outputs.Out("a.txt", loaders.Text())]:
    return _chatter("a", "b")


def b() -> Annotated[str, outputs.Out("b.txt", loaders.Text())]:
    return _chatter("b", "a")
'''


def test_concurrent_stages_never_mix_their_lines(project, pivot):
    project({"stages.py": INTERLEAVE, "pivot.yaml": pipeline("a", "b")})
    result = pivot("run", "-j2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name in "ab":
        mine = [line for line in lines if line.startswith(f"[{name}] ")]
        assert len(mine) == 3006
        assert all(line == f"[{name}] " + name * 150 for line in mine), [bad for bad in mine if bad != f"[{name}] " + name * 150][:3]
    assert all(line.startswith(("[a] ", "[b] ", "a:", "b:", "2 ran")) for line in lines), lines[:5]


# --------------------------------------------------------------------------- summary, tracebacks


SUMMARY = HELPERS + '''

def one(x: Annotated[str, outputs.Dep("x.txt", loaders.Text())]) -> Annotated[str, outputs.Out("one.txt", loaders.Text())]:
    return x


def two(x: Annotated[str, outputs.Dep("x.txt", loaders.Text())]) -> Annotated[str, outputs.Out("two.txt", loaders.Text())]:
    return x * 2


def three() -> Annotated[str, outputs.Out("three.txt", loaders.Text())]:
    return "3"
'''


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_summary_counts_ran_and_skipped(project, pivot):
    root = project({"stages.py": SUMMARY, "x.txt": "x", "pivot.yaml": pipeline("one", "two", "three")})
    assert "3 ran, 0 skipped, 0 failed in" in pivot("run").output
    (root / "x.txt").write_text("y")
    result = pivot("run")
    assert result.exit_code == 0, result.output
    assert "2 ran, 1 skipped, 0 failed in" in result.output
    assert "three: up to date" in result.output


RAISES = HELPERS + '''

def _helper(value):
    return {"a": 1}[value]


def boom() -> Annotated[str, outputs.Out("boom.txt", loaders.Text())]:
    pathlib.Path("boom.txt").write_text("partial")
    return _helper("missing")
'''


def test_raising_stage_shows_the_users_traceback_only(project, pivot):
    root = project({"stages.py": RAISES, "pivot.yaml": pipeline("boom")})
    result = pivot("run")
    assert result.exit_code == 1, result.output
    assert "boom: FAILED: KeyError: 'missing'" in result.output
    stages_py = str(root / "stages.py")
    assert f'File "{stages_py}", line {line_of(RAISES, "return _helper(")}, in boom' in result.output
    assert f'File "{stages_py}", line {line_of(RAISES, "return {")}, in _helper' in result.output
    assert 'return _helper("missing")' in result.output
    assert "pivot/executor/" not in result.output
    assert "loky" not in result.output
    assert "0 ran, 0 skipped, 1 failed in" in result.output
    assert not lock(root, "boom").exists()
    # the next run tries again
    again = pivot("run")
    assert again.exit_code == 1
    assert "boom: running (Never run)" in again.output


CONTRACT = HELPERS + '''

def liar() -> Annotated[pathlib.Path, outputs.Out("liar.txt", loaders.PathOnly())]:
    return pathlib.Path("liar.txt")  # never written
'''


def test_stage_breaking_its_contract_fails_without_traceback(project, pivot):
    root = project({"stages.py": CONTRACT, "pivot.yaml": pipeline("liar")})
    result = pivot("run")
    assert result.exit_code == 1, result.output
    assert "liar: FAILED: output 'return': the stage did not create 'liar.txt'" in result.output
    assert "Traceback" not in result.output
    assert not lock(root, "liar").exists()


BLOCKED_OUTPUT = HELPERS + '''

def nested() -> Annotated[str, outputs.Out("x/nested.txt", loaders.Text())]:
    return "never"


def fine() -> Annotated[str, outputs.Out("fine.txt", loaders.Text())]:
    return "fine"
'''


def test_output_that_cannot_be_written_fails_the_stage_not_the_run(project, pivot):
    root = project({"stages.py": BLOCKED_OUTPUT, "pivot.yaml": pipeline("nested", "fine"), "x": "a file, not a dir"})
    result = pivot("run", "-k")
    assert result.exit_code == 1, result.output
    assert "nested: FAILED: cannot prepare the stage:" in result.output and "/proj/x" in result.output
    assert "Traceback" not in result.output
    assert (root / "fine.txt").read_text() == "fine"
    assert "1 ran, 0 skipped, 1 failed in" in result.output


# --------------------------------------------------------------------------- fail-fast, keep-going


FAIL_FAST = HELPERS + '''

def slow() -> Annotated[str, outputs.Out("slow.txt", loaders.Text())]:
    _count("slow")
    _wait_for("boom.marker", 20)
    # were fail-fast broken, `later` would start in boom's free slot within this wait
    _wait_for("later.marker", 2)
    return "slow"


def boom() -> Annotated[str, outputs.Out("boom.txt", loaders.Text())]:
    _count("boom")
    _wait_for("slow.marker", 0)
    pathlib.Path("boom.marker").touch()
    raise RuntimeError("boom went off")


def later() -> Annotated[str, outputs.Out("later.txt", loaders.Text())]:
    pathlib.Path("later.marker").touch()
    _count("later")
    return "later"
'''


@pytest.mark.slow
def test_fail_fast_starts_nothing_new_but_commits_the_running_stage(project, pivot):
    root = project({"stages.py": FAIL_FAST, "pivot.yaml": pipeline("slow", "boom", "later")})
    result = pivot("run", "-j2")
    assert result.exit_code == 1, result.output
    assert "boom: FAILED: RuntimeError: boom went off" in result.output
    assert runs(root, "later") == 0
    assert "slow: ran in" in result.output
    assert lock(root, "slow").exists()
    assert (root / "slow.txt").read_text() == "slow"
    assert not lock(root, "boom").exists()
    assert "1 ran, 0 skipped, 1 failed, 1 not started in" in result.output


KEEP_GOING = HELPERS + '''

def boom() -> Annotated[str, outputs.Out("boom.txt", loaders.Text())]:
    raise RuntimeError("boom went off")


def child(x: Annotated[str, outputs.Dep("boom.txt", loaders.Text())]) -> Annotated[str, outputs.Out("child.txt", loaders.Text())]:
    _count("child")
    return x


def grandchild(x: Annotated[str, outputs.Dep("child.txt", loaders.Text())]) -> Annotated[str, outputs.Out("grandchild.txt", loaders.Text())]:
    _count("grandchild")
    return x


def other() -> Annotated[str, outputs.Out("other.txt", loaders.Text())]:
    _count("other")
    return "other"


def other_child(x: Annotated[str, outputs.Dep("other.txt", loaders.Text())]) -> Annotated[str, outputs.Out("other_child.txt", loaders.Text())]:
    return x + "!"
'''


def test_keep_going_finishes_independent_branches_and_blocks_dependents(project, pivot):
    root = project(
        {"stages.py": KEEP_GOING, "pivot.yaml": pipeline("boom", "child", "grandchild", "other", "other_child")}
    )
    result = pivot("run", "-k", "-j1")
    assert result.exit_code == 1, result.output
    assert "boom: FAILED: RuntimeError: boom went off" in result.output
    assert (root / "other_child.txt").read_text() == "other!"
    assert lock(root, "other_child").exists()
    assert runs(root, "child") == 0 and runs(root, "grandchild") == 0
    assert "2 ran, 0 skipped, 1 failed, 2 blocked in" in result.output


def test_without_keep_going_the_run_stops_at_the_first_failure(project, pivot):
    root = project(
        {"stages.py": KEEP_GOING, "pivot.yaml": pipeline("boom", "child", "grandchild", "other", "other_child")}
    )
    result = pivot("run", "-j1")
    assert result.exit_code == 1, result.output
    assert runs(root, "other") == 0
    assert "0 ran, 0 skipped, 1 failed, 4 not started in" in result.output


# --------------------------------------------------------------------------- dead workers


CRASH = HELPERS + '''

def exits() -> Annotated[str, outputs.Out("exits.txt", loaders.Text())]:
    os._exit(3)


def killed() -> Annotated[str, outputs.Out("killed.txt", loaders.Text())]:
    os.kill(os.getpid(), signal.SIGKILL)


def crash_with_company() -> Annotated[str, outputs.Out("crash.txt", loaders.Text())]:
    pathlib.Path("crash.marker").touch()
    _wait_for("innocent.marker", 20)  # die while the innocent stage is running
    os._exit(3)


def innocent() -> Annotated[str, outputs.Out("innocent.txt", loaders.Text())]:
    _count("innocent")
    pathlib.Path("innocent.marker").touch()
    _wait_for("crash.marker", 20)
    time.sleep(0.5)
    return "fine"


def downstream(x: Annotated[str, outputs.Dep("innocent.txt", loaders.Text())]) -> Annotated[str, outputs.Out("downstream.txt", loaders.Text())]:
    return x + "!"
'''


@pytest.mark.slow
def test_worker_calling_os_exit_fails_with_its_exit_code(project, pivot):
    root = project({"stages.py": CRASH, "pivot.yaml": pipeline("exits")})
    result = pivot("run")
    assert result.exit_code == 1, result.output
    failed = next(line for line in result.output.splitlines() if line.startswith("exits: FAILED"))
    assert "3" in failed and "exit" in failed, failed
    assert "os._exit" in failed
    assert not lock(root, "exits").exists()


@pytest.mark.slow
def test_worker_killed_by_sigkill_fails_naming_the_signal(project, pivot):
    root = project({"stages.py": CRASH, "pivot.yaml": pipeline("killed")})
    result = pivot("run")
    assert result.exit_code == 1, result.output
    failed = next(line for line in result.output.splitlines() if line.startswith("killed: FAILED"))
    assert "SIGKILL" in failed and "out of memory" in failed, failed
    assert not lock(root, "killed").exists()


@pytest.mark.slow
def test_crash_does_not_take_down_an_innocent_concurrent_stage(project, pivot):
    root = project({"stages.py": CRASH, "pivot.yaml": pipeline("crash_with_company", "innocent", "downstream")})
    result = pivot("run", "-k", "-j2")
    assert result.exit_code == 1, result.output
    failed = next(line for line in result.output.splitlines() if line.startswith("crash_with_company: FAILED"))
    assert "worker died" in failed and "3" in failed, failed
    assert "innocent: ran in" in result.output
    assert (root / "innocent.txt").read_text() == "fine"
    assert (root / "downstream.txt").read_text() == "fine!"
    assert lock(root, "innocent").exists() and lock(root, "downstream").exists()
    assert not lock(root, "crash_with_company").exists()
    assert "2 ran, 0 skipped, 1 failed in" in result.output
