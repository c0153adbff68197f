"""The experiments' processes, seen from the sweep: started in their scratch trees, their event
files read as they write them, and stopped (each with everything it started) when the sweep
is interrupted."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from pivot.api import Project
from pivot.base import atomic
from pivot.experiments import plan as plan_mod
from pivot.experiments import scratch


@dataclasses.dataclass
class Child:
    name: str
    root: pathlib.Path  # its scratch tree
    process: subprocess.Popen[bytes]
    events: pathlib.Path
    log: pathlib.Path
    gate: pathlib.Path  # it runs once this file exists
    offset: int = 0
    finished: set[str] = dataclasses.field(default_factory=set)  # its stages that ended
    result: dict[str, Any] | None = None

    def open_gate(self) -> None:
        if not self.gate.exists():
            atomic.write_text(self.gate, "")

    def ended(self) -> bool:
        return self.process.poll() is not None


def start(proj: Project, exp: plan_mod.Experiment, jobs: int) -> Child:
    root = scratch.create(proj.paths, exp.name)
    work = root / ".pivot" / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    spec = {
        "root": os.fspath(root),
        "events": os.fspath(work / "events.jsonl"),
        "overrides": dict(exp.overrides),
        "targets": list(exp.stages),
        "jobs": jobs,
        # One stage at a time: this process is isolation enough, a pool would only cost startup.
        "executor": "inprocess" if jobs == 1 else None,
        "gate": os.fspath(work / "gate"),
    }
    spec_path = work / "spec.json"
    atomic.write_text(spec_path, json.dumps(spec))
    log = work / "child.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pivot.experiments.child", os.fspath(spec_path)],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped as a group (its pool too) by stop(), never by a stray Ctrl-C
        )
    return Child(exp.name, root, process, work / "events.jsonl", log, work / "gate")


def read_events(child: Child, on_stage: Callable[[str, str, str], None]) -> None:
    """The events `child` wrote since the last call: stages to `on_stage`, its result kept."""
    try:
        with child.events.open("rb") as handle:
            handle.seek(child.offset)
            data = handle.read()
    except FileNotFoundError:
        return
    complete = data[: data.rfind(b"\n") + 1]  # a line being written is read next time
    child.offset += len(complete)
    for line in complete.splitlines():
        event = json.loads(line)
        if "result" in event:
            child.result = event["result"]
        else:
            child.finished.add(event["stage"])
            on_stage(child.name, event["stage"], event["status"])


def failure(child: Child) -> dict[str, Any]:
    """The result of a process that died before saying how it went: its output says why."""
    tail = child.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
    return {"status": "failed", "error": "the experiment's process ended unexpectedly: " + " | ".join(tail)}


def stop(children: list[Child]) -> None:
    """Stop what still runs (after Ctrl-C or an error): its half-done work is not recorded."""
    for child in children:
        if not child.ended():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGTERM)
    for child in children:
        try:
            child.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
