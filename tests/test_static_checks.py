"""The static checks CI runs through the README's test command: mypy --strict on pivot/ and
ruff's rule set, both configured in pyproject.toml. A failure prints the checker's findings."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO


def _check(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_pivot_passes_mypy_strict():
    done = _check("mypy", "--no-incremental")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_tree_passes_ruff():
    done = _check("ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_checks_are_configured_strictly():
    """The settings the two tests above rely on: a weakened configuration is a failure too."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]
    assert config["mypy"]["strict"] is True and config["mypy"]["packages"] == ["pivot"]
    assert {"E4", "E7", "E9", "F", "B", "UP", "SIM", "I", "RUF"} <= set(config["ruff"]["lint"]["select"])
