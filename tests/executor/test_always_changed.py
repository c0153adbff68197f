"""`always_changed: true`: the stage runs every time (reason "Always changed"), never from the run
cache; its downstream stages run only when its outputs actually changed (early cut-off)."""

from __future__ import annotations

from conftest import COUNT_RUNS, runs

STAGES = '''
import pathlib
from typing import Annotated

from pivot import loaders, outputs
''' + COUNT_RUNS + '''


def fetch() -> Annotated[str, outputs.Out("fetched.txt", loaders.Text())]:
    # What it reads is not a declared dep (think of a web page): only running it can tell.
    _count("fetch")
    return pathlib.Path("outside.txt").read_text()


def use(fetched: Annotated[str, outputs.Dep("fetched.txt", loaders.Text())]) -> Annotated[str, outputs.Out("used.txt", loaders.Text())]:
    _count("use")
    return fetched.upper()
'''

PIPELINE = "stages:\n  fetch:\n    python: stages.fetch\n    always_changed: true\n  use:\n    python: stages.use\n"
RUN = ("run", "--executor", "inprocess")


def test_it_always_runs_and_its_downstream_only_when_its_output_changed(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "outside.txt": "v1"})
    assert pivot(*RUN).exit_code == 0
    assert pivot("status").output.splitlines() == [
        "fetch  will run: Always changed",
        "use    will run: Upstream stage will run (fetch)",  # explain cannot know the output yet
    ]
    assert "  Status: WILL RUN\n  Reason: Always changed\n" in pivot("explain", "fetch").output
    again = pivot(*RUN)
    assert again.exit_code == 0, again.output
    assert "fetch: running (Always changed)" in again.output and "use: up to date" in again.output
    assert "1 ran, 1 skipped, 0 failed" in again.output
    assert (runs(root, "fetch"), runs(root, "use")) == (2, 1)
    (root / "outside.txt").write_text("v2")
    assert pivot(*RUN).exit_code == 0
    assert (runs(root, "fetch"), runs(root, "use")) == (3, 2)
    assert (root / "used.txt").read_text() == "V2"


def test_it_is_never_restored_from_the_run_cache(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "outside.txt": "v1"})
    assert pivot(*RUN).exit_code == 0
    (root / "outside.txt").write_text("v2")
    assert pivot(*RUN).exit_code == 0
    (root / "outside.txt").write_text("v1")
    # Same code, params and (no) deps as the first run: a plain stage would come from the run cache.
    result = pivot(*RUN)
    assert "fetch: running (Always changed)" in result.output, result.output
    assert "use: restored from run cache" in result.output  # an ordinary stage still is
    assert runs(root, "fetch") == 3 and (root / "fetched.txt").read_text() == "v1"
