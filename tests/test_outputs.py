"""Output shapes end to end: directories, a single return, user loaders, returned paths, cache types."""

from __future__ import annotations

import json
import os

import pytest

DIR_STAGES = '''
import pathlib
from typing import Annotated, TypedDict
from pivot import loaders, outputs


class Parts(TypedDict):
    parts: Annotated[pathlib.Path, outputs.Out("parts", loaders.PathOnly())]


def split(text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Parts:
    out = pathlib.Path("parts")
    out.mkdir()
    (out / "sub").mkdir()
    for i, word in enumerate(text.split()):
        (out / "sub" / f"{i}.txt").write_text(word)
    return {"parts": out}


def first(word: Annotated[str, outputs.Dep("parts/sub/0.txt", loaders.Text())]) -> Annotated[str, outputs.Out("first.txt", loaders.Text())]:
    return word.upper()
'''

DIR_PIPELINE = """
stages:
  split:
    python: stages.split
  first:
    python: stages.first
"""


def test_directory_output_is_cached_restored_and_feeds_a_dep_inside_it(project, pivot):
    root = project({"stages.py": DIR_STAGES, "pivot.yaml": DIR_PIPELINE, "input.txt": "alpha beta gamma"})
    result = pivot("run", "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    assert result.output.index("split: ran") < result.output.index("first: ran")
    assert (root / "first.txt").read_text() == "ALPHA"
    lock = (root / ".pivot/stages/split.lock").read_text()
    assert ".dir" in lock and "nfiles: 3" in lock

    (root / "parts/sub/1.txt").unlink()
    again = pivot("run", "--executor", "inprocess")
    assert "split: up to date (restored parts from the cache)" in again.output
    assert (root / "parts/sub/1.txt").read_text() == "beta"
    assert "first: up to date" in again.output


SINGLE = '''
from typing import Annotated
from pivot import loaders, outputs


def shout(text: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[dict, outputs.Out("out.json", loaders.JSON())]:
    return {"text": text.upper()}
'''


def test_single_annotated_return_is_written_by_its_loader_and_overridable_as_return(project, pivot):
    root = project(
        {
            "stages.py": SINGLE,
            "in.txt": "hi",
            "pivot.yaml": "stages:\n  shout:\n    python: stages.shout\n    outs:\n      return: results/shout.json\n",
        }
    )
    result = pivot("run", "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    assert json.loads((root / "results/shout.json").read_text()) == {"text": "HI"}
    assert not (root / "out.json").exists()


USER_LOADER = '''
import dataclasses
import pathlib
from typing import Annotated, TypedDict
from pivot import loaders, outputs


@dataclasses.dataclass(frozen=True)
class Lines(loaders.Loader):
    def load(self, path: pathlib.Path) -> list[str]:
        return path.read_text().splitlines()

    def save(self, value: list[str], path: pathlib.Path) -> None:
        path.write_text("\\n".join(value) + "\\n")


class Sorted(TypedDict):
    lines: Annotated[list[str], outputs.Out("sorted.txt", Lines())]


def sort_lines(lines: Annotated[list[str], outputs.Dep("words.txt", Lines())]) -> Sorted:
    return {"lines": sorted(lines)}
'''


def test_a_user_loader_reads_and_writes_in_worker_processes(project, pivot):
    root = project({"stages.py": USER_LOADER, "words.txt": "pear\napple\n", "pivot.yaml": "stages:\n  sort:\n    python: stages.sort_lines\n"})
    result = pivot("run", "-j2")
    assert result.exit_code == 0, result.output
    assert (root / "sorted.txt").read_text() == "apple\npear\n"


WRONG_PATH = '''
import pathlib
from typing import Annotated, TypedDict
from pivot import loaders, outputs


class Out(TypedDict):
    model: Annotated[pathlib.Path, outputs.Out("model.pkl", loaders.PathOnly())]


def train() -> Out:
    pathlib.Path("elsewhere.pkl").write_bytes(b"x")
    return {"model": pathlib.Path("elsewhere.pkl")}
'''


def test_path_only_output_at_another_path_is_a_clear_failure(project, pivot):
    root = project({"stages.py": WRONG_PATH, "pivot.yaml": "stages:\n  train:\n    python: stages.train\n"})
    result = pivot("run", "--executor", "inprocess")
    assert result.exit_code == 1
    assert "returned the path 'elsewhere.pkl' but the declared output is 'model.pkl'" in result.output
    assert "Traceback" not in result.output
    assert not (root / ".pivot/stages/train.lock").exists()


@pytest.mark.parametrize("cache_type", ["hardlink", "symlink", "copy"])
def test_cache_type_decides_how_outputs_land_in_the_workspace(project, pivot, cache_type):
    root = project({"stages.py": SINGLE, "in.txt": "hi", "pivot.yaml": "stages:\n  shout:\n    python: stages.shout\n"})
    pivot("init")
    (root / ".pivot/config.yaml").write_text(f"cache:\n  type: {cache_type}\n")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    out = root / "out.json"
    objects = [p for p in (root / ".pivot/cache/files").rglob("*") if p.is_file()]
    assert len(objects) == 1
    if cache_type == "hardlink":
        assert out.stat().st_ino == objects[0].stat().st_ino
    elif cache_type == "symlink":
        assert out.is_symlink() and os.path.samefile(out, objects[0])
    else:
        assert not out.is_symlink() and out.stat().st_ino != objects[0].stat().st_ino
    out.unlink()
    restored = pivot("run", "--executor", "inprocess")
    assert "restored out.json from the cache" in restored.output
    assert json.loads(out.read_text()) == {"text": "HI"}
    # Running again must not write through a link into the cache object.
    (root / "in.txt").write_text("bye")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert json.loads(out.read_text()) == {"text": "BYE"}
    assert json.loads(objects[0].read_text()) == {"text": "HI"}
