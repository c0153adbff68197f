"""Runs a shell stage's commands inside a worker: `/bin/sh -c`, one after another, in its wdir.

The worker has already pointed fds 1 and 2 at the stage's log, and the commands inherit them, so
what they print is logged and relayed line by line like a Python stage's output. The environment
is pivot's own (PATH included): `python` in a command is whichever python is first on PATH.
"""

from __future__ import annotations

import os
import pathlib
import subprocess

from pivot.declare.stage import Stage
from pivot.executor import usage

SHELL = "/bin/sh"  # what DVC runs commands with on POSIX


def run(stage: Stage, root: pathlib.Path, measure: usage.Measure | None = None) -> str | None:
    """None when every command succeeded and created every declared output; else why not. Each
    command's peak memory goes into `measure` (reaped with `os.wait4`, which reports it)."""
    cwd = root / stage.wdir if stage.wdir else root
    for command in stage.cmd:
        # fds 1 and 2 are the stage's log here (fdcapture): the command writes into it directly.
        code, peak = _run_one(command, cwd)
        if measure is not None:
            measure.children_peak = max(measure.children_peak, peak)
        if code != 0:
            shown = f" ('{command}')" if len(stage.cmd) > 1 else ""
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            return f"stage '{stage.name}': command{shown} {how}"
    missing = [out.path for out in stage.outs if not os.path.lexists(root / out.path)]
    if missing:
        return f"stage '{stage.name}': the command did not create its output '{missing[0]}'"
    return None


def _run_one(command: str, cwd: pathlib.Path) -> tuple[int, int]:
    """The command's exit code (negative: the signal that killed it) and its peak memory."""
    proc = subprocess.Popen([SHELL, "-c", command], cwd=cwd, stdin=subprocess.DEVNULL, stdout=1, stderr=2)
    try:
        _, status, rusage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    return proc.returncode, usage.child_peak(rusage)
