"""pivot.api.remotes called directly, as a library user would: real projects in tmp_path, the
process's current directory elsewhere (see conftest.make_project), the config files read back."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from pivot import errors
from pivot.api import Project, remotes
from pivot.base.project import Project as Paths

KEY, SECRET = "AKIAEXAMPLEKEY77", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzz"


def _config(root: pathlib.Path, name: str = "config.yaml") -> dict:
    return yaml.safe_load((root / ".pivot" / name).read_text()) or {}


def test_two_projects_in_one_process_keep_their_own_remotes(make_project):
    a, b = Project.open(make_project("a", tag="A")), Project.open(make_project("b", tag="B"))

    added = a.remote_add("origin", "s3://bucket-a/p", default=True)
    b.remote_add("backup", "gs://bucket-b/q")
    b.remote_modify("backup", "project", "team-b")

    assert added == remotes.RemoteChange("origin", shown="s3://bucket-a/p", default=True)
    assert a.remotes() == [remotes.RemoteInfo("origin", "s3://bucket-a/p", True, ())]
    assert b.remotes() == [remotes.RemoteInfo("backup", "gs://bucket-b/q", False, (("project", "team-b"),))]
    assert remotes.default_remote(a.paths) == "origin" and remotes.default_remote(b.paths) is None

    assert a.remote_remove("origin") == remotes.RemoteChange("origin")
    assert a.remotes() == [] and "default_remote" not in _config(a.root)
    assert [r.name for r in b.remotes()] == ["backup"]  # removing a's remote left b alone


def test_a_relative_directory_is_read_from_the_given_cwd_and_stored_from_the_root(make_project, tmp_path):
    root = make_project("p", tag="P", extra={"sub/deep/x.txt": ""})
    paths = Paths(root)

    added = remotes.add(paths, "store", "../store", cwd=root / "sub" / "deep")
    assert added.shown == str(root / "sub" / "store")
    assert _config(root)["remotes"]["store"] == {"url": "sub/store"}

    # Without a cwd the project root is meant; the process's own cwd (tmp_path/elsewhere) never is.
    assert remotes.add(paths, "near", "near").shown == str(root / "near")
    changed = remotes.modify(paths, "near", "url", "../../shared", cwd=root / "sub" / "deep")
    assert changed == remotes.RemoteChange("near", key="url", shown=str(root / "shared"))
    assert _config(root)["remotes"]["near"] == {"url": "shared"}
    assert not (tmp_path / "elsewhere" / ".pivot").exists()


def test_credentials_are_refused_for_the_committed_config_with_an_input_error(make_project):
    root = make_project("p", tag="P")
    paths = Paths(root)
    url = f"s3://{KEY}:{SECRET}@bucket/p"

    with pytest.raises(errors.InputError, match=r"holds credentials \(s3://\*\*\*@bucket/p\)") as refused:
        remotes.add(paths, "origin", url)
    assert SECRET not in str(refused.value) and SECRET not in (refused.value.hint or "")
    assert "remotes" not in _config(root) and not (root / ".pivot" / "config.local.yaml").exists()

    remotes.add(paths, "origin", "s3://bucket/p")
    with pytest.raises(errors.InputError, match="holds a credential"):
        remotes.modify(paths, "origin", "secret_access_key", SECRET)
    assert _config(root)["remotes"]["origin"] == {"url": "s3://bucket/p"}

    stored = remotes.modify(paths, "origin", "secret_access_key", SECRET, local=True)
    assert stored.shown == "***" and stored.where == ".pivot/config.local.yaml"
    assert _config(root, "config.local.yaml")["remotes"]["origin"] == {"secret_access_key": SECRET}


def test_listing_redacts_urls_and_masks_secret_options(make_project):
    proj = Project.open(make_project("p", tag="P"))
    proj.remote_add("origin", f"s3://{KEY}:{SECRET}@bucket/p", local=True)
    proj.remote_modify("origin", "token", "tok_5ecret_value", local=True)
    proj.remote_modify("origin", "region", "eu-west-1")
    proj.remote_modify("origin", "retries", "10")

    (info,) = proj.remotes()
    assert info == remotes.RemoteInfo("origin", "s3://***@bucket/p", False, (("region", "eu-west-1"), ("retries", "10"), ("token", "***")))
    assert _config(proj.root)["remotes"]["origin"] == {"region": "eu-west-1", "retries": 10}  # stored typed


def test_refusals_name_the_remote_and_leave_the_config_as_it_was(make_project):
    root = make_project("p", tag="P")
    paths = Paths(root)
    remotes.add(paths, "origin", "s3://bucket/p")
    before = (root / ".pivot" / "config.yaml").read_text()

    with pytest.raises(errors.InputError, match="remote 'origin' already exists"):
        remotes.add(paths, "origin", "s3://bucket/other")
    with pytest.raises(errors.InputError, match="remote name 'bad name'"):
        remotes.add(paths, "bad name", "s3://bucket/x")
    with pytest.raises(errors.InputError, match="no remote named 'orign'") as missing:
        remotes.set_default(paths, "orign")
    assert "origin" in (missing.value.hint or "")
    assert (root / ".pivot" / "config.yaml").read_text() == before

    assert remotes.add(paths, "origin", "s3://bucket/other", force=True).shown == "s3://bucket/other"
    assert remotes.set_default(paths, "origin") == remotes.RemoteChange("origin", default=True)
    assert remotes.set_default(paths, None) == remotes.RemoteChange("", unset=True)
    assert remotes.default_remote(paths) is None
