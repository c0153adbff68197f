"""The code-change matrix: one row per kind of edit, each a small project in tmp_path.

Every row runs the pipeline, applies its edit, and asks `pivot explain --json` (the same decision
`pivot run` makes) whether stage `s` runs and which code parts it names as changed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import subprocess
import sys

import pytest

HEAD = "from typing import Annotated\nfrom pivot import loaders, outputs\n"
OUT = 'Annotated[str, outputs.Out("out.txt", loaders.Text())]'
DEP = 'text: Annotated[str, outputs.Dep("in.txt", loaders.Text())]'


def stage(body: str, *, before: str = "", name: str = "s") -> str:
    return f"{HEAD}{before}\n\ndef {name}({DEP}) -> {OUT}:\n{body}\n"


@dataclasses.dataclass(frozen=True)
class Row:
    id: str
    files: dict[str, str]
    edits: dict[str, tuple[str, str] | None]  # path -> (old, new) replaced once; None deletes the file
    reruns: bool
    changes: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> modified/added/removed
    module: str = "stages"


HELPER = stage("    return _clean(text)", before="def _clean(text):\n    return text.strip().upper()\n")
CLASS = stage(
    "    return Cleaner(2).apply(text)",
    before=(
        "class Cleaner:\n    def __init__(self, times):\n        self.times = times\n\n"
        "    def apply(self, text):\n        return text.strip() * self.times\n\n"
        "    def unused(self):\n        return 1\n"
    ),
)
RECURSIVE = stage(
    "    return str(fact(len(text)))",
    before="def fact(n):\n    return 1 if n <= 1 else n * fact(n - 1)\n",
)
MUTUAL = stage(
    "    return str(is_even(len(text)))",
    before=(
        "def is_even(n):\n    return True if n == 0 else is_odd(n - 1)\n\n"
        "def is_odd(n):\n    return False if n == 0 else is_even(n - 1)\n"
    ),
)
DECORATED = stage(
    "    return text.strip()",
    before=(
        "import functools\n\ndef shout(func):\n    @functools.wraps(func)\n    def wrapper(*a, **k):\n"
        "        return func(*a, **k).upper()\n    return wrapper\n\n@shout"
    ),
)
PARTIAL = stage(
    "    return _pad(text.strip())",
    before="import functools\n\ndef pad(text, width):\n    return text.ljust(width, '.')\n\n_pad = functools.partial(pad, width=8)\n",
)
LOADER = (
    "import dataclasses\nfrom typing import Annotated\nfrom pivot import loaders, outputs\n\n"
    "@dataclasses.dataclass(frozen=True)\nclass Lines(loaders.Loader):\n"
    "    def load(self, path):\n        return path.read_text().splitlines()\n\n"
    "    def save(self, value, path):\n        path.write_text('\\n'.join(value))\n\n"
    'def s(lines: Annotated[list, outputs.Dep("in.txt", Lines())]) -> Annotated[list, outputs.Out("out.txt", Lines())]:\n'
    "    return lines\n"
)
PARAMS = (
    "from typing import Annotated\nfrom pivot import loaders, outputs\nfrom pivot.stage_def import StageParams\n\n"
    "class P(StageParams):\n    times: int = 2\n\n    def total(self):\n        return self.times + 1\n\n"
    f"def s(params: P, {DEP}) -> {OUT}:\n    return text.strip() * params.total()\n"
)

ROWS = [
    Row("helper in the same module edited", {"stages.py": HELPER}, {"stages.py": (".upper()", ".lower()")}, True, {"stages._clean": "modified"}),
    Row(
        "helper in another module edited (from m import f)",
        {"stages.py": stage("    return clean(text)", before="from helpers import clean\n"), "helpers.py": "def clean(t):\n    return t.strip()\n"},
        {"helpers.py": ("t.strip()", "t.strip().title()")},
        True,
        {"helpers.clean": "modified"},
    ),
    Row(
        "helper in another module edited (import m; m.f())",
        {"stages.py": stage("    return helpers.clean(text)", before="import helpers\n"), "helpers.py": "def clean(t):\n    return t.strip()\n"},
        {"helpers.py": ("t.strip()", "t.strip().title()")},
        True,
        {"helpers.clean": "modified"},
    ),
    Row(
        "helper in a package under the project edited",
        {"stages.py": stage("    return textlib.clean(text)", before="from lib import text as textlib\n"),
         "lib/__init__.py": "", "lib/text.py": "def clean(t):\n    return t.strip()\n"},
        {"lib/text.py": ("t.strip()", "t.strip()[::-1]")},
        True,
        {"lib.text.clean": "modified"},
    ),
    Row(
        "helper in a src/ layout package edited",
        {"stages.py": stage("    return clean(text)", before="from mylib.text import clean\n"),
         "src/mylib/__init__.py": "", "src/mylib/text.py": "def clean(t):\n    return t.strip()\n"},
        {"src/mylib/text.py": ("t.strip()", "t.strip() + '.'")},
        True,
        {"mylib.text.clean": "modified"},
    ),
    Row(
        "helper imported inside the stage function edited",
        {"stages.py": stage("    from helpers import clean\n    return clean(text)"), "helpers.py": "def clean(t):\n    return t.strip()\n"},
        {"helpers.py": ("t.strip()", "t.strip().title()")},
        True,
        {"helpers.clean": "modified"},
    ),
    Row("constant edited", {"stages.py": stage("    return text.strip() + SUFFIX", before='SUFFIX = "!"\n')}, {"stages.py": ('"!"', '"?"')}, True, {"stages.SUFFIX": "modified"}),
    Row(
        "constant in another module edited (from m import C)",
        {"stages.py": stage("    return text.strip() * TIMES", before="from settings import TIMES\n"), "settings.py": "TIMES = 2\n"},
        {"settings.py": ("TIMES = 2", "TIMES = 3")},
        True,
        {"settings.TIMES": "modified"},
    ),
    Row(
        "constant read as m.C edited",
        {"stages.py": stage("    return text.strip() * settings.TIMES", before="import settings\n"), "settings.py": "TIMES = 2\nOTHER = 1\n"},
        {"settings.py": ("TIMES = 2", "TIMES = 3")},
        True,
        {"settings.TIMES": "modified"},
    ),
    Row(
        "another constant of the same module edited",
        {"stages.py": stage("    return text.strip() * settings.TIMES", before="import settings\n"), "settings.py": "TIMES = 2\nOTHER = 1\n"},
        {"settings.py": ("OTHER = 1", "OTHER = 5")},
        False,
    ),
    Row("comment edited", {"stages.py": HELPER + "# a note\n"}, {"stages.py": ("# a note", "# another note, longer")}, False),
    Row(
        "docstring edited",
        {"stages.py": HELPER.replace("def _clean(text):\n", 'def _clean(text):\n    """Tidy."""\n')},
        {"stages.py": ('"""Tidy."""', '"""Tidy the text up, more words."""')},
        False,
    ),
    Row("blank lines and formatting edited", {"stages.py": HELPER}, {"stages.py": ("return text.strip().upper()", "return (\n        text.strip()\n        .upper()\n    )\n\n\n")}, False),
    Row("local variable renamed", {"stages.py": stage("    value = text.strip()\n    return value")}, {"stages.py": ("value = text.strip()\n    return value", "cleaned = text.strip()\n    return cleaned")}, True, {"stages.s": "modified"}),
    Row("unused function edited", {"stages.py": HELPER + "\ndef unused():\n    return 1\n"}, {"stages.py": ("return 1", "return 2")}, False),
    Row("class method the stage uses edited", {"stages.py": CLASS}, {"stages.py": ("text.strip() * self.times", "text.strip() * self.times + '.'")}, True, {"stages.Cleaner": "modified"}),
    Row(
        "helper moved to another module unchanged (counts as a change: the stage now uses another module)",
        {"stages.py": HELPER},
        {"stages.py": ("def _clean(text):\n    return text.strip().upper()\n", "from helpers import _clean\n"), "helpers.py": ("", "def _clean(text):\n    return text.strip().upper()\n")},
        True,
        {"stages._clean": "removed", "helpers._clean": "added"},
    ),
    Row(
        "lambda assigned at module level edited",
        {"stages.py": stage("    return square(text.strip())", before="square = lambda t: t * 2\n")},
        {"stages.py": ("t * 2", "t * 3")},
        True,
        {"stages.square": "modified"},
    ),
    Row("recursive helper edited", {"stages.py": RECURSIVE}, {"stages.py": ("n * fact(n - 1)", "n * fact(n - 1) + 0")}, True, {"stages.fact": "modified"}),
    Row("mutually recursive helpers edited", {"stages.py": MUTUAL}, {"stages.py": ("False if n == 0", "bool(0) if n == 0")}, True, {"stages.is_odd": "modified"}),
    Row(
        "helper next to the stage in a pipeline.py-style module edited",
        {"pipeline.py": HELPER},
        {"pipeline.py": (".upper()", ".title()")},
        True,
        {"pipeline._clean": "modified"},
        module="pipeline",
    ),
    Row("decorator edited", {"stages.py": DECORATED}, {"stages.py": (".upper()", ".lower()")}, True, {"stages.shout": "modified"}),
    Row("functools.partial arguments edited", {"stages.py": PARTIAL}, {"stages.py": ("width=8", "width=9")}, True, {"stages._pad": "modified"}),
    Row("functools.partial target edited", {"stages.py": PARTIAL}, {"stages.py": ("'.')", "'-')")}, True, {"stages.pad": "modified"}),
    Row("loader class in the signature edited", {"stages.py": LOADER}, {"stages.py": ("'\\n'.join(value)", "'\\n'.join(value) + '\\n'")}, True, {"stages.Lines": "modified"}),
    Row("StageParams method edited", {"stages.py": PARAMS}, {"stages.py": ("self.times + 1", "self.times + 2")}, True, {"stages.P": "modified"}),
    Row("standard-library call changed to another (only the stage's own code counts)", {"stages.py": stage("    return json.dumps(text)", before="import json\n")}, {"stages.py": ("json.dumps(text)", "json.dumps(text, indent=1)")}, True, {"stages.s": "modified"}),
]


def _apply(root: pathlib.Path, edits: dict[str, tuple[str, str] | None]) -> None:
    for rel, edit in edits.items():
        path = root / rel
        if edit is None:
            path.unlink()
            continue
        old, new = edit
        text = path.read_text() if path.exists() else ""
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1) if old else new)


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_code_change_matrix(row: Row, project, pivot):
    pipeline = f"stages:\n  s:\n    python: {row.module}.s\n"
    root = project({**row.files, "in.txt": "ab\n", "pivot.yaml": pipeline})
    first = pivot("run", "--executor", "inprocess")  # setup: the pool is not what this tests
    assert first.exit_code == 0, first.output
    _apply(root, row.edits)
    explained = pivot("explain", "--json")
    assert explained.exit_code == 0, explained.output
    [decision] = json.loads(explained.output)
    named = {change["name"]: change["change"] for change in decision["code_changes"]}
    assert decision["will_run"] is row.reruns, named
    assert named == row.changes
    if row.reruns:
        assert decision["reasons"] == ["Code changed"]


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
@pytest.mark.parametrize("row", [r for r in ROWS if r.id in ("constant edited", "comment edited")], ids=lambda r: r.id)
def test_run_does_what_explain_said(row: Row, project, pivot):
    """The matrix asks `explain`; `run` makes the same decision (one `decide`), shown on two rows."""
    root = project({**row.files, "in.txt": "ab\n", "pivot.yaml": f"stages:\n  s:\n    python: {row.module}.s\n"})
    assert pivot("run").exit_code == 0
    _apply(root, row.edits)
    again = pivot("run")
    assert again.exit_code == 0, again.output
    assert ("s: running (Code changed)" in again.output) is row.reruns, again.output


def test_explain_names_each_change_with_its_location(project, pivot):
    root = project({"stages.py": HELPER, "in.txt": "ab\n", "pivot.yaml": "stages:\n  s:\n    python: stages.s\n"})
    assert pivot("run").exit_code == 0
    (root / "stages.py").write_text(HELPER.replace(".upper()", ".lower()"))
    result = pivot("explain")
    assert result.exit_code == 0, result.output
    assert "  Reason: Code changed\n" in result.output
    assert "  Code changes:\n    stages._clean (stages.py:3): modified\n" in result.output


def test_the_lock_stores_the_manifest_of_every_part(project, pivot):
    root = project({"stages.py": RECURSIVE, "in.txt": "ab\n", "pivot.yaml": "stages:\n  s:\n    python: stages.s\n"})
    assert pivot("run").exit_code == 0
    lock = (root / ".pivot" / "stages" / "s.lock").read_text()
    assert "stages.fact:" in lock and "stages.s:" in lock
    assert "json" not in lock  # the standard library is not walked


FINGERPRINT = """
import json, sys
from pivot.base import project
from pivot.declare import discovery
loaded = discovery.load(project.Project(project.find_root()))
fp = loaded.fingerprints["s"]
print(json.dumps({"digest": fp.digest, "manifest": dict(fp.manifest)}))
"""


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_fingerprints_are_identical_across_processes_and_hash_seeds(project):
    files = {
        "stages.py": stage(
            "    return str(sorted(TAGS)) + str(TABLE) + helpers.clean(text)",
            before="import helpers\nTAGS = {'x', 'y', 'z', 'w'}\nTABLE = {'b': 1, 'a': 2}\n",
        ),
        "helpers.py": "KEYS = frozenset({'p', 'q', 'r'})\n\ndef clean(t):\n    return t.strip() + str(sorted(KEYS))\n",
        "in.txt": "ab\n",
        "pivot.yaml": "stages:\n  s:\n    python: stages.s\n",
    }
    root = project(files)
    outputs = []
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", FINGERPRINT], cwd=root, env=env, capture_output=True, text=True, check=True)
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1] == outputs[2]
    assert set(outputs[0]["manifest"]) == {"stages.s", "stages.TAGS", "stages.TABLE", "helpers.clean", "helpers.KEYS"}


def test_a_stage_function_from_outside_the_project_is_still_fingerprinted(tmp_path):
    from pivot.code import fingerprint

    (tmp_path / "proj").mkdir()
    fp = fingerprint.of(json.dumps, relative_to=str(tmp_path / "proj"))
    assert list(fp.manifest) == ["json.dumps"]
