"""When a stage runs, is skipped, or has its outputs restored from the cache (through the real CLI)."""

from __future__ import annotations

import pathlib
import shutil

from conftest import COUNT_RUNS, runs

STAGES = '''
import pathlib
from typing import Annotated

from pivot import loaders, outputs
from pivot.stage_def import StageParams

''' + COUNT_RUNS + '''


class Params(StageParams):
    factor: int = 2


def double(
    params: Params, text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]
) -> Annotated[str, outputs.Out("doubled.txt", loaders.Text())]:
    _count("double")
    return text.strip() * params.factor
'''

PIPELINE = "stages:\n  double:\n    python: stages.double\n"
# Decisions, not the pool, are under test here (tests/executor/test_parallel.py and
# test_failures.py run the real pool): stages run in this process, which is much faster.
RUN = ("run", "--executor", "inprocess")


def setup(project, pivot) -> pathlib.Path:
    root = project({"stages.py": STAGES, "input.txt": "ab\n", "pivot.yaml": PIPELINE})
    first = pivot(*RUN)
    assert first.exit_code == 0, first.output
    assert "double: running (Never run)" in first.output
    assert "1 ran, 0 skipped, 0 failed in" in first.output
    assert runs(root, "double") == 1
    assert (root / "doubled.txt").read_text() == "abab"
    return root


def test_never_run_then_up_to_date(project, pivot):
    root = setup(project, pivot)
    again = pivot(*RUN)
    assert again.exit_code == 0, again.output
    assert "double: up to date" in again.output
    assert "0 ran, 1 skipped, 0 failed in" in again.output
    assert runs(root, "double") == 1


def test_forced(project, pivot):
    root = setup(project, pivot)
    forced = pivot(*RUN, "-f")
    assert forced.exit_code == 0, forced.output
    assert "double: running (Forced)" in forced.output
    assert runs(root, "double") == 2


def test_code_change(project, pivot):
    root = setup(project, pivot)
    (root / "stages.py").write_text(STAGES.replace("text.strip() * params.factor", "text.strip() * params.factor + '!'"))
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert "double: running (Code changed)" in result.output
    assert runs(root, "double") == 2
    assert (root / "doubled.txt").read_text() == "abab!"


HELPER_STAGES = '''
from typing import Annotated

from pivot import loaders, outputs

SUFFIX = "!"


def _decorate(text):
    return text + SUFFIX


def shout(text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Annotated[str, outputs.Out("loud.txt", loaders.Text())]:
    return _decorate(text.strip().upper())
'''


def test_change_in_a_helper_or_constant_the_stage_uses_reruns_it(project, pivot):
    root = project({"stages.py": HELPER_STAGES, "input.txt": "ab\n", "pivot.yaml": "stages:\n  shout:\n    python: stages.shout\n"})
    assert pivot(*RUN).exit_code == 0
    assert (root / "loud.txt").read_text() == "AB!"

    (root / "stages.py").write_text(HELPER_STAGES.replace('SUFFIX = "!"', 'SUFFIX = "?"'))
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert "shout: running (Code changed)" in result.output
    assert (root / "loud.txt").read_text() == "AB?"

    (root / "stages.py").write_text(HELPER_STAGES.replace('SUFFIX = "!"', 'SUFFIX = "?"').replace("text + SUFFIX", "SUFFIX + text"))
    result = pivot(*RUN)
    assert "shout: running (Code changed)" in result.output
    assert (root / "loud.txt").read_text() == "?AB"


def test_params_change(project, pivot):
    root = setup(project, pivot)
    (root / "pivot.yaml").write_text(PIPELINE + "    params:\n      factor: 3\n")
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert "double: running (Parameters changed)" in result.output
    assert (root / "doubled.txt").read_text() == "ababab"
    assert runs(root, "double") == 2


def test_dep_change(project, pivot):
    root = setup(project, pivot)
    (root / "input.txt").write_text("cd\n")
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert "double: running (Dependencies changed)" in result.output
    assert (root / "doubled.txt").read_text() == "cdcd"
    assert runs(root, "double") == 2


def test_output_declaration_change(project, pivot):
    root = setup(project, pivot)
    (root / "pivot.yaml").write_text(PIPELINE + "    outs:\n      return: renamed.txt\n")
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert "double: running (Output declarations changed)" in result.output
    assert (root / "renamed.txt").read_text() == "abab"
    assert runs(root, "double") == 2


