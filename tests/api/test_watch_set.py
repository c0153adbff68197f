"""What `pivot run --watch` reacts to (`pivot.api.watch.watched`), from a real project on disk:
deps, params, pivot.yaml and every source file of the stages' code; never an output."""

from __future__ import annotations

from pivot.api import Project
from pivot.api.watch import watched

HELPERS = '''
def shout(text):
    return text.upper()
'''

STAGES = '''
from typing import Annotated

from pivot import loaders, outputs

import helpers


def prepare(data: Annotated[str, outputs.DirectoryDep("raw", loaders.Text())]) -> Annotated[str, outputs.Out("prepared.txt", loaders.Text())]:
    return helpers.shout("".join(data.values()))


def report(prepared: Annotated[str, outputs.Dep("prepared.txt", loaders.Text())]) -> Annotated[str, outputs.Out("out/report.txt", loaders.Text())]:
    return prepared


def other(notes: Annotated[str, outputs.Dep("notes.txt", loaders.Text())]) -> Annotated[str, outputs.Out("other.txt", loaders.Text())]:
    return notes
'''

PIPELINE = """
stages:
  prepare:
    python: stages.prepare
  report:
    python: stages.report
  other:
    python: stages.other
"""


def make(project):
    return project({"helpers.py": HELPERS, "stages.py": STAGES, "pivot.yaml": PIPELINE, "raw/a.txt": "a", "notes.txt": "n"})


def test_deps_sources_and_settings_trigger_outputs_never(project):
    root = make(project)
    seen = watched(Project.open(root))
    for path in ("raw/a.txt", "raw/new/b.txt", "notes.txt", "stages.py", "helpers.py", "pivot.yaml", "params.yaml", ".pivot/config.yaml"):
        assert seen.triggers(path), path
    # prepared.txt is report's dep, but prepare writes it; the rest is pivot's own or unrelated
    for path in ("prepared.txt", "out/report.txt", "other.txt", ".pivot/stages/prepare.lock", ".pivot/tmp/pipeline.memo", "unrelated.txt"):
        assert not seen.triggers(path), path


def test_targets_narrow_the_deps_watched(project):
    root = make(project)
    seen = watched(Project.open(root), ["report"])
    assert seen.triggers("raw/a.txt") and seen.triggers("helpers.py")  # upstream of report
    assert not seen.triggers("notes.txt")  # only `other` reads it


def test_a_pipeline_that_does_not_load_watches_every_python_file(project):
    root = make(project)
    (root / "stages.py").write_text("def broken(:\n")
    seen = watched(Project.open(root))
    assert not seen.loaded
    assert seen.triggers("stages.py") and seen.triggers("lib/new_module.py") and seen.triggers("pivot.yaml")
    assert not seen.triggers("notes.txt") and not seen.triggers(".pivot/tmp/x.py")
