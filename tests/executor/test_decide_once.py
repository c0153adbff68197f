"""Each command decides each stage once: run, status and explain never evaluate a stage twice,
whether it runs, is up to date, is restored from the cache or from the run cache."""

from __future__ import annotations

import collections
import pathlib

import pytest
from conftest import TRAIN_STAGES, runs

from pivot.decide import status

STAGES = TRAIN_STAGES + '''

def fresh(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("fresh.txt", loaders.Text())]:
    _count("fresh")
    return data.upper()


def kept(data: Annotated[str, outputs.Dep("data.txt", loaders.Text())]) -> Annotated[str, outputs.Out("kept.txt", loaders.Text())]:
    _count("kept")
    return data + "kept"


def stale(notes: Annotated[str, outputs.Dep("notes.txt", loaders.Text())]) -> Annotated[str, outputs.Out("stale.txt", loaders.Text())]:
    _count("stale")
    return notes + "seen"
'''

STAGE_NAMES = ("train", "evaluate", "fresh", "kept", "stale")
PIPELINE = "stages:\n" + "".join(f"  {name}:\n    python: stages.{name}\n" for name in STAGE_NAMES)
WITH_LR = PIPELINE.replace("python: stages.train\n", "python: stages.train\n    params:\n      lr: 0.5\n")
RUN = ("run", "--executor", "inprocess")


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """How many times `status.decide` was evaluated per stage, from here on."""
    calls: collections.Counter[str] = collections.Counter()
    real = status.decide

    def counting(stage, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls[stage.name] += 1
        return real(stage, *args, **kwargs)

    monkeypatch.setattr(status, "decide", counting)
    return calls


def mixed(project, pivot) -> pathlib.Path:
    """train and evaluate back at inputs a recorded run had (run cache), kept.txt deleted (cache),
    notes.txt edited (runs), fresh untouched."""
    root = project({"stages.py": STAGES, "data.txt": "rows\n", "notes.txt": "a\n", "pivot.yaml": PIPELINE})
    ok(pivot(*RUN))
    (root / "pivot.yaml").write_text(WITH_LR)
    ok(pivot(*RUN))
    (root / "pivot.yaml").write_text(PIPELINE)
    (root / "kept.txt").unlink()
    (root / "notes.txt").write_text("b\n")
    return root


def test_run_decides_each_stage_once_whatever_becomes_of_it(project, pivot, counted):
    root = mixed(project, pivot)
    counted.clear()
    output = ok(pivot(*RUN))
    assert "train: restored from run cache (Parameters changed)" in output
    assert "evaluate: restored from run cache (Dependencies changed)" in output
    assert "kept: up to date (restored kept.txt from the cache)" in output
    assert "fresh: up to date" in output
    assert "stale: ran" in output
    assert dict(counted) == {name: 1 for name in STAGE_NAMES}
    assert [runs(root, name) for name in STAGE_NAMES] == [2, 2, 1, 1, 2]


@pytest.mark.parametrize("command", [("status",), ("explain",), ("run", "--dry-run")])
def test_status_explain_and_dry_run_decide_each_stage_once(project, pivot, counted, command):
    mixed(project, pivot)
    counted.clear()
    ok(pivot(*command))
    assert dict(counted) == {name: 1 for name in STAGE_NAMES}


def damage(root: pathlib.Path, content: bytes) -> None:
    """Overwrite the cached object holding `content`, as a disk fault or a stray write would."""
    damaged = 0
    for obj in (root / ".pivot" / "cache" / "files").rglob("*"):
        if obj.is_file() and obj.read_bytes() == content:
            obj.chmod(0o644)
            obj.write_bytes(b"damaged")
            damaged += 1
    assert damaged == 1


@pytest.mark.parametrize(
    ("stage", "content", "made"),
    [
        ("train", b"model(rows, lr=0.1)", ("model.txt", "model(rows, lr=0.1)")),  # behind a run-cache entry
        ("kept", b"rows\nkept", ("kept.txt", "rows\nkept")),  # behind the lock's restore
    ],
)
def test_a_damaged_object_turns_a_restore_into_a_run_without_deciding_again(project, pivot, counted, stage, content, made):
    root = mixed(project, pivot)
    damage(root, content)
    before = runs(root, stage)
    counted.clear()
    output = ok(pivot(*RUN))
    assert f"{stage}: ran" in output
    assert counted[stage] == 1
    assert runs(root, stage) == before + 1
    assert (root / made[0]).read_text() == made[1]
