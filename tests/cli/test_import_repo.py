"""Data of another project's git repository (a data registry): `pivot get --repo`, `pivot import`
and `pivot update` of what it imported, against a real registry project with a directory remote,
as DVC's `dvc get URL`, `dvc import` and `dvc update` work."""

from __future__ import annotations

import json
import pathlib
import tempfile

import pytest
from cli import revisions
from cli.revisions import commit, git
from conftest import assert_clean_error, write_files


@pytest.fixture
def registry(tmp_path, pivot, monkeypatch) -> pathlib.Path:
    """A project that tracks `data/numbers.csv` ("1..3") and the directory `data/images`, keeps
    `labels.txt` in git, and has pushed its cache to its default remote; tagged v1."""
    root = tmp_path / "registry"
    write_files(root, {"data/numbers.csv": "1\n2\n3\n", "data/images/a.png": "A", "data/images/b.png": "B", "labels.txt": "cat\n"})
    monkeypatch.chdir(root)
    git(root, "init", "-q", "-b", "main")
    for args in (("init",), ("remote", "add", "-d", "store", str(tmp_path / "store")), ("track", "data/numbers.csv", "data/images"), ("push",)):
        assert pivot(*args).exit_code == 0
    commit(root, "first data")
    git(root, "tag", "v1")
    monkeypatch.setattr(tempfile, "tempdir", str(_made(tmp_path / "system-tmp")))  # where `get --repo` clones
    return root


def _made(path: pathlib.Path) -> pathlib.Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _publish(registry: pathlib.Path, pivot, numbers: str, *, push: bool = True, tag: str | None = None) -> None:
    """A new version of data/numbers.csv in the registry, committed (and pushed, tagged)."""
    (registry / "data/numbers.csv").write_text(numbers)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(registry)
        assert pivot("track", "data/numbers.csv").exit_code == 0
        assert not push or pivot("push").exit_code == 0
    commit(registry, "new numbers")
    if tag:
        git(registry, "-c", "user.email=t@example.com", "-c", "user.name=t", "tag", "-a", tag, "-m", tag)  # annotated


@pytest.fixture
def consumer(tmp_path, pivot, monkeypatch, registry) -> pathlib.Path:
    root = _made(tmp_path / "consumer")
    monkeypatch.chdir(root)
    git(root, "init", "-q")
    assert pivot("init").exit_code == 0
    return root


def test_get_writes_files_directories_and_git_files_of_another_repository_from_anywhere(registry, pivot, monkeypatch, tmp_path):
    elsewhere = _made(tmp_path / "elsewhere")  # neither a project nor a git repository
    monkeypatch.chdir(elsewhere)
    result = pivot("get", "--repo", "../registry", "data/numbers.csv", "data/images", "labels.txt")
    assert result.exit_code == 0, result.output
    assert (elsewhere / "numbers.csv").read_text() == "1\n2\n3\n" and (elsewhere / "labels.txt").read_text() == "cat\n"
    assert sorted(p.name for p in (elsewhere / "images").iterdir()) == ["a.png", "b.png"]
    assert "../registry:data/numbers.csv -> numbers.csv (from the remote)" in result.output
    assert "../registry:labels.txt -> labels.txt (from git)" in result.output
    _publish(registry, pivot, "4\n")
    old = pivot("get", "--repo", str(registry), "--rev", "v1", "data/numbers.csv", "-o", "old.csv")
    assert old.exit_code == 0, old.output
    assert (elsewhere / "old.csv").read_text() == "1\n2\n3\n"
    for rev in (git(registry, "rev-parse", "v1").strip(), "HEAD~1"):  # a commit id, or any revision: the whole history
        by_commit = pivot("get", "--repo", "../registry", "--rev", rev, "data/numbers.csv", "-f", "-o", "old.csv")
        assert by_commit.exit_code == 0, by_commit.output
        assert (elsewhere / "old.csv").read_text() == "1\n2\n3\n"
    assert pivot("get", "--repo", "../registry", "-f", "data/numbers.csv").exit_code == 0
    assert (elsewhere / "numbers.csv").read_text() == "4\n"
    by_url = pivot("get", "--repo", registry.as_uri(), "data/numbers.csv", "-o", "by-url.csv")  # file://: a URL, one commit deep
    assert by_url.exit_code == 0, by_url.output
    assert (elsewhere / "by-url.csv").read_text() == "4\n"
    assert git(registry, "status", "--porcelain") == ""  # the registry is only read
    assert list(pathlib.Path(tempfile.gettempdir()).iterdir()) == []  # no clone left behind


def test_import_records_its_source_and_update_follows_the_default_branch(registry, consumer, pivot, tmp_path):
    result = pivot("import", "../registry", "data/numbers.csv", "-o", "inputs/numbers.csv")
    assert result.exit_code == 0, result.output
    assert "inputs/numbers.csv: fetched from data/numbers.csv of ../../registry (commit " in result.output
    pvt = (consumer / "inputs/numbers.csv.pvt").read_text()
    assert "path: data/numbers.csv" in pvt and "url: ../../registry" in pvt and "rev:" not in pvt  # relative to the .pvt
    assert git(registry, "rev-parse", "HEAD").strip() in pvt
    assert (consumer / "inputs/numbers.csv").read_text() == "1\n2\n3\n"
    assert "up to date with data/numbers.csv of ../../registry" in pivot("update").output
    _publish(registry, pivot, "1\n2\n3\n4\n")
    moved = pivot("update", "inputs/numbers.csv")
    assert moved.exit_code == 0 and "fetched from" in moved.output, moved.output
    assert (consumer / "inputs/numbers.csv").read_text() == "1\n2\n3\n4\n"
    assert git(registry, "rev-parse", "HEAD").strip() in (consumer / "inputs/numbers.csv.pvt").read_text()
    (consumer / "inputs/numbers.csv").unlink()  # a clone without the data: update brings it back
    assert pivot("update").exit_code == 0
    assert (consumer / "inputs/numbers.csv").read_text() == "1\n2\n3\n4\n"
    assert list((consumer / ".pivot/tmp/imports").iterdir()) == []


def test_a_tag_stays_put_until_update_moves_it_with_rev(registry, consumer, pivot):
    assert pivot("import", "--rev", "v1", "../registry", "data/images").exit_code == 0
    _publish(registry, pivot, "9\n", tag="v2")
    assert "up to date" in pivot("update", "images").output
    assert pivot("import", "--rev", "v2", "../registry", "data/numbers.csv").exit_code == 0  # an annotated tag
    assert (consumer / "numbers.csv").read_text() == "9\n"
    assert pivot("import", "--rev", "v1", "-f", "../registry", "data/numbers.csv").exit_code == 0
    assert (consumer / "numbers.csv").read_text() == "1\n2\n3\n"
    moved = pivot("update", "--rev", "v2", "numbers.csv")
    assert moved.exit_code == 0, moved.output
    assert (consumer / "numbers.csv").read_text() == "9\n" and "rev: v2" in (consumer / "numbers.csv.pvt").read_text()
    short = git(registry, "rev-parse", "--short", "v1").strip()  # a commit, by the id people copy
    assert pivot("import", "--rev", short, "../registry", "data/numbers.csv", "-o", "pinned.csv").exit_code == 0
    pinned = pivot("update", "pinned.csv")
    assert pinned.exit_code == 0 and "pinned.csv: up to date" in pinned.output, pinned.output


def test_bad_input_is_refused_and_nothing_is_written(registry, consumer, pivot, tmp_path):
    plain = _made(tmp_path / "plain")
    (plain / "x.txt").write_text("x")
    git(plain, "init", "-q")
    commit(plain, "plain")
    cases = [
        (("import", "../nowhere", "data/numbers.csv"), "cannot clone the repository", "nowhere'"),
        (("import", "../registry", "data/missing.csv"), "'data/missing.csv' is not in the repository", "registry'"),
        (("import", "--rev", "v7", "../registry", "data/numbers.csv"), "unknown git revision 'v7'"),
        (("import", "../plain", "x.txt"), "is not a pivot project"),
        (("import", "../registry", "../outside.csv"), "PATH must be a path inside the repository"),
        (("get", "--repo", "../registry", "data/missing.csv"), "is not in the repository"),
        (("update", "--rev", "v1"), "--rev moves named repository imports only"),
    ]
    for args, *messages in cases:
        assert_clean_error(pivot(*args), *messages)
    assert sorted(p.name for p in consumer.iterdir()) == [".git", ".pivot"]
    assert list((consumer / ".pivot/tmp/imports").iterdir()) == []
    assert pivot("import", "../registry", "data/numbers.csv").exit_code == 0
    assert_clean_error(pivot("import", "../registry", "labels.txt", "-o", "numbers.csv"), "numbers.csv exists", "-f")
    assert (consumer / "numbers.csv").read_text() == "1\n2\n3\n"


