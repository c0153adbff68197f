"""`pivot config get|set|unset|list`: dotted keys checked against the schema, which file each
change lands in, secrets never shown, and docs/config.md listing every key."""

from __future__ import annotations

import json
import os
import pathlib

import yaml
from conftest import TRAIN_STAGES, assert_clean_error

from pivot.api import configkeys

DOC = pathlib.Path(__file__).parents[2] / "docs" / "config.md"
PIPELINE = {"pivot.yaml": "stages: {}\n"}


def _read(root, name):
    return yaml.safe_load((root / ".pivot" / name).read_text()) or {}


def test_set_get_list_unset_round_trip_keeps_the_users_comments(project, pivot):
    root = project(PIPELINE)
    pivot("init")
    config = root / ".pivot/config.yaml"
    config.write_text("# our team's settings\nexecutor:\n  kind: loky  # local pool\n")
    assert pivot("config", "set", "cache.type", "hardlink,copy").exit_code == 0
    assert pivot("config", "set", "gc.grace_period", "2h").exit_code == 0
    assert pivot("config", "set", "run_cache.trust_unsigned_remote", "true").exit_code == 0
    assert _read(root, "config.yaml") == {
        "executor": {"kind": "loky"},
        "cache": {"type": "hardlink,copy"},
        "gc": {"grace_period": "2h"},
        "run_cache": {"trust_unsigned_remote": True},  # stored as a boolean, not the text "true"
    }
    assert "# our team's settings" in config.read_text() and "# local pool" in config.read_text()
    assert pivot("config", "get", "cache.type").output == "hardlink,copy\n"
    assert pivot("config", "list").output.splitlines() == [
        "executor.kind=loky",
        "cache.type=hardlink,copy",
        "gc.grace_period=2h",
        "run_cache.trust_unsigned_remote=true",
    ]
    listed = json.loads(pivot("config", "list", "--json").output)
    assert listed[1] == {"key": "cache.type", "value": "hardlink,copy", "file": ".pivot/config.yaml"}
    assert pivot("config", "unset", "gc.grace_period").exit_code == 0
    assert "gc" not in _read(root, "config.yaml")  # the section it left empty went with it


def test_get_of_an_unset_key_exits_1_and_names_the_default(project, pivot):
    project(PIPELINE)
    result = pivot("config", "get", "executor.kind")
    assert result.exit_code == 1 and "executor.kind is not set (default: loky)" in result.output
    shown = json.loads(pivot("config", "get", "--json", "executor.kind").stdout)
    assert shown == {"key": "executor.kind", "value": None, "file": None, "default": "loky"}


def test_local_values_win_and_stay_in_the_local_file(project, pivot):
    root = project(PIPELINE)
    pivot("config", "set", "executor.kind", "loky")
    assert pivot("config", "set", "--local", "executor.kind", "dask").exit_code == 0
    assert _read(root, "config.yaml") == {"executor": {"kind": "loky"}}
    assert _read(root, "config.local.yaml") == {"executor": {"kind": "dask"}}
    assert pivot("config", "get", "executor.kind").output == "dask\n"
    assert pivot("config", "list", "--local").output == "executor.kind=dask\n"
    assert_clean_error(pivot("config", "unset", "cache.type"), "'cache.type' is not set in .pivot/config.yaml")
    pivot("config", "unset", "executor.kind")
    assert_clean_error(pivot("config", "unset", "executor.kind"), "set in .pivot/config.local.yaml", "--local")


def test_unknown_keys_name_the_closest_and_every_valid_key(project, pivot):
    root = project(PIPELINE)
    result = pivot("config", "set", "cache.typ", "copy")
    assert_clean_error(result, "unknown config key 'cache.typ'; did you mean 'cache.type'?", "executor.kind", "gc.grace_period")
    assert_clean_error(pivot("config", "get", "nonsense"), "unknown config key 'nonsense'", "valid keys:")
    assert not (root / ".pivot/config.yaml").exists() or _read(root, "config.yaml") == {}


def test_bad_values_name_what_the_key_expects_and_change_nothing(project, pivot):
    root = project(PIPELINE)
    pivot("init")
    before = (root / ".pivot/config.yaml").read_text()
    assert_clean_error(pivot("config", "set", "executor.kind", "slurm"), "'executor.kind'", "expects one of loky, dask")
    assert_clean_error(pivot("config", "set", "cache.type", "reflink,teleport"), "reflink, copy, hardlink, symlink")
    assert_clean_error(pivot("config", "set", "run_cache.trust_unsigned_remote", "yes please"), "expects true or false")
    assert (root / ".pivot/config.yaml").read_text() == before


def test_secrets_go_only_to_the_local_file_and_are_never_shown(project, pivot):
    root = project(PIPELINE)
    assert_clean_error(pivot("config", "set", "run_cache.key", "k3y-s3cret"), "must not go into the committed", "--local")
    assert pivot("config", "set", "--local", "run_cache.key", "k3y-s3cret").exit_code == 0
    pivot("remote", "add", "store", "s3://bucket/prefix")
    assert pivot("config", "set", "remotes.store.region", "eu-west-1").exit_code == 0
    assert_clean_error(pivot("config", "set", "remotes.store.secret_access_key", "s3cr3t"), "holds a credential")
    assert pivot("config", "set", "--local", "remotes.store.secret_access_key", "s3cr3t").exit_code == 0
    assert _read(root, "config.yaml")["remotes"]["store"] == {"url": "s3://bucket/prefix", "region": "eu-west-1"}
    for shown in (pivot("config", "list"), pivot("config", "list", "--json"), pivot("config", "get", "run_cache.key")):
        assert "k3y-s3cret" not in shown.output and "s3cr3t" not in shown.output
    assert "remotes.store.secret_access_key=***" in pivot("config", "list").output
    assert_clean_error(pivot("config", "set", "remotes.nowhere.url", "/tmp/x"), "no remote named 'nowhere'")


def test_cache_type_from_config_set_decides_how_outputs_come_back(project, pivot):
    root = project({"stages.py": TRAIN_STAGES, "data.txt": "rows\n", "pivot.yaml": "stages:\n  train:\n    python: stages.train\n"})
    assert pivot("config", "set", "cache.type", "hardlink").exit_code == 0
    assert pivot("run", "--executor", "inprocess").exit_code == 0
    (root / "model.txt").unlink()
    assert pivot("checkout").exit_code == 0
    assert os.stat(root / "model.txt").st_nlink == 2  # the workspace file is the cache object
    pivot("config", "set", "cache.type", "copy")
    (root / "model.txt").unlink()
    pivot("checkout")
    assert os.stat(root / "model.txt").st_nlink == 1


def test_docs_list_every_key_as_the_schema_describes_it():
    table = configkeys.reference()
    text = DOC.read_text()
    start, end = "<!-- keys: generated from the schema -->\n", "<!-- end of keys -->"
    assert start in text and end in text
    head, rest = text.split(start)
    documented, tail = rest.split(end)
    if os.environ.get("PIVOT_REGENERATE_DOCS"):
        DOC.write_text(head + start + table + end + tail)
        documented = table
    assert documented == table, "docs/config.md is out of date: rerun this test with PIVOT_REGENERATE_DOCS=1"
    assert all(key.description for key in configkeys.all_keys()), "give each setting a docstring in config_schema"
