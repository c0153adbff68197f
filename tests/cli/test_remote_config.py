"""pivot remote add|modify|list|remove|default: what lands in which config file, and bad input."""

from __future__ import annotations

import yaml
from conftest import assert_clean_error

PIPELINE = {"pivot.yaml": "stages: {}\n"}


def _read(root, name):
    return yaml.safe_load((root / ".pivot" / name).read_text()) or {}


def test_add_with_default_and_list(project, pivot):
    root = project(PIPELINE)
    assert pivot("remote", "add", "-d", "origin", "/srv/cache").exit_code == 0
    assert pivot("remote", "add", "store", "s3://bucket/prefix").exit_code == 0
    assert _read(root, "config.yaml") == {
        "default_remote": "origin",
        "remotes": {"origin": {"url": "/srv/cache"}, "store": {"url": "s3://bucket/prefix"}},
    }
    listed = pivot("remote", "list").output.splitlines()
    assert listed == ["origin\t/srv/cache\t(default)", "store\ts3://bucket/prefix"]
    assert pivot("remote", "default").output.strip() == "origin"


def test_options_are_typed_and_credentials_only_go_to_the_local_file(project, pivot):
    root = project(PIPELINE)
    pivot("remote", "add", "store", "s3://bucket/prefix")
    assert pivot("remote", "modify", "store", "endpoint_url", "http://127.0.0.1:9000").exit_code == 0
    assert pivot("remote", "modify", "store", "max_retries", "3").exit_code == 0
    before = (root / ".pivot/config.yaml").read_text()
    assert_clean_error(pivot("remote", "modify", "store", "secret_access_key", "s3cr3t"), "holds a credential", "--local")
    assert (root / ".pivot/config.yaml").read_text() == before
    stored = pivot("remote", "modify", "--local", "store", "secret_access_key", "s3cr3t")
    assert stored.exit_code == 0 and "s3cr3t" not in stored.output
    assert _read(root, "config.yaml")["remotes"]["store"] == {"url": "s3://bucket/prefix", "endpoint_url": "http://127.0.0.1:9000", "max_retries": 3}
    assert _read(root, "config.local.yaml") == {"remotes": {"store": {"secret_access_key": "s3cr3t"}}}
    listed = pivot("remote", "list").output
    assert "secret_access_key=***" in listed and "s3cr3t" not in listed
    assert "config.local.yaml" in (root / ".pivot/.gitignore").read_text()


def test_unset_remove_and_default(project, pivot):
    root = project(PIPELINE)
    pivot("remote", "add", "-d", "origin", "/srv/cache")
    pivot("remote", "modify", "origin", "region", "eu-west-1")
    pivot("remote", "modify", "--local", "origin", "token", "t0k3n")
    assert pivot("remote", "modify", "origin", "region", "--unset").exit_code == 0
    assert _read(root, "config.yaml")["remotes"]["origin"] == {"url": "/srv/cache"}
    assert pivot("remote", "remove", "origin").exit_code == 0
    assert _read(root, "config.yaml") == {}
    assert _read(root, "config.local.yaml") == {}  # its credentials went with it
    assert pivot("remote", "list").output == ""
    assert pivot("remote", "default").output.strip() == "no default remote"


def test_bad_input_is_exit_2_and_changes_nothing(project, pivot):
    root = project(PIPELINE)
    pivot("remote", "add", "origin", "/srv/cache")
    before = (root / ".pivot/config.yaml").read_text()
    assert_clean_error(pivot("remote", "add", "origin", "/elsewhere"), "remote 'origin' already exists", "-f")
    assert_clean_error(pivot("remote", "modify", "orign", "region", "x"), "no remote named 'orign'", "did you mean 'origin'")
    assert_clean_error(pivot("remote", "default", "nope"), "no remote named 'nope'")
    assert_clean_error(pivot("remote", "remove", "nope"), "no remote named 'nope'")
    assert_clean_error(pivot("remote", "add", "bad/name", "/x"), "remote name 'bad/name'")
    assert (root / ".pivot/config.yaml").read_text() == before
    assert pivot("remote", "add", "-f", "origin", "/elsewhere").exit_code == 0
    assert _read(root, "config.yaml")["remotes"]["origin"]["url"] == "/elsewhere"


def test_a_hand_broken_config_file_names_the_file_and_line(project, pivot):
    root = project(PIPELINE)
    pivot("init")
    (root / ".pivot/config.yaml").write_text("remotes:\n  origin: [unclosed\n")
    assert_clean_error(pivot("remote", "list"), ".pivot/config.yaml:")


def test_rename_moves_options_credentials_and_the_default_in_place(project, pivot):
    root = project(PIPELINE)
    (root / ".pivot").mkdir()
    (root / ".pivot/config.yaml").write_text(
        "remotes:\n  # the team's store\n  origin:\n    url: /srv/cache  # shared\n  other:\n    url: /srv/other\ndefault_remote: origin\n"
    )
    assert pivot("remote", "modify", "--local", "origin", "secret_access_key", "s3cr3t").exit_code == 0
    result = pivot("remote", "rename", "origin", "team")
    assert result.exit_code == 0 and "Renamed remote 'origin' to 'team'" in result.output
    text = (root / ".pivot/config.yaml").read_text()
    assert text == "remotes:\n  # the team's store\n  team:\n    url: /srv/cache  # shared\n  other:\n    url: /srv/other\ndefault_remote: team\n"
    assert _read(root, "config.local.yaml") == {"remotes": {"team": {"secret_access_key": "s3cr3t"}}}
    assert_clean_error(pivot("remote", "rename", "origin", "x"), "no remote named 'origin'")
    assert_clean_error(pivot("remote", "rename", "team", "other"), "remote 'other' already exists")
    assert_clean_error(pivot("remote", "rename", "team", "a b"), "characters other than")
    assert (root / ".pivot/config.yaml").read_text() == text
