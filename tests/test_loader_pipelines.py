"""JSONL, DataFrameJSONL and MatplotlibFigure in real pipelines: one stage writes, a downstream
stage reads, explain and push/checkout/pull see ordinary outputs; bad files fail the stage with
the file and line and no traceback; a figure read as a Dep is refused when the stage is read."""

from __future__ import annotations

import json
import pathlib
import subprocess
import xml.etree.ElementTree as ET

import pytest
from conftest import assert_clean_error

pytest.importorskip("pandas")
pytest.importorskip("matplotlib")

STAGES = '''
from typing import Annotated, TypedDict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from pivot import loaders, outputs


class Made(TypedDict):
    events: Annotated[list, outputs.Out("data/events.jsonl", loaders.JSONL())]
    table: Annotated[object, outputs.Out("data/table.jsonl", loaders.DataFrameJSONL())]


def make(raw: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Made:
    events = [{"word": word, "length": len(word)} for word in raw.split()]
    return {"events": events, "table": pd.DataFrame(events)}


class Drawn(TypedDict):
    png: Annotated[object, outputs.Out("plots/lengths.png", loaders.MatplotlibFigure(dpi=40))]
    svg: Annotated[object, outputs.Out("plots/lengths.svg", loaders.MatplotlibFigure(bbox_inches="tight"))]
    summary: Annotated[dict, outputs.Metric("summary.json")]


def draw(
    events: Annotated[list, outputs.Dep("data/events.jsonl", loaders.JSONL())],
    table: Annotated[object, outputs.Dep("data/table.jsonl", loaders.DataFrameJSONL())],
) -> Drawn:
    png, bars = plt.subplots()
    bars.bar(table["word"], table["length"])
    svg, line = plt.subplots()
    line.plot([event["length"] for event in events])
    return {"png": png, "svg": svg, "summary": {"rows": len(table), "same": table.to_dict("records") == events}}
'''

PIPELINE = "stages:\n  make:\n    python: stages.make\n  draw:\n    python: stages.draw\n"
INPROCESS = ("--executor", "inprocess")


def git(root: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def outputs_of(root: pathlib.Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel in ("data/events.jsonl", "data/table.jsonl", "plots/lengths.png", "plots/lengths.svg")}


def assert_valid_figures(root: pathlib.Path) -> None:
    assert (root / "plots/lengths.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert ET.parse(root / "plots/lengths.svg").getroot().tag == "{http://www.w3.org/2000/svg}svg"


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_records_frames_and_figures_flow_through_a_run(project, pivot):
    import matplotlib.pyplot as plt

    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "input.txt": "alpha beta gamma"})
    result = pivot("run", *INPROCESS)
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in (root / "data/events.jsonl").read_text().splitlines()] == [
        {"word": "alpha", "length": 5},
        {"word": "beta", "length": 4},
        {"word": "gamma", "length": 5},
    ]
    assert json.loads((root / "summary.json").read_text()) == {"rows": 3, "same": True}  # read back as written
    assert_valid_figures(root)
    assert plt.get_fignums() == []  # the stage's figures were closed once saved

    first = outputs_of(root)
    assert "UP TO DATE" in pivot("explain").output
    forced = pivot("run", "--force", *INPROCESS)
    assert forced.exit_code == 0, forced.output
    assert outputs_of(root) == first  # figures carry no timestamps: the same figure, the same bytes

    (root / "input.txt").write_text("alpha beta")
    explained = pivot("explain", "draw").output
    assert "Upstream stage will run (make)" in explained, explained


@pytest.mark.slow
def test_worker_processes_write_them_and_push_checkout_pull_restore_them(project, pivot, tmp_path, monkeypatch):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "input.txt": "alpha beta gamma"})
    git(root, "init", "-q")
    result = pivot("run", "-j", "2")  # loky workers unpickle the loaders before anything imports pivot.loaders
    assert result.exit_code == 0, result.output
    assert_valid_figures(root)
    written = outputs_of(root)

    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "remote")).exit_code == 0
    assert pivot("push").exit_code == 0
    for rel in written:
        (root / rel).unlink()
    checked_out = pivot("checkout")
    assert checked_out.exit_code == 0, checked_out.output
    assert outputs_of(root) == written

    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "run")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, capture_output=True)
    monkeypatch.chdir(clone)
    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    assert outputs_of(clone) == written
    assert "0 ran, 2 skipped" in pivot("run", *INPROCESS).output


