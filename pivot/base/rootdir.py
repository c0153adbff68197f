"""Where a project's root is, found with `os` alone: the `pivot` program asks before it imports
anything else, to start its fork server at once (pivot.program); pivot.base.project asks the
same question for every command."""

from __future__ import annotations

import os

PIVOT_DIR = ".pivot"
PIPELINE_FILE = "pivot.yaml"
PYTHON_PIPELINE_FILE = "pipeline.py"  # the Python alternative, read when pivot.yaml is absent
NOOP_MEMO = (PIVOT_DIR, "tmp", "noop.memo")  # pivot.worktree.noopmemo, under the root


def nearest(start: str) -> str | None:
    """The nearest directory at or above `start` (resolved) holding pivot.yaml, pipeline.py or
    .pivot/; None when there is none."""
    here = os.path.realpath(start)
    while True:
        if any(os.path.isfile(os.path.join(here, name)) for name in (PIPELINE_FILE, PYTHON_PIPELINE_FILE)) or os.path.isdir(os.path.join(here, PIVOT_DIR)):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent
