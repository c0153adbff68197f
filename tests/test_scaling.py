"""Pipelines with thousands of stages in one generated module: fingerprinting stays linear in the
module's size, and an edit to one function still reruns exactly its stage and what follows it."""

from __future__ import annotations

import pathlib
import sys

import pytest

from pivot.code import source as codesource

HEAD = '''\
from typing import Annotated, TypedDict

from pivot import loaders, outputs


class StepOut(TypedDict):
    dst: Annotated[str, outputs.Out("out.txt", loaders.Text())]
'''


def _step(c: int, s: int, body: str = "step") -> str:
    return (
        f'\n\ndef step_{c}_{s}(src: Annotated[str, outputs.Dep("in.txt", loaders.Text())]) -> StepOut:\n'
        f'    return {{"dst": src + "{body} {s}\\n"}}\n'
    )


def _generate(root: pathlib.Path, chains: int, length: int = 10) -> None:
    """`chains` chains of `length` stages, every stage its own function in one stages.py."""
    (root / "data").mkdir(exist_ok=True)
    yaml = ["stages:"]
    source = [HEAD]
    for c in range(chains):
        (root / f"data/c{c}_s0.txt").write_text(f"root {c}\n")
        for s in range(1, length + 1):
            source.append(_step(c, s))
            yaml += [
                f"  c{c}_s{s}:", f"    python: stages.step_{c}_{s}",
                f"    deps:\n      src: data/c{c}_s{s - 1}.txt", f"    outs:\n      dst: data/c{c}_s{s}.txt",
            ]
    (root / "stages.py").write_text("".join(source))
    (root / "pivot.yaml").write_text("\n".join(yaml) + "\n")


@pytest.mark.slow
def test_an_edit_to_one_function_of_many_reruns_only_its_chain(project, pivot):
    root = project({})
    _generate(root, chains=40)
    first = pivot("run", "-j2")
    assert first.exit_code == 0, first.output
    assert "400 ran" in first.output
    stages = root / "stages.py"
    # A later redefinition of step_7_4 is the one bound at run time: it is what counts.
    stages.write_text(stages.read_text() + _step(7, 4, body="redefined"))
    again = pivot("run", "-j2")
    assert again.exit_code == 0, again.output
    assert "7 ran, 393 skipped" in again.output, again.output
    assert (root / "data/c7_s4.txt").read_text() == "root 7\nstep 1\nstep 2\nstep 3\nredefined 4\n"
    assert (root / "data/c8_s4.txt").read_text() == "root 8\nstep 1\nstep 2\nstep 3\nstep 4\n"


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_status_of_a_generated_module_grows_linearly_with_its_functions(project, pivot):
    """Looking up each stage's function used to flatten the whole module per lookup: 10x the
    functions cost 100x the work. Counted as statements flattened (not timed: a busy machine
    must not fail it), 10x the functions must cost about 10x, never near 100x."""
    root = project({})

    def flattened(chains: int) -> int:
        _generate(root, chains)
        calls = 0

        def count(frame, event, arg):  # type: ignore[no-untyped-def]
            nonlocal calls
            if event == "call" and frame.f_code is codesource._flatten.__code__:
                calls += 1

        sys.setprofile(count)
        try:
            result = pivot("status")
        finally:
            sys.setprofile(None)
        assert result.exit_code == 0, result.output
        return calls

    small, big = flattened(3), flattened(30)
    assert small > 0
    assert big <= 15 * small, (small, big)  # linear: ~10x; flattening per lookup: ~100x
