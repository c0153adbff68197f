"""The values that cross the process boundary: `StageTask` in, `StageOutcome` out."""

from __future__ import annotations

import dataclasses

from pivot.stage import Stage


@dataclasses.dataclass(frozen=True, slots=True)
class StageTask:
    stage: Stage
    root: str  # the project root: the worker's cwd and first entry on sys.path
    log_path: str  # where the stage's stdout and stderr go


@dataclasses.dataclass(frozen=True, slots=True)
class StageOutcome:
    stage: str
    ok: bool
    duration: float
    error: str = ""  # one line: what went wrong
    traceback: str = ""  # the user's frames only
