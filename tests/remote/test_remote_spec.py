"""Which remote a command means, its options as fsspec wants them, and what may be printed."""

from __future__ import annotations

import os
import pathlib

import pytest

from pivot import errors
from pivot.declare import config
from pivot.remote import fs, spec

ROOT = pathlib.Path("/work/project")


def _settings(default: str | None = None, **remotes: dict[str, object]) -> config.ProjectConfig:
    return config.ProjectConfig(remotes=remotes, default_remote=default)


def test_no_name_means_the_default_remote_or_the_only_one():
    two = _settings("backup", origin={"url": "s3://a/x"}, backup={"url": "gs://b/y"})
    assert spec.resolve(two, None, ROOT).name == "backup"
    assert spec.resolve(two, "origin", ROOT).url == "s3://a/x"
    assert spec.resolve(_settings(origin={"url": "/srv/cache"}), None, ROOT).name == "origin"


@pytest.mark.parametrize(
    ("settings", "name", "fragments"),
    [
        (_settings(), None, ["no remote configured", "pivot remote add -d origin"]),
        (_settings(a={"url": "/x"}, b={"url": "/y"}), None, ["no default remote", "a, b", "-r NAME"]),
        (_settings(origin={"url": "/x"}), "orign", ["no remote named 'orign'", "did you mean 'origin'"]),
        (_settings("gone", origin={"url": "/x"}), None, ["no remote named 'gone'"]),
        (_settings(origin={"region": "eu-west-1"}), None, ["remote 'origin' has no url", "pivot remote modify origin url"]),
    ],
)
def test_a_remote_that_cannot_be_resolved_is_a_config_error(settings, name, fragments):
    with pytest.raises(errors.ConfigError) as caught:
        spec.resolve(settings, name, ROOT)
    text = str(caught.value)
    assert all(fragment in text for fragment in fragments), text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("../shared/cache", "/work/shared/cache"),
        ("cache-dir/", "/work/project/cache-dir"),
        ("/abs/path", "/abs/path"),
        ("~/pivot-cache", os.path.expanduser("~/pivot-cache")),
        ("s3://bucket/prefix/", "s3://bucket/prefix"),
        ("file:///srv/cache", "file:///srv/cache"),
        ("memory://", "memory://"),
    ],
)
def test_local_paths_are_relative_to_the_project_root(url, expected):
    assert spec.resolve(_settings(origin={"url": url}), None, ROOT).url == expected


def test_friendly_s3_names_become_s3fs_options():
    resolved = spec.resolve(
        _settings(
            origin={
                "url": "s3://bucket/cache",
                "endpointurl": "http://127.0.0.1:9000",
                "region": "eu-west-1",
                "client_kwargs": {"verify": False},
                "access_key_id": "AKIA",
                "secret_access_key": "s3cr3t",
                "profile": "team",
                "connect_timeout": "3",
                "request_checksum_calculation": "when_required",
                "anon": "false",
            }
        ),
        None,
        ROOT,
    )
    assert resolved.protocol == "s3"
    assert dict(resolved.options) == {
        "endpoint_url": "http://127.0.0.1:9000",
        "client_kwargs": {"region_name": "eu-west-1", "verify": False},
        "key": "AKIA",
        "secret": "s3cr3t",
        "profile": "team",
        "config_kwargs": {"connect_timeout": 3.0, "request_checksum_calculation": "when_required"},
        "anon": False,
    }


def test_friendly_gcs_names_become_gcsfs_options_and_others_pass_through():
    gcs = spec.resolve(_settings(o={"url": "gs://b/p", "credentialpath": "/keys/sa.json", "project": "p1"}), None, ROOT)
    other = spec.resolve(_settings(o={"url": "sftp://host/srv", "region": "x", "port": 2222}), None, ROOT)
    assert dict(gcs.options) == {"token": "/keys/sa.json", "project": "p1"}
    assert dict(other.options) == {"region": "x", "port": 2222}


def test_redact_hides_credentials_but_not_where_they_are():
    shown = spec.redact(
        {
            "key": "AKIA123",
            "secret": "s3cr3t",
            "token": "/keys/sa.json",
            "client_kwargs": {"aws_session_token": "abc", "region_name": "eu-west-1"},
            "password": "pw",
            "endpoint_url": "http://user:pw@host:9000",
            "anon": False,
            "profile": "team",
        }
    )
    assert shown == {
        "key": "***",
        "secret": "***",
        "token": "/keys/sa.json",
        "client_kwargs": {"aws_session_token": "***", "region_name": "eu-west-1"},
        "password": "***",
        "endpoint_url": "http://***@host:9000",
        "anon": False,
        "profile": "team",
    }
    assert spec.redact({"token": "anon"}) == {"token": "anon"}


def test_a_url_no_filesystem_knows_is_a_config_error():
    with pytest.raises(errors.ConfigError, match="remote 'origin'"):
        fs.Remote(spec.RemoteSpec("origin", "nosuchproto://x/y", {}))
