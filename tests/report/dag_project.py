"""A small project for the `pivot dag --html` tests: run once, then left with a stage in each
state the page shows."""

from __future__ import annotations

import pathlib
from collections.abc import Callable

STAGES = '''
from typing import Annotated

from pivot import loaders, outputs


def prepare(raw: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("clean.txt", loaders.Text())]:
    return raw.upper()


def train(clean: Annotated[str, outputs.Dep("clean.txt", loaders.Text())]) -> Annotated[str, outputs.Out("model.txt", loaders.Text())]:
    return f"model of {clean}"


def evaluate(
    model: Annotated[str, outputs.Dep("model.txt", loaders.Text())],
    config: Annotated[str, outputs.Dep("eval.cfg", loaders.Text())],
) -> Annotated[dict, outputs.Metric("metrics.json")]:
    return {"score": len(model + config)}


def broken(clean: Annotated[str, outputs.Dep("clean.txt", loaders.Text())]) -> Annotated[str, outputs.Out("broken.txt", loaders.Text())]:
    if "FIXED" not in clean:
        raise RuntimeError("the input is not ready")
    return clean


def extra(clean: Annotated[str, outputs.Dep("clean.txt", loaders.Text())]) -> Annotated[str, outputs.Out("extra.txt", loaders.Text())]:
    return clean
'''

PIPELINE = """\
stages:
  prepare: {python: stages.prepare}
  train: {python: stages.train}
  evaluate: {python: stages.evaluate}
  broken: {python: stages.broken}
"""

RUN = ("run", "-k", "--executor", "inprocess")
# (stage, state, text its box or tooltip holds)
EXPECTED = (
    ("prepare", "up-to-date", "up to date"),
    ("train", "up-to-date", "up to date"),
    ("evaluate", "stale", "Dependencies changed"),
    ("broken", "failed", "the input is not ready"),
    ("extra", "never-run", "never run"),
)
EDGES = {("prepare", "train"), ("train", "evaluate"), ("prepare", "broken"), ("prepare", "extra")}


def make(project: Callable[..., pathlib.Path], pivot: Callable[..., object]) -> pathlib.Path:
    """Run the pipeline (broken fails), then edit evaluate's config and add a stage never run."""
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "data.txt": "raw\n", "eval.cfg": "a\n"})
    ran = pivot(*RUN)
    assert ran.exit_code != 0 and "the input is not ready" in ran.output, ran.output
    (root / "eval.cfg").write_text("b\n")
    (root / "pivot.yaml").write_text(PIPELINE + "  extra: {python: stages.extra}\n")
    return root
