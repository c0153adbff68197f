"""The gap suite: every way a stage's code reaches other code, each edited after a run that
followed a params.yaml change and after a plain run. `pivot explain` must name the edited part and
`pivot run` must rerun the stage, whatever the load memo (`.pivot/tmp/pipeline.memo`) and the
fingerprints reused from it remember."""

from __future__ import annotations

import dataclasses
import json
import pathlib

import pytest
from test_code_changes import _apply, stage

RUN = ("run", "--executor", "inprocess")  # the pool is not what this tests
# A second stage with a param: editing params.yaml for it makes the next load reuse fingerprints.
OTHER = (
    "from typing import Annotated\nfrom pivot import loaders, outputs\nfrom pivot.stage_def import StageParams\n\n"
    "class P(StageParams):\n    times: int = 1\n\n"
    "def p(params: P) -> Annotated[str, outputs.Out('p.txt', loaders.Text())]:\n    return 'p' * params.times\n"
)
CLEAN = "def clean(t):\n    return t.strip()\n"
EDIT_CLEAN = {"helpers.py": ("t.strip()", "t.strip().title()")}
LIB = {"lib/__init__.py": "", "lib/text.py": CLEAN}  # a package whose __init__ imports nothing
EDIT_LIB = {"lib/text.py": ("t.strip()", "t.strip().title()")}


@dataclasses.dataclass(frozen=True)
class Gap:
    id: str
    files: dict[str, str]
    edits: dict[str, tuple[str, str]]
    changed: str  # the part explain must name
    ref: str = "stages.s"


def _s(body: str, before: str = "") -> str:
    return stage(body, before=before)