READERS = '''
from typing import Annotated

from pivot import loaders, outputs


def read(value: Annotated[object, outputs.Dep("{path}", loaders.{loader}())]) -> None:
    return None
'''


@pytest.mark.parametrize(
    ("loader", "path", "content", "message"),
    [
        ("JSONL", "in.jsonl", b'{"a": 1}\n\n{"a": 2,}\n', "in.jsonl line 3: not valid JSON: Expecting property name"),
        ("DataFrameJSONL", "in.jsonl", b'{"a": 1}\n{"a": 2}\n{"a": \n', "in.jsonl line 3: not valid JSON: Expecting value (column 7)"),
        ("JSON", "in.json", b'{\n  "a": 1\n  "b": 2\n}\n', "in.json line 3: not valid JSON: Expecting ',' delimiter (column 3)"),
        ("YAML", "in.yaml", b"a: 1\nb: [2\nc: 3\n", "in.yaml line 3: not valid YAML"),
        ("CSV", "in.csv", b"a,b\n1,2\n3,4,5\n", "in.csv line 3: not valid CSV: Expected 2 fields in line 3, saw 3"),
        ("Text", "in.txt", b"fine\nstill fine\n\xff\xfe bad\n", "in.txt line 3: not valid utf-8 text"),
    ],
)
def test_a_file_that_does_not_parse_fails_the_stage_naming_file_and_line(project, pivot, loader, path, content, message):
    root = project({"stages.py": READERS.format(path=path, loader=loader), "pivot.yaml": "stages:\n  read:\n    python: stages.read\n"})
    (root / path).write_bytes(content)
    result = pivot("run", *INPROCESS)
    assert result.exit_code == 1, result.output
    assert f"read: FAILED: {message}" in result.output, result.output
    assert "Traceback" not in result.output
    assert "Traceback" not in (root / ".pivot/logs/read.log").read_text()


BAD_VALUES = '''
from typing import Annotated

from pivot import loaders, outputs


def records() -> Annotated[list, outputs.Out("out.jsonl", loaders.JSONL())]:
    return [{"ok": 1}, {"ok": 2}, {"not json": {1, 2}}]


def axes() -> Annotated[object, outputs.Out("plot.png", loaders.MatplotlibFigure())]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure().subplots()


def gif() -> Annotated[object, outputs.Out("plot.gif", loaders.MatplotlibFigure())]:
    from matplotlib.figure import Figure

    return Figure()
'''


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ("records", "JSONL cannot save record 2 (counting from 0): Object of type set is not JSON serializable"),
        ("axes", "MatplotlibFigure saves a matplotlib Figure; got a Axes (return ax.figure, not the axes)"),
        ("gif", "MatplotlibFigure cannot save a '.gif' file: name the output .png, .svg or .pdf"),
    ],
)
@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_value_the_loader_cannot_save_fails_the_stage_and_leaves_no_file(project, pivot, stage, message):
    root = project({"stages.py": BAD_VALUES, "pivot.yaml": f"stages:\n  {stage}:\n    python: stages.{stage}\n"})
    result = pivot("run", *INPROCESS)
    assert result.exit_code == 1, result.output
    assert f"{stage}: FAILED: {message}" in result.output, result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in root.iterdir() if p.is_file()) == [".gitignore", "pivot.yaml", "stages.py"]  # nothing half-written


FIGURE_DEP = '''
from typing import Annotated

from pivot import loaders, outputs


def report(plot: Annotated[object, outputs.Dep("plots/loss.png", loaders.MatplotlibFigure())]) -> None:
    return None
'''


@pytest.mark.parametrize("command", ["run", "list", "explain"])
def test_reading_a_figure_as_a_dep_is_refused_when_the_stage_is_read(project, pivot, command):
    project({"stages.py": FIGURE_DEP, "pivot.yaml": "stages:\n  report:\n    python: stages.report\n"})
    assert_clean_error(
        pivot(command),
        "pivot.yaml:3: stage 'report': parameter 'plot' of stages:report reads 'plots/loss.png' with MatplotlibFigure, which only writes files",
        "loaders.PathOnly()",
    )