def test_update_of_a_url_import_refuses_rev(registry, consumer, pivot, tmp_path):
    (tmp_path / "plain.csv").write_text("p\n")
    assert pivot("import-url", str(tmp_path / "plain.csv")).exit_code == 0
    assert_clean_error(pivot("update", "--rev", "v1", "plain.csv"), "plain.csv was imported from a URL, which has no revisions")


def test_an_update_whose_data_was_never_pushed_changes_nothing(registry, consumer, pivot):
    assert pivot("import", "../registry", "data/numbers.csv").exit_code == 0
    before = {name: (consumer / name).read_bytes() for name in ("numbers.csv", "numbers.csv.pvt")}
    _publish(registry, pivot, "5\n", push=False)  # committed, but its bytes are only in the registry's own cache
    failed = pivot("update")
    assert failed.exit_code == 1, failed.output
    assert "numbers.csv: not updated" in failed.output and "Traceback" not in failed.output
    assert {name: (consumer / name).read_bytes() for name in before} == before
    assert list((consumer / ".pivot/tmp/imports").iterdir()) == []


def test_a_damaged_repository_source_in_a_pvt_names_the_file(registry, consumer, pivot):
    assert pivot("import", "--rev", "v1", "../registry", "data/numbers.csv").exit_code == 0
    text = (consumer / "numbers.csv.pvt").read_text()
    (consumer / "numbers.csv.pvt").write_text(text.replace("  path: data/numbers.csv", "  path: ../numbers.csv"))
    assert_clean_error(pivot("update"), "numbers.csv.pvt: 'source.path' must be a path relative to the repository's root")
    (consumer / "numbers.csv.pvt").write_text(text.replace("  path: data/numbers.csv\n", ""))
    assert_clean_error(pivot("update"), "numbers.csv.pvt: 'source.rev' must be a git revision of a repository import")


def test_ls_lists_git_files_and_the_data_a_commit_records(registry, pivot, monkeypatch, tmp_path):
    root = pivot("ls")  # the cwd is the registry
    assert root.exit_code == 0, root.output
    assert root.output.split() == [".pivot/", "data/", "labels.txt"]
    data = [line.split() for line in pivot("ls", "data").output.splitlines()]
    assert ["images/", "tracked", "2", "B,", "2", "files"] in data and ["numbers.csv", "tracked", "6", "B"] in data
    assert ["numbers.csv.pvt"] in data  # git keeps the .pvt file itself
    members = pivot("ls", "data/images").output.split()
    assert members == ["a.png", "tracked", "1", "B", "b.png", "tracked", "1", "B"]
    assert pivot("ls", "data/images/b.png").output.split() == ["b.png", "tracked", "1", "B"]  # a file inside
    elsewhere = _made(tmp_path / "elsewhere")
    monkeypatch.chdir(elsewhere)
    remote = pivot("ls", "--repo", "../registry", "data/images", "--json")  # the manifest comes from the remote
    assert remote.exit_code == 0, remote.output
    assert [row["path"] for row in json.loads(remote.output)] == ["a.png", "b.png"]
    everything = json.loads(pivot("ls", "--repo", "../registry", "-R", "--json").output)
    assert {"path": "data/images/b.png", "kind": "tracked", "isdir": False, "size": 1, "nfiles": None} in everything
    assert_clean_error(pivot("ls", "--repo", "../registry", "data/nope"), "'data/nope' is not in the repository '../registry'")


def test_ls_marks_stage_outputs_as_a_revision_recorded_them(project, pivot):
    root = revisions.two_commits(project, pivot)
    listed = [line.split()[:2] for line in pivot("ls").output.splitlines()]
    assert ["out.txt", "output"] in listed and ["d/", "output"] in listed and ["m.json"] in listed  # a metric is git's
    assert pivot("ls", "d", "--rev", "HEAD~1").output.split()[:2] == ["a.txt", "output"]
    assert_clean_error(pivot("ls", "--rev", "nope"), "unknown git revision 'nope'")
    assert (root / "out.txt").read_text() == "two\n"