GAPS = [
    Gap("lazy import", {"stages.py": _s("    import helpers\n    return helpers.clean(text)"), "helpers.py": CLEAN}, EDIT_CLEAN, "helpers.clean"),
    Gap("lazy from-import", {"stages.py": _s("    from helpers import clean\n    return clean(text)"), "helpers.py": CLEAN}, EDIT_CLEAN, "helpers.clean"),
    Gap(
        "lazy from-import of a constant",
        {"stages.py": _s("    from settings import TIMES\n    return text * TIMES"), "settings.py": "TIMES = 2\n"},
        {"settings.py": ("TIMES = 2", "TIMES = 3")},
        "settings.TIMES",
    ),
    Gap("import alias", {"stages.py": _s("    return h.clean(text)", "import helpers as h\n"), "helpers.py": CLEAN}, EDIT_CLEAN, "helpers.clean"),
    Gap("lazy import alias", {"stages.py": _s("    import helpers as h\n    return h.clean(text)"), "helpers.py": CLEAN}, EDIT_CLEAN, "helpers.clean"),
    Gap("module attribute m.f()", {"stages.py": _s("    return helpers.clean(text)", "import helpers\n"), "helpers.py": CLEAN}, EDIT_CLEAN, "helpers.clean"),
    Gap(
        "class method",
        {"stages.py": _s("    return helpers.Cleaner().apply(text)", "import helpers\n"),
         "helpers.py": "class Cleaner:\n    def apply(self, t):\n        return t.strip()\n"},
        {"helpers.py": ("t.strip()", "t.strip() + '.'")},
        "helpers.Cleaner",
    ),
    Gap(
        "staticmethod and classmethod",
        {"stages.py": _s("    return Tools.make().clean(text)", "from helpers import Tools\n"),
         "helpers.py": "class Tools:\n    @classmethod\n    def make(cls):\n        return cls()\n\n    @staticmethod\n    def clean(t):\n        return t.strip()\n"},
        {"helpers.py": ("t.strip()", "t.strip() + '.'")},
        "helpers.Tools",
    ),
    Gap(
        "project-local decorator body",
        {"stages.py": _s("    return text.strip()", "from helpers import shout\n\n@shout"),
         "helpers.py": "import functools\n\ndef shout(func):\n    @functools.wraps(func)\n    def wrapper(*a, **k):\n        return func(*a, **k).upper()\n    return wrapper\n"},
        {"helpers.py": (".upper()", ".lower()")},
        "helpers.shout",
    ),
    Gap("module constant", {"stages.py": _s("    return text + SUFFIX", 'SUFFIX = "!"\n')}, {"stages.py": ('"!"', '"?"')}, "stages.SUFFIX"),
    Gap(
        "constant computed from another constant",
        {"stages.py": _s("    return text * SIZE", "BASE = 1\nSIZE = 2 * BASE\n")},
        {"stages.py": ("BASE = 1", "BASE = 2")},
        "stages.BASE",
    ),
    Gap(
        "functools.partial target",
        {"stages.py": _s("    return _pad(text.strip())", "import functools\nfrom helpers import pad\n_pad = functools.partial(pad, width=8)\n"),
         "helpers.py": "def pad(t, width):\n    return t.ljust(width, '.')\n"},
        {"helpers.py": ("'.'", "'-'")},
        "helpers.pad",
    ),
    Gap(
        "dataclass field default factory",
        {"stages.py": _s("    return text + Cfg().tag", "import dataclasses\nfrom helpers import make_tag\n\n"
                         "@dataclasses.dataclass\nclass Cfg:\n    tag: str = dataclasses.field(default_factory=make_tag)\n"),
         "helpers.py": "def make_tag():\n    return '!'\n"},
        {"helpers.py": ("'!'", "'?'")},
        "helpers.make_tag",
    ),
    Gap(
        "pydantic model default",
        {"stages.py": _s("    return text * M().n", "import pydantic\nfrom settings import N\n\nclass M(pydantic.BaseModel):\n    n: int = N\n"),
         "settings.py": "N = 2\n"},
        {"settings.py": ("N = 2", "N = 3")},
        "settings.N",
    ),
    Gap(
        "nested helper calling a module helper",
        {"stages.py": _s("    def inner(t):\n        return _clean(t)\n    return inner(text)", "def _clean(t):\n    return t.strip()\n")},
        {"stages.py": ("return t.strip()", "return t.strip() + '.'")},
        "stages._clean",
    ),
    Gap(
        "closure made by a factory",
        {"stages.py": _s("    return clean(text)", "from helpers import make_cleaner\nclean = make_cleaner('!')\n"),
         "helpers.py": "def make_cleaner(suffix):\n    def inner(t):\n        return t.strip() + suffix\n    return inner\n"},
        {"helpers.py": ("t.strip() + suffix", "t.strip() + suffix + suffix")},
        "helpers.make_cleaner.<locals>.inner",
    ),
    Gap(
        "helper in pipeline.py",
        {"pipeline.py": (
            "from pivot.pipeline import Pipeline\n" + _s("    return _clean(text)", "def _clean(t):\n    return t.strip()\n")
            + "\npipeline = Pipeline('gaps')\npipeline.register(s)\n"
        )},
        {"pipeline.py": ("return t.strip()", "return t.strip() + '.'")},
        "pipeline._clean",
        ref="",
    ),
    Gap(
        "re-export through a package __init__",
        {"stages.py": _s("    return clean(text)", "from lib import clean\n"), **LIB, "lib/__init__.py": "from .text import clean\n"},
        EDIT_LIB,
        "lib.text.clean",
    ),
    Gap(
        "re-export repointed in a package __init__",
        {"stages.py": _s("    from lib import clean\n    return clean(text)"), "lib/__init__.py": "from .text import clean\n",
         "lib/text.py": CLEAN, "lib/other.py": "def clean(t):\n    return t.strip() + '.'\n"},
        {"lib/__init__.py": ("from .text", "from .other")},
        "lib.other.clean",
    ),
    Gap("lazy from-import of a submodule", {"stages.py": _s("    from lib import text as tx\n    return tx.clean(text)"), **LIB}, EDIT_LIB, "lib.text.clean"),
    Gap(
        "relative import inside a function in a package",
        {"pkg/__init__.py": "", "pkg/stages.py": _s("    from .helpers import clean\n    return clean(text)"), "pkg/helpers.py": CLEAN},
        {"pkg/helpers.py": ("t.strip()", "t.strip().title()")},
        "pkg.helpers.clean",
        ref="pkg.stages.s",
    ),
    Gap(
        "helper of a helper, imported lazily two hops away",
        {"stages.py": _s("    from helpers import clean\n    return clean(text)"),
         "helpers.py": "def clean(t):\n    from deeper import trim\n    return trim(t)\n", "deeper.py": "def trim(t):\n    return t.strip()\n"},
        {"deeper.py": ("t.strip()", "t.strip().title()")},
        "deeper.trim",
    ),
    Gap(
        "helper used only as a default argument",
        {"stages.py": _s("    return helpers.render(text)", "import helpers\n"),
         "helpers.py": "def _upper(t):\n    return t.upper()\n\ndef render(t, fn=_upper):\n    return fn(t)\n"},
        {"helpers.py": ("t.upper()", "t.lower()")},
        "helpers._upper",
    ),
    Gap(
        "getattr with a constant name",
        {"stages.py": _s("    return getattr(helpers, 'clean')(text)", "import helpers\n"), "helpers.py": CLEAN},
        EDIT_CLEAN,
        "helpers.clean",
    ),
    Gap("lazy dotted import of a package module", {"stages.py": _s("    import lib.text\n    return lib.text.clean(text)"), **LIB}, EDIT_LIB, "lib.text.clean"),
    Gap("class attribute", {"stages.py": _s("    return text + Conf.SUFFIX", "class Conf:\n    SUFFIX = '!'\n")}, {"stages.py": ("'!'", "'?'")}, "stages.Conf"),
    Gap(
        "enum member",
        {"stages.py": _s("    return text + Color.RED.value", "import enum\n\nclass Color(enum.Enum):\n    RED = 'r'\n")},
        {"stages.py": ("'r'", "'R'")},
        "stages.Color",
    ),
]


