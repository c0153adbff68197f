"""What `pivot exp run` shows as it goes: on a terminal one bar over every stage of the sweep with
a line per experiment above it; off a terminal (CI, a pipe) plain lines."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest

pytestmark = pytest.mark.slow  # a real terminal and a pool of workers


def _on_a_terminal(root, *args: str) -> str:
    """Run pivot with a pseudo-terminal as its stdout and stderr; everything it wrote there."""
    main, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # a new pty is 0 wide
    env = dict(os.environ)
    env.pop("CI", None)
    proc = subprocess.Popen([sys.executable, "-m", "pivot", *args], cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=side, stderr=side)
    os.close(side)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the other side closed: the process ended
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_one_bar_over_the_sweep_and_a_line_per_experiment(sweep_project, counts):
    shown = _on_a_terminal(sweep_project, "exp", "run", "-S", "train.lr=0.2,0.3", "--name", "bar")

    assert "6/6" in shown  # one bar: 3 stages in each of 2 experiments
    assert "stage" in shown
    assert "bar-1  ok  train.lr=0.2  metrics.json: acc=0.2" in shown
    assert "bar-2  ok  train.lr=0.3  metrics.json: acc=0.3" in shown
    assert "bar-1: train: ran" not in shown  # the per-stage lines are for logs, not a terminal
    assert "2 experiments: 2 ok, 0 failed" in shown


def test_off_a_terminal_each_stage_and_experiment_is_a_plain_line(sweep_project, pivot, counts):
    result = pivot("exp", "run", "-S", "train.lr=0.2,0.3", "--name", "line")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "line-1: train: ran" in lines and "line-2: train: ran" in lines
    assert "line-2  ok  train.lr=0.3  metrics.json: acc=0.3" in lines
    assert "\r" not in result.output  # no bar redrawn in a log
