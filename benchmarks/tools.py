"""The tools the benchmarks compare, each run as a user runs it: a subprocess.

It owns how each tool initialises a project and runs its pipeline (`dvc repro`, `pivot run`),
the DVC venv (benchmarks/.venv-dvc, created on first use: DVC is never a pivot dependency) and
the extra packages some workloads install there, pivot's bytecode, and the interpreter that
writes the baselines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from harness import (
    DVC_SPEC,
    DVC_VENV,
    LOG_DIR,
    REPO_DIR,
    base_env,
    fresh_dir,
    run_cmd,
    say,
    settle,
)


class Tool:
    name: str
    exe: str

    def env(self) -> dict[str, str]:
        return base_env()

    def init(self, proj: Path, log: str) -> None:
        raise NotImplementedError

    def run(self, proj: Path, log: str, jobs: int | None = None) -> float:
        raise NotImplementedError


class Dvc(Tool):
    name = "dvc"

    @property
    def exe(self) -> str:  # type: ignore[override]
        return str(DVC_VENV / "bin" / "dvc")

    def env(self) -> dict[str, str]:
        env = base_env()
        # `python` in dvc.yaml commands resolves to the DVC venv's interpreter.
        env["PATH"] = f"{DVC_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env

    def init(self, proj: Path, log: str) -> None:
        env = self.env()
        run_cmd(["git", "init", "-q"], proj, log, env)
        run_cmd([self.exe, "init", "-q"], proj, log, env)
        for key, val in (("core.autostage", "false"), ("core.analytics", "false"), ("core.check_update", "false")):
            run_cmd([self.exe, "config", key, val], proj, log, env)

    def run(self, proj: Path, log: str, jobs: int | None = None) -> float:
        return run_cmd([self.exe, "repro"], proj, log, self.env())

    def version(self) -> str:
        try:
            out = subprocess.run([self.exe, "--version"], capture_output=True, text=True, env=self.env(), timeout=120)
            return out.stdout.strip() or "?"
        except Exception:  # only used for the report header
            return "?"


_IMPORT_ALL = """
import importlib, pkgutil, pivot
for module in pkgutil.walk_packages(pivot.__path__, "pivot."):
    try:
        importlib.import_module(module.name)
    except Exception:  # an optional extra (dask, gcsfs, pandas) not installed here
        pass
"""


class Pivot(Tool):
    name = "pivot"

    def __init__(self, exe: Path) -> None:
        self.exe = str(exe)

    def compile_bytecode(self) -> None:
        """pip compiles a package's bytecode when it installs it, so DVC's venv starts from .pyc
        files. An editable pivot has none, and with PYTHONDONTWRITEBYTECODE set (as on the
        development machine) every pivot command would compile its modules again (~0.05 s): give
        pivot the bytecode a regular install would have. Python still checks each .pyc against
        its source, so an edit is never run stale."""
        python = Path(self.exe).with_name("python")
        if not python.exists():
            return  # not a venv's entry point: an installed pivot, bytecode included
        find = "import os, pivot; print(os.path.dirname(pivot.__file__))"
        package = subprocess.run([str(python), "-c", find], capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run([str(python), "-m", "compileall", "-q", package], check=True, capture_output=True)
        # And the compiled code of pivot's dataclasses (pivot/__pycache__/dataclasses.*.marshal),
        # which any pivot command writes beside the bytecode where Python may write bytecode (as
        # a user's first command does): import every module once with bytecode writing allowed.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([str(python), "-c", _IMPORT_ALL], check=True, capture_output=True, env=env)

    def init(self, proj: Path, log: str) -> None:
        run_cmd(["git", "init", "-q"], proj, log)
        run_cmd([self.exe, "init"], proj, log)

    def run(self, proj: Path, log: str, jobs: int | None = None) -> float:
        cmd = [self.exe, "run"] + ([f"-j{jobs}"] if jobs else [])
        return run_cmd(cmd, proj, log)


def cold_run(tool: Tool, workload: str, build: Callable[[Path], None], jobs: int | None, announce: str) -> tuple[Path, float]:
    """A fresh project of `workload` built, initialised, settled, then run once: (project, seconds)."""
    log = f"{workload}-{tool.name}"
    proj = fresh_dir(log)
    build(proj)
    tool.init(proj, log)
    settle()
    say(announce)
    return proj, tool.run(proj, log, jobs)


def baseline_python() -> str:
    """The interpreter that writes the baseline bytes: the one the DVC command uses, if present."""
    for cand in (DVC_VENV / "bin" / "python", REPO_DIR / ".venv" / "bin" / "python"):
        if cand.exists():
            return str(cand)
    return sys.executable


def ensure_dvc() -> None:
    if (DVC_VENV / "bin" / "dvc").exists():
        return
    say(f"creating {DVC_VENV} and installing {DVC_SPEC} (one-time, a few minutes)...")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "dvc-install.log"
    with open(log, "wb") as fh:
        for cmd in (
            [sys.executable, "-m", "venv", str(DVC_VENV)],
            [str(DVC_VENV / "bin" / "python"), "-m", "pip", "install", "-q", DVC_SPEC],
        ):
            if subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT).returncode != 0:
                sys.exit(f"failed: {' '.join(cmd)}; see {log}")


def ensure_in_dvc_venv(spec: str, module: str) -> None:
    """pip install `spec` into the DVC venv unless `module` already imports there."""
    py = str(DVC_VENV / "bin" / "python")
    if subprocess.run([py, "-c", f"import {module}"], capture_output=True).returncode == 0:
        return
    say(f"installing {spec} into {DVC_VENV} (one-time)...")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "dvc-install.log"
    with open(log, "ab") as fh:
        if subprocess.run([py, "-m", "pip", "install", "-q", spec], stdout=fh, stderr=subprocess.STDOUT).returncode != 0:
            sys.exit(f"failed: pip install {spec} into {DVC_VENV}; see {log}")