def _setup(root_files: dict[str, str], gap: Gap, project) -> pathlib.Path:
    files = {**gap.files, **root_files, "in.txt": "ab\n", "pstage.py": OTHER}
    if gap.ref:
        files["pivot.yaml"] = f"stages:\n  s:\n    python: {gap.ref}\n  p:\n    python: pstage.p\n"
    else:  # pipeline.py registers s; p joins it there
        files["pipeline.py"] = files["pipeline.py"].replace(
            "pipeline.register(s)\n", "pipeline.register(s)\nfrom pstage import p\npipeline.register(p)\n"
        )
    return project(files)


def _before_edit(root: pathlib.Path, after: str, pivot) -> None:
    first = pivot(*RUN)
    assert first.exit_code == 0, first.output
    # The first run made .pivot/: this one writes the load memo, which the next load reads.
    assert "s: up to date" in pivot(*RUN).output
    assert (root / ".pivot" / "tmp" / "pipeline.memo").is_file()
    if after == "params":
        (root / "params.yaml").write_text("p:\n  times: 2\n")
        again = pivot(*RUN)
        assert "p: running (Parameters changed)" in again.output, again.output
        assert "s: up to date" in again.output, again.output


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
@pytest.mark.parametrize("after", ["params", "plain"])
@pytest.mark.parametrize("gap", GAPS, ids=[gap.id for gap in GAPS])
def test_an_edit_reached_by_the_stage_is_seen(gap: Gap, after: str, project, pivot):
    root = _setup({}, gap, project)
    _before_edit(root, after, pivot)
    _apply(root, gap.edits)
    explained = pivot("explain", "--json", "s")
    assert explained.exit_code == 0, explained.output
    [decision] = json.loads(explained.output)
    named = {change["name"] for change in decision["code_changes"]}
    assert decision["will_run"] and gap.changed in named, (decision["reasons"], named)
    result = pivot(*RUN)
    assert "s: running (Code changed)" in result.output, result.output
    assert "p: up to date" in result.output, result.output


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_lazily_imported_helper_edited_after_a_params_run_is_seen_by_a_fresh_process(project, pivot_proc):
    """The bug as users met it: every command a new interpreter, the memo on disk between them."""
    gap = GAPS[0]
    root = _setup({}, gap, project)
    assert pivot_proc(*RUN, cwd=root).returncode == 0
    assert "s: up to date" in pivot_proc(*RUN, cwd=root).stdout
    (root / "params.yaml").write_text("p:\n  times: 2\n")
    assert "p: running (Parameters changed)" in pivot_proc(*RUN, cwd=root).stdout
    _apply(root, gap.edits)
    explained = pivot_proc("explain", "s", cwd=root)
    assert "WILL RUN" in explained.stdout and "helpers.clean (helpers.py:1): modified" in explained.stdout, explained.stdout
    done = pivot_proc(*RUN, cwd=root)
    assert "s: running (Code changed)" in done.stdout, done.stdout + done.stderr
    assert (root / "out.txt").read_text() == "Ab"


UNSEEN = [
    ("getattr with a computed name", "    return getattr(helpers, NAME)(text)", "import helpers\nNAME = 'clean'\n"),
    ("eval", "    return eval('helpers.clean')(text)", "import helpers\n"),
    ("importlib.import_module with a computed name", "    return importlib.import_module(MOD).clean(text)", "import importlib\nMOD = 'helpers'\n"),
    ("__import__", "    return __import__('helpers').clean(text)", ""),
]


@pytest.mark.parametrize(("what", "body", "before"), UNSEEN, ids=[u[0] for u in UNSEEN])
def test_explain_says_where_an_edit_cannot_be_detected(what, body, before, project, pivot):
    line = _s(body, before).splitlines().index(body) + 1
    project({"stages.py": _s(body, before), "helpers.py": CLEAN, "in.txt": "ab\n", "pivot.yaml": "stages:\n  s:\n    python: stages.s\n"})
    assert pivot(*RUN).exit_code == 0
    text = pivot("explain", "s").output
    assert f"  Code: stages.s uses {what} (stages.py:{line}); edits reached through it are not detected\n" in text, text
    [decision] = json.loads(pivot("explain", "--json", "s").output)
    assert decision["code_unseen"] == [{"name": "stages.s", "what": what, "location": f"stages.py:{line}"}]


def test_a_stage_without_such_constructs_has_no_unseen_line(project, pivot):
    """A constant attribute name is followed like `m.f`; a computed one on a local reads data."""
    body = "    key = 'strip'\n    return getattr(text, 'strip')() + getattr(text, key)()"
    project({"stages.py": _s(body), "in.txt": "ab\n", "pivot.yaml": "stages:\n  s:\n    python: stages.s\n"})
    assert pivot(*RUN).exit_code == 0
    assert "Code:" not in pivot("explain", "s").output
