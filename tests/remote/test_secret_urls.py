"""Credentials in an S3 remote's URL against a real S3 server (moto): push, pull and status work
with them and never print them, nor any server error that names the bucket."""

from __future__ import annotations

import secrets

import fsspec
import pytest
import servers
from conftest import assert_hidden

pytest_plugins = ("servers",)

KEY, SECRET = "AKIAEXAMPLEKEY77", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzz"


@pytest.fixture
def s3_project(project, pivot, moto_server, client_env, monkeypatch):
    """A project whose remote URL carries the keys (kept in the local config), on moto."""
    root = project({"pivot.yaml": "stages: {}\n", "data.txt": "hello\n"})
    assert pivot("track", "data.txt").exit_code == 0
    return root


def _s3_remote(pivot, endpoint: str, bucket: str) -> None:
    assert pivot("remote", "add", "--local", "-d", "origin", f"s3://{KEY}:{SECRET}@{bucket}/p").exit_code == 0
    for key, value in (("endpoint_url", endpoint), ("region", "eu-west-1"), ("connect_timeout", "5")):
        assert pivot("remote", "modify", "origin", key, value).exit_code == 0


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_push_and_pull_with_keys_in_the_url_never_print_them(s3_project, pivot, moto_server):
    bucket = f"pivot-secrets-{secrets.token_hex(4)}"
    raw_config = servers.s3_config(moto_server.endpoint, bucket)
    _s3_remote(pivot, moto_server.endpoint, bucket)
    raw = fsspec.filesystem("s3", key=KEY, secret=SECRET, endpoint_url=raw_config["endpoint_url"], client_kwargs={"region_name": "eu-west-1"}, skip_instance_cache=True)
    raw.mkdir(bucket)

    results = [pivot("push"), pivot("status", "-r", "origin"), pivot("status", "-r", "origin", "--json")]
    (s3_project / "data.txt").unlink()
    results += [pivot("pull"), pivot("remote", "list")]

    assert [r.exit_code for r in results] == [0, 0, 0, 0, 0], [r.output for r in results]
    assert (s3_project / "data.txt").read_text() == "hello\n"
    assert raw.find(f"{bucket}/p/files")  # the keys were used as credentials, not as part of the path
    for result in results:
        assert_hidden(result, s3_project, SECRET, KEY)


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_server_errors_during_push_and_pull_never_show_the_keys(s3_project, pivot, moto_server):
    _s3_remote(pivot, moto_server.endpoint, "pivot-no-such-bucket")

    pushed, pulled, status = pivot("push"), pivot("pull"), pivot("status", "-r", "origin")

    for result in (pushed, pulled, status):
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert "pivot-no-such-bucket" in result.output  # the error still says what is wrong
        assert_hidden(result, s3_project, SECRET, KEY)


@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_client_error_that_echoes_an_endpoint_with_credentials_hides_them(s3_project, pivot):
    """botocore quotes the endpoint it could not reach: the userinfo in it must not be printed."""
    assert pivot("remote", "add", "-d", "origin", "s3://pivot-unreachable/p").exit_code == 0
    port = servers.free_port()  # nothing listens there
    endpoint = f"http://{KEY}:{SECRET}@127.0.0.1:{port}"
    assert pivot("remote", "modify", "--local", "origin", "endpoint_url", endpoint).exit_code == 0
    assert pivot("remote", "modify", "origin", "connect_timeout", "1").exit_code == 0

    results = [pivot("push"), pivot("pull"), pivot("status", "-r", "origin")]

    for result in results:
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and "remote 'origin'" in result.output
        assert_hidden(result, s3_project, SECRET, KEY)