def test_missing_output_is_restored_not_run(project, pivot):
    root = setup(project, pivot)
    before = (root / "doubled.txt").read_bytes()
    (root / "doubled.txt").unlink()
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert "double: up to date (restored doubled.txt from the cache)" in result.output
    assert "0 ran, 1 skipped, 0 failed in" in result.output
    assert runs(root, "double") == 1
    assert (root / "doubled.txt").read_bytes() == before


def test_hand_edited_output_is_not_restored_over_the_stage_runs(project, pivot):
    # Issue 13 changed this: the edit used to be replaced silently by the cached version.
    root = setup(project, pivot)
    (root / "doubled.txt").write_text("tampered")
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert "double: doubled.txt was edited by hand (its content is not in the cache): the stage replaces it" in result.output
    assert runs(root, "double") == 2
    assert (root / "doubled.txt").read_text() == "abab"


def test_output_missing_from_cache_too_runs(project, pivot):
    root = setup(project, pivot)
    (root / "doubled.txt").unlink()
    shutil.rmtree(root / ".pivot" / "cache")
    result = pivot(*RUN)
    assert result.exit_code == 0, result.output
    assert "double: running (Outputs missing or modified)" in result.output
    assert runs(root, "double") == 2
    assert (root / "doubled.txt").read_text() == "abab"


CHAIN = '''
import pathlib
from typing import Annotated


from pivot import loaders, outputs

''' + COUNT_RUNS + '''


def normalize(
    text: Annotated[str, outputs.Dep("raw.txt", loaders.Text())]
) -> Annotated[str, outputs.Out("normal.txt", loaders.Text())]:
    _count("normalize")
    return " ".join(text.split()) + "\\n"


def shout(
    text: Annotated[str, outputs.Dep("normal.txt", loaders.Text())]
) -> Annotated[str, outputs.Out("loud.txt", loaders.Text())]:
    _count("shout")
    return text.upper()
'''

CHAIN_PIPELINE = "stages:\n  normalize:\n    python: stages.normalize\n  shout:\n    python: stages.shout\n"


def test_upstream_rerun_with_identical_output_lets_downstream_skip(project, pivot):
    root = project({"stages.py": CHAIN, "raw.txt": "hello   world\n", "pivot.yaml": CHAIN_PIPELINE})
    first = pivot(*RUN)
    assert first.exit_code == 0, first.output
    assert (root / "loud.txt").read_text() == "HELLO WORLD\n"

    (root / "raw.txt").write_text("  hello world \n\n")
    second = pivot(*RUN)
    assert second.exit_code == 0, second.output
    assert "normalize: running (Dependencies changed)" in second.output
    assert "shout: up to date" in second.output
    assert "1 ran, 1 skipped, 0 failed in" in second.output
    assert runs(root, "normalize") == 2
    assert runs(root, "shout") == 1


def test_upstream_rerun_with_new_output_runs_downstream(project, pivot):
    root = project({"stages.py": CHAIN, "raw.txt": "hello world\n", "pivot.yaml": CHAIN_PIPELINE})
    assert pivot(*RUN).exit_code == 0
    (root / "raw.txt").write_text("goodbye world\n")
    second = pivot(*RUN)
    assert second.exit_code == 0, second.output
    assert "2 ran, 0 skipped, 0 failed in" in second.output
    assert (root / "loud.txt").read_text() == "GOODBYE WORLD\n"


def test_dry_run_runs_nothing_and_lists_what_would_run(project, pivot):
    root = project({"stages.py": CHAIN, "raw.txt": "hello world\n", "pivot.yaml": CHAIN_PIPELINE})
    dry = pivot(*RUN, "-n")
    assert dry.exit_code == 0, dry.output
    assert "normalize  will run: Never run" in dry.output
    assert "shout" in dry.output and "will run" in dry.output.split("shout", 1)[1].splitlines()[0]
    assert not (root / "counts").exists()
    assert not (root / "normal.txt").exists()
    assert not list((root / ".pivot").glob("stages/*.lock"))

    assert pivot(*RUN).exit_code == 0
    (root / "raw.txt").write_text("hello there\n")
    dry = pivot(*RUN, "-n")
    assert dry.exit_code == 0, dry.output
    assert "normalize  will run: Dependencies changed" in dry.output
    assert "shout      will run: Upstream stage will run (normalize)" in dry.output
    assert runs(root, "normalize") == 1 and runs(root, "shout") == 1
    assert (root / "loud.txt").read_text() == "HELLO WORLD\n"
