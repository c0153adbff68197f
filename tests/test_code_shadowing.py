"""No false code dependencies: a name a stage binds itself (a parameter, a local, a loop, with or
except target, a comprehension variable, ...) is not the module-level function of the same name.

Each stage sits next to a module-level `def train`; editing `train` must not rerun the stage, and
`pivot explain` must not blame it. A genuine use of `train` elsewhere in the same code still counts.
"""

from __future__ import annotations

import json

import pytest

RUN = ("run", "--executor", "inprocess")
HEAD = "import types\nfrom typing import Annotated\nfrom pivot import loaders, outputs\n\n"
TRAIN = "def train(t):\n    return t.upper()\n\n\nmodel = 'm'\n\n\n"
OUT = 'Annotated[str, outputs.Out("out.txt", loaders.Text())]'


def _stages(body: str, *, param: str = "text", before: str = "") -> str:
    dep = f'{param}: Annotated[str, outputs.Dep("in.txt", loaders.Text())]'
    return f"{HEAD}{TRAIN}{before}def s({dep}) -> {OUT}:\n{body}\n"


SHADOWED = {
    "parameter": _stages("    return train.strip()", param="train"),
    "local variable": _stages("    train = text.strip()\n    return train"),
    "tuple assignment target": _stages("    train, other = text.strip(), 1\n    return train * other"),
    "annotated and augmented assignment": _stages("    train: str = text.strip()\n    train += '!'\n    return train"),
    "for-loop target": _stages("    out = ''\n    for train in text.strip():\n        out += train\n    return out"),
    "with-as target": _stages("    with open('in.txt') as train:\n        return train.read().strip()"),
    "except-as name": _stages("    try:\n        raise ValueError(text.strip())\n    except ValueError as train:\n        return str(train)"),
    "list comprehension variable": _stages("    return ''.join([train for train in text.strip()])"),
    "dict comprehension and generator variables": _stages(
        "    keys = {train: 1 for train in text.strip()}\n    return ''.join(train for train in keys)"
    ),
    "lambda argument": _stages("    f = lambda train: train.strip()\n    return f(text)"),
    "parameter of a nested function": _stages("    def inner(train):\n        return train.strip()\n    return inner(text)"),
    "nonlocal in a nested function": _stages(
        "    train = ''\n    def inner():\n        nonlocal train\n        train = text.strip()\n    inner()\n    return train"
    ),
    "walrus target": _stages("    if (train := text.strip()):\n        return train\n    return ''"),
    "import inside the function": _stages("    import string as train\n    return text.strip() + train.digits[:1]"),
    "function defined inside the stage": _stages("    def train(t):\n        return t.strip()\n    return train(text)"),
    "match capture": _stages("    match text.strip():\n        case train:\n            return train"),
    "attribute and keyword argument": _stages("    return types.SimpleNamespace(train=text.strip()).train"),
    "parameter of a helper the stage calls": _stages(
        "    return _clean(text)", before="def _clean(train):\n    return train.strip()\n\n\n"
    ),
    "method parameter and class attribute": _stages(
        "    return Box().apply(text)",
        before="class Box:\n    train = 'x'\n\n    def apply(self, train):\n        return train.strip() + self.train\n\n\n",
    ),
    "loop variable named like a module-level constant": _stages(
        "    out = ''\n    for model in text.strip():\n        out += model\n    return out"
    ),
}
EDITS = {"train": ("t.upper()", "t.lower()"), "model": ("model = 'm'", "model = 'n'")}


def _run_then_edit(project, pivot, source: str, edit: tuple[str, str]) -> dict:
    root = project({"stages.py": source, "in.txt": "ab\n", "pivot.yaml": "stages:\n  s:\n    python: stages.s\n"})
    first = pivot(*RUN)
    assert first.exit_code == 0, first.output
    (root / "stages.py").write_text(source.replace(*edit))
    explained = pivot("explain", "--json")
    assert explained.exit_code == 0, explained.output
    [decision] = json.loads(explained.output)
    return decision


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
@pytest.mark.parametrize("kind", list(SHADOWED))
def test_a_name_the_stage_binds_is_not_the_module_function(kind, project, pivot):
    edit = EDITS["model" if "constant" in kind else "train"]
    decision = _run_then_edit(project, pivot, SHADOWED[kind], edit)
    assert decision["code_changes"] == [] and not decision["will_run"], decision
    assert "stages.train" not in pivot("explain").output
    assert "s: up to date" in pivot(*RUN).output


GENUINE = {
    "a call next to a lambda whose argument shadows it": _stages("    f = lambda train: train.strip()\n    return f(train(text))"),
    "a call in a function declaring it global": _stages("    global train\n    return train(text)"),
    "a call in the first iterable of a comprehension that rebinds it": _stages(
        "    return ''.join([train for train in train(text)])"
    ),
    "a call from a helper while the stage's parameter shadows it": _stages(
        "    return _shout(train)", param="train", before="def _shout(t):\n    return train(t)\n\n\n"
    ),
    "a call in a comprehension in a class body that binds the name": _stages(
        "    return text.strip() + Conf.values[0]",
        before="class Conf:\n    train = 'x'\n    values = [train(c) for c in 'ab']\n\n\n",
    ),
    "a default argument evaluated outside the function": _stages(
        "    def inner(t, fn=train):\n        return fn(t)\n    return inner(text)"
    ),
}


@pytest.mark.parametrize("kind", list(GENUINE))
def test_a_genuine_use_of_the_module_function_still_counts(kind, project, pivot):
    decision = _run_then_edit(project, pivot, GENUINE[kind], EDITS["train"])
    assert decision["will_run"], decision
    assert {c["name"]: c["change"] for c in decision["code_changes"]} == {"stages.train": "modified"}
    assert "s: running (Code changed)" in pivot(*RUN).output


FEATURIZE = f'''{HEAD}
def _fit(t):
    return t.upper()


def featurize(train: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> Annotated[str, outputs.Out("features.txt", loaders.Text())]:
    return train.strip()


def train(features: Annotated[str, outputs.Dep("features.txt", loaders.Text())]) -> {OUT}:
    return _fit(features)
'''


def test_a_stage_parameter_named_like_another_stage_does_not_tie_their_code(project, pivot):
    """The report's case: featurize(train: ...) next to the stage train; editing train's helper
    reruns train only, and explain blames nothing in featurize."""
    root = project({"stages.py": FEATURIZE, "in.txt": "ab\n",
                    "pivot.yaml": "stages:\n  featurize:\n    python: stages.featurize\n  train:\n    python: stages.train\n"})
    assert pivot(*RUN).exit_code == 0
    (root / "stages.py").write_text(FEATURIZE.replace("t.upper()", "t.lower()"))
    decisions = {d["stage"]: d for d in json.loads(pivot("explain", "--json").output)}
    assert not decisions["featurize"]["will_run"] and decisions["featurize"]["code_changes"] == []
    assert [c["name"] for c in decisions["train"]["code_changes"]] == ["stages._fit"]
    result = pivot(*RUN)
    assert "featurize: up to date" in result.output and "train: running (Code changed)" in result.output, result.output
    assert (root / "out.txt").read_text() == "ab"
