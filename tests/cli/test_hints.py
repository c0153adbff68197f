"""The commands that hints suggest are real commands: each test follows one hint as a user would,
copying the command out of the message, and checks that it works."""

from __future__ import annotations

import re
import shlex
import shutil

from conftest import TRAIN_STAGES

PIPELINE = "stages:\n  train:\n    python: stages.train\n"


def suggested(text: str) -> list[list[str]]:
    """Each `pivot ...` command quoted in the text, split into arguments."""
    return [shlex.split(command)[1:] for command in re.findall(r"'(pivot [^']+)'", text)]


def hint_commands(text: str) -> list[list[str]]:
    """The commands a `hint:` line suggests; they end at a comma ("..., or add -f")."""
    hint = text.split("hint: ", 1)[1].splitlines()[0]
    return [shlex.split(command) for command in re.findall(r"pivot ([^,]+)", hint)]


def test_checkout_of_an_output_missing_from_the_cache_names_a_command_that_remakes_it(project, pivot):
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    shutil.rmtree(root / ".pivot" / "cache" / "files")
    (root / "model.txt").unlink()
    broken = pivot("checkout")
    assert broken.exit_code == 1
    assert "stage:train" not in broken.output  # the internal tag is no command
    commands = suggested(broken.output)
    assert commands == [["pull"], ["run", "-f", "train"]], broken.output
    assert pivot(*commands[1], "--executor", "inprocess").exit_code == 0
    assert pivot("checkout").exit_code == 0
    assert (root / "model.txt").exists()


def test_a_tracked_file_missing_from_the_cache_names_pivot_track(project, pivot):
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    assert pivot("track", "data.txt").exit_code == 0
    shutil.rmtree(root / ".pivot" / "cache" / "files")
    (root / "data.txt").unlink()
    broken = pivot("checkout")
    assert broken.exit_code == 1
    commands = suggested(broken.output)
    assert commands == [["pull"], ["track", "data.txt"]], broken.output
    (root / "data.txt").write_text("rows\n")  # found again elsewhere: tracking it is the way back
    assert pivot(*commands[1]).exit_code == 0
    assert pivot("checkout").exit_code == 0


def test_the_no_default_remote_hint_sets_one(project, pivot, tmp_path):
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    for name in ("a", "b"):
        assert pivot("remote", "add", name, str(tmp_path / name)).exit_code == 0
    refused = pivot("push")
    assert refused.exit_code == 2
    [command] = hint_commands(refused.output)
    assert command == ["remote", "default", "NAME"]
    assert pivot(*command[:-1], "a").exit_code == 0
    assert pivot("push").exit_code == 0


def test_the_no_remote_hint_adds_one(project, pivot, tmp_path):
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    refused = pivot("push")
    assert refused.exit_code == 2
    [command] = hint_commands(refused.output)
    assert command[:-1] == ["remote", "add", "-d", "origin"]
    assert pivot(*command[:-1], str(tmp_path / "shared")).exit_code == 0
    assert pivot("push").exit_code == 0


def test_the_remote_exists_hint_modifies_its_url(project, pivot, tmp_path):
    project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": PIPELINE})
    assert pivot("remote", "add", "a", str(tmp_path / "one")).exit_code == 0
    refused = pivot("remote", "add", "a", str(tmp_path / "two"))
    assert refused.exit_code == 2
    [command] = hint_commands(refused.output)
    assert pivot(*command).exit_code == 0
    assert str(tmp_path / "two") in pivot("remote", "list").output
