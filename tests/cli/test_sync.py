"""push, fetch, pull and checkout through the CLI with a directory remote, across two git clones."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest
from conftest import assert_clean_error

STAGES = '''
import pathlib
from typing import Annotated, TypedDict
from pivot import loaders, outputs


class Split(TypedDict):
    parts: Annotated[pathlib.Path, outputs.Out("parts", loaders.PathOnly())]
    total: Annotated[dict, outputs.Metric("total.json")]


def split(text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Split:
    out = pathlib.Path("parts")
    out.mkdir()
    for i, word in enumerate(text.split()):
        (out / f"{i}.txt").write_text(word)
    return {"parts": out, "total": {"words": len(text.split())}}


def shout(word: Annotated[str, outputs.Dep("parts/0.txt", loaders.Text())]) -> Annotated[str, outputs.Out("loud.txt", loaders.Text())]:
    return word.upper()
'''

PIPELINE = "stages:\n  split:\n    python: stages.split\n  shout:\n    python: stages.shout\n"


def git(root: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def files_of(root: pathlib.Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and ".pivot" not in p.parts and "__pycache__" not in p.parts
    }


@pytest.fixture
def shared(tmp_path, monkeypatch):
    monkeypatch.setenv("PIVOT_RUN_CACHE_KEY", "the-team-key-0123456789")  # run-cache entries travel too
    return tmp_path / "shared-cache"


SIGNED = "Run cache: entries signed and checked with key id"


@pytest.fixture
def pushed(project, pivot, shared):
    """A project that ran, pushed to a directory remote, and committed everything git should hold."""
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "input.txt": "alpha beta gamma"})
    git(root, "init", "-q")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert pivot("remote", "add", "-d", "origin", str(shared)).exit_code == 0
    (root / ".gitignore").write_text("parts/\nloud.txt\n")
    pushed = pivot("push")
    assert pushed.exit_code == 0, pushed.output
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "run")
    return root, pushed.output


def test_push_reports_what_it_sent_and_a_second_push_sends_nothing(pushed, pivot):
    _, first = pushed
    # parts (manifest + 3 files) and loud.txt, plus total.json for the run cache's entry of split
    assert "Pushed 6 files" in first and "to origin" in first and "0 already there" in first
    assert "Pushed 2 run-cache entries to origin, 0 already there" in first
    again = pivot("push")
    assert again.exit_code == 0
    assert "Pushed 0 files" in again.output and "6 already there" in again.output
    assert "Pushed 0 run-cache entries to origin, 2 already there" in again.output


def test_a_clone_pulls_identical_outputs_and_runs_nothing(pushed, pivot, tmp_path, monkeypatch):
    root, _ = pushed
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, capture_output=True)
    monkeypatch.chdir(clone)
    assert not (clone / "parts").exists()
    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    assert "Restored 2 outputs" in pulled.output
    assert files_of(clone) == files_of(root)
    noop = pivot("run", "--executor", "inprocess")
    assert noop.exit_code == 0
    assert "0 ran, 2 skipped" in noop.output


def test_checkout_restores_deleted_outputs_and_protects_unsaved_edits(pushed, pivot):
    root, _ = pushed
    (root / "loud.txt").unlink()
    (root / "parts" / "1.txt").write_text("edited by hand")
    refused = pivot("checkout")
    assert refused.exit_code == 1
    # issue 13: the same wording as run/explain, saying it is the user's edit that is not cached
    assert "parts was edited by hand (its content is not in the cache): kept; 'pivot checkout -f'" in refused.output
    assert (root / "loud.txt").read_text() == "ALPHA"  # what could be restored, was
    forced = pivot("checkout", "-f")
    assert forced.exit_code == 0
    assert (root / "parts" / "1.txt").read_text() == "beta"


def test_fetch_fills_an_empty_cache_and_verifies_objects(pushed, pivot, shared):
    root, _ = pushed
    import shutil

    shutil.rmtree(root / ".pivot" / "cache")
    fetched = pivot("fetch")
    assert fetched.exit_code == 0, fetched.output
    assert "Fetched 5 files" in fetched.output
    # Corrupt one object on the remote, empty the cache again: the bad object is refused.
    victim = next(p for p in (shared / "files").rglob("*") if p.is_file() and p.read_bytes() == b"beta")
    os.chmod(victim, 0o644)
    victim.write_bytes(b"tampered")
    shutil.rmtree(root / ".pivot" / "cache")
    refused = pivot("fetch")
    assert refused.exit_code == 1
    oid = victim.parent.name + victim.name
    # The tampered member is refused, and so its directory is reported incomplete too.
    assert "2 objects failed" in refused.output
    assert oid in refused.output and "directory incomplete" in refused.output
    assert not (root / ".pivot/cache/files" / oid[:2] / oid[2:]).exists()


def test_without_a_remote_the_error_says_how_to_add_one(project, pivot):
    project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "input.txt": "a"})
    assert_clean_error(pivot("push"), "no remote configured", "pivot remote add -d")
    assert_clean_error(pivot("push", "-r", "orign"), "orign")


def test_unknown_stage_is_exit_2(pushed, pivot):
    assert_clean_error(pivot("push", "splitt"), "unknown stage 'splitt'", "did you mean 'split'")


def test_status_remote_lists_what_push_and_pull_would_move(pushed, pivot, shared):
    root, _ = pushed
    assert pivot("status", "--remote").output.startswith(f"Remote origin: 0 to push, 0 to pull\n{SIGNED}")
    (root / "input.txt").write_text("delta epsilon")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    plan = json.loads(pivot("status", "--remote", "--json").output)
    assert plan.pop("run_cache")["mode"] == "signed"
    assert plan == {"remote": "origin", "push": ["loud.txt", "parts"], "pull": [], "missing": []}
    import shutil

    pivot("push")
    shutil.rmtree(root / ".pivot" / "cache")
    text = pivot("status", "-r", "origin").output
    assert text.splitlines()[:-1] == ["Remote origin: 0 to push, 2 to pull", "  to pull: loud.txt", "  to pull: parts"]
    assert text.splitlines()[-1].startswith(SIGNED)


def test_a_corrupted_manifest_in_the_cache_is_removed_so_pull_can_repair_it(pushed, pivot):
    root, _ = pushed
    manifest = next((root / ".pivot/cache/files").glob("*/*.dir"))
    os.chmod(manifest, 0o644)
    manifest.write_text('[["0.txt","' + "0" * 32 + '",5]]')
    import shutil

    shutil.rmtree(root / "parts")
    broken = pivot("checkout")
    assert broken.exit_code == 1
    assert "parts: not in the local cache (run 'pivot pull'" in broken.output
    assert not manifest.exists()  # the corrupt manifest is gone, not taken as good
    repaired = pivot("pull")
    assert repaired.exit_code == 0, repaired.output
    assert (root / "parts" / "1.txt").read_text() == "beta"


def _packed_project(project, pivot, shared, words=40):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "input.txt": " ".join(f"w{i}" for i in range(words))})
    git(root, "init", "-q")
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    assert pivot("remote", "add", "-d", "origin", str(shared)).exit_code == 0
    (root / ".gitignore").write_text("parts/\nloud.txt\n")
    return root


def _remote_files(shared):
    return [p for p in (shared / "files").rglob("*") if p.is_file()]


def test_many_small_files_go_up_in_a_pack_and_a_clone_pulls_them(project, pivot, shared, tmp_path, monkeypatch):
    root = _packed_project(project, pivot, shared)
    pushed = pivot("push")
    assert pushed.exit_code == 0, pushed.output
    # 40 parts, their manifest, loud.txt, and the metric's copy that the run-cache entries name
    assert "Pushed 43 files" in pushed.output
    assert len(_remote_files(shared)) == 3  # the manifest, loud.txt, the metric; the parts are in the pack
    assert len([p for p in (shared / "packs").iterdir() if p.is_file()]) == 1
    assert len(list((shared / "packs" / "dirs").iterdir())) == 1
    assert pivot("status", "--remote").output.startswith(f"Remote origin: 0 to push, 0 to pull\n{SIGNED}")
    assert "Would push 0 objects" in pivot("push", "--dry-run").output
    verified = pivot("push", "--verify")
    assert verified.exit_code == 0 and "Pushed 0 files" in verified.output and "43 already there" in verified.output
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "run")

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, capture_output=True)
    monkeypatch.chdir(clone)
    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    # The locks' 42 objects; a clean clone plans no recorded runs (that needs the stages' code), so
    # the run-cache copy of the git-tracked metric stays on the remote.
    assert "Fetched 42 files" in pulled.output and "Restored 2 outputs" in pulled.output
    assert files_of(clone) == files_of(root)


def test_pack_false_turns_packs_off_and_a_bad_value_is_exit_2(project, pivot, shared):
    root = _packed_project(project, pivot, shared)
    assert pivot("remote", "modify", "origin", "pack", "false").exit_code == 0
    pushed = pivot("push")
    assert pushed.exit_code == 0 and "Pushed 43 files" in pushed.output
    assert len(_remote_files(shared)) == 43 and not (shared / "packs").exists()

    assert_clean_error(pivot("remote", "modify", "origin", "pack", "maybe"), "remotes.origin.pack", "true or false")
    config = root / ".pivot" / "config.yaml"
    text = config.read_text().replace("pack: false", "pack: maybe")
    config.write_text(text)
    line = next(number for number, row in enumerate(text.splitlines(), 1) if "pack: maybe" in row)
    assert_clean_error(pivot("push"), f".pivot/config.yaml:{line}", "remotes.origin.pack", "true or false")


def test_a_checksum_setting_that_is_neither_kind_is_exit_2_and_nothing_moves(project, pivot, shared):
    _packed_project(project, pivot, shared)
    assert pivot("remote", "modify", "origin", "request_checksum_calculation", "sometimes").exit_code == 0
    assert_clean_error(pivot("push"), "remote 'origin'", "request_checksum_calculation", "'sometimes'", "when_required")
    assert not (shared / "files").exists()
    assert pivot("remote", "modify", "origin", "request_checksum_calculation", "when_required").exit_code == 0
    assert pivot("push").exit_code == 0


def test_fetch_refuses_a_damaged_file_in_a_pack_and_exits_1(project, pivot, shared):
    root = _packed_project(project, pivot, shared)
    assert pivot("push").exit_code == 0
    (pack,) = [p for p in (shared / "packs").iterdir() if p.is_file()]
    data = bytearray(pack.read_bytes())
    length = int.from_bytes(data[8:16], "big")
    header = json.loads(data[16 : 16 + length])
    victim = (root / "parts" / "7.txt").read_bytes()
    oid = next(oid for oid, (offset, size) in header.items() if data[16 + length + offset : 16 + length + offset + size] == victim)
    offset = header[oid][0]
    data[16 + length + offset] ^= 0xFF
    os.chmod(pack, 0o644)
    pack.write_bytes(bytes(data))
    import shutil

    shutil.rmtree(root / ".pivot" / "cache")
    refused = pivot("fetch")
    assert refused.exit_code == 1
    assert oid in refused.output and "corrupted" in refused.output and "directory incomplete" in refused.output
    assert not (root / ".pivot/cache/files" / oid[:2] / oid[2:]).exists()
    cached = [p for p in (root / ".pivot/cache/files").rglob("*") if p.is_file()]
    assert len(cached) == 40  # 39 parts and loud.txt; neither the damaged file nor the manifest
