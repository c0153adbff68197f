"""Credentials in remote URLs: never written to the committed config, never printed, whether they
come from `remote add`, a hand-edited config, or a server's error echoing a request; and names
with a trailing newline are refused."""

from __future__ import annotations

import pytest
from conftest import assert_clean_error, assert_hidden

KEY, SECRET = "AKIAEXAMPLEKEY77", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzz"
PIPELINE = {"pivot.yaml": "stages: {}\n"}
STAGES = """
from typing import Annotated
from pivot import loaders, outputs


def make(text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Annotated[str, outputs.Out("out.txt", loaders.Text())]:
    return text.upper()
"""


@pytest.mark.parametrize(
    ("url", "secret", "shown"),
    [
        (f"s3://{KEY}:{SECRET}@bucket/p", SECRET, "s3://***@bucket/p"),
        ("https://alice:hunter2pass@cache.example.com/team", "hunter2pass", "https://***@cache.example.com/team"),
        ("https://cache.example.com/team?token=tok_5ecret_value", "tok_5ecret_value", "https://cache.example.com/team?token=***"),
        ("azure://box/p?sig=Zm9vYmFyc2ln&sv=2024", "Zm9vYmFyc2ln", "azure://box/p?sig=***&sv=2024"),
    ],
)
def test_a_url_with_credentials_is_refused_for_the_committed_config(project, pivot, url, secret, shown):
    root = project(PIPELINE)
    refused = pivot("remote", "add", "-d", "origin", url)
    assert_clean_error(refused, "holds credentials", shown, "--local", "pivot remote modify --local origin")
    assert not (root / ".pivot" / "config.local.yaml").exists()
    assert_hidden(refused, root, secret)


def test_with_local_it_is_stored_git_ignored_and_shown_redacted_everywhere(project, pivot):
    root = project(PIPELINE)
    url = f"s3://{KEY}:{SECRET}@bucket/p"
    added = pivot("remote", "add", "--local", "-d", "origin", url)
    assert added.exit_code == 0, added.output
    assert "s3://***@bucket/p" in added.output and ".pivot/config.local.yaml" in added.output
    assert SECRET in (root / ".pivot" / "config.local.yaml").read_text()
    listed = pivot("remote", "list")
    assert listed.output.strip() == "origin\ts3://***@bucket/p\t(default)"
    again = pivot("remote", "add", "--local", "origin", "s3://bucket/other")
    assert again.exit_code == 2 and "s3://***@bucket/p" in again.output
    for result in (added, listed, again):
        assert_hidden(result, root, SECRET, KEY)


def test_modify_refuses_credentials_in_a_url_or_an_option_value(project, pivot):
    root = project(PIPELINE)
    assert pivot("remote", "add", "origin", "s3://bucket/p").exit_code == 0
    before = (root / ".pivot" / "config.yaml").read_text()
    url = pivot("remote", "modify", "origin", "url", f"s3://{KEY}:{SECRET}@bucket/p")
    endpoint = pivot("remote", "modify", "origin", "endpoint_url", f"http://{KEY}:{SECRET}@127.0.0.1:9000")
    assert_clean_error(url, "the url of remote 'origin' holds credentials", "s3://***@bucket/p")
    assert_clean_error(endpoint, "origin.endpoint_url", "http://***@127.0.0.1:9000")
    assert (root / ".pivot" / "config.yaml").read_text() == before
    local = pivot("remote", "modify", "--local", "origin", "endpoint_url", f"http://{KEY}:{SECRET}@127.0.0.1:9000")
    assert local.exit_code == 0 and "http://***@127.0.0.1:9000" in local.output
    listed = pivot("remote", "list")
    assert "endpoint_url=http://***@127.0.0.1:9000" in listed.output
    for result in (url, endpoint, local, listed):
        assert_hidden(result, root, SECRET, KEY)


def test_a_hand_written_credential_url_is_redacted_in_list_and_errors(project, pivot):
    project({**PIPELINE, ".pivot/config.yaml": f"remotes:\n  origin:\n    url: https://bob:{SECRET}@host.invalid/c?token=tok_12345678\n"})
    listed = pivot("remote", "list")
    assert listed.output.strip() == "origin\thttps://***@host.invalid/c?token=***"
    exists = pivot("remote", "add", "origin", "/srv/other")
    assert exists.exit_code == 2 and "https://***@host.invalid" in exists.output
    for result in (listed, exists):
        assert SECRET not in result.output and "tok_12345678" not in result.output


# ------------------------------------------------------- one rule for options

SERVICE_ACCOUNT = '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----abc"}'


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("key", KEY),  # s3fs's own names
        ("secret", SECRET),
        ("token", "FwoGZXIvYXdzEJr//////////wEaDM"),
        ("access_key_id", KEY),  # DVC's names, which pivot maps to s3fs's
        ("secret_access_key", SECRET),
        ("session_token", "FwoGZXIvYXdzEJr"),
        ("aws_access_key_id", KEY),  # boto's names, as in client_kwargs
        ("aws_secret_access_key", SECRET),
        ("aws_session_token", "FwoGZXIvYXdzEJr"),
        ("token", SERVICE_ACCOUNT),  # gcsfs's token given as the key file's contents
        ("password", "hunter2pass"),
        ("passwd", "hunter2pass"),
        ("api_key", "ak_live_0123456789"),
        ("access_key", "ak_0123456789"),
        ("private_key", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
        ("credentials", "c2VjcmV0LWNyZWRz"),
        ("client_secret", "cs_0123456789"),
    ],
)
@pytest.mark.slow  # over half a second: the quick subset stays under a minute
def test_a_secret_option_goes_only_to_the_local_file_and_is_never_shown(project, pivot, key, value):
    root = project(PIPELINE)
    assert pivot("remote", "add", "origin", "s3://bucket/p").exit_code == 0
    before = (root / ".pivot" / "config.yaml").read_text()
    refused = pivot("remote", "modify", "origin", key, value)
    assert_clean_error(refused, f"'origin.{key}' holds a credential", f"pivot remote modify --local origin {key}", "environment")
    assert (root / ".pivot" / "config.yaml").read_text() == before
    stored = pivot("remote", "modify", "--local", "origin", key, value)
    assert stored.exit_code == 0 and f"origin.{key} = ***" in stored.output, stored.output
    assert value in (root / ".pivot" / "config.local.yaml").read_text()
    listed = pivot("remote", "list")
    assert listed.output.strip() == f"origin\ts3://bucket/p\t{key}=***"
    for result in (refused, stored, listed):
        assert_hidden(result, root, value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("token", "/keys/service-account.json"),  # gcsfs: where the credentials are
        ("token", "google_default"),
        ("token", "anon"),
        ("credentialpath", "/keys/sa.json"),
        ("profile", "work"),
        ("region", "eu-west-1"),
    ],
)
def test_where_credentials_are_may_be_committed_and_shown(project, pivot, key, value):
    root = project(PIPELINE)
    assert pivot("remote", "add", "origin", "gs://bucket/p").exit_code == 0
    assert pivot("remote", "modify", "origin", key, value).exit_code == 0
    assert value in (root / ".pivot" / "config.yaml").read_text()
    assert pivot("remote", "list").output.strip() == f"origin\tgs://bucket/p\t{key}={value}"


def test_hand_written_nested_credentials_are_masked_in_list(project, pivot):
    local = (
        "remotes:\n  origin:\n    client_kwargs:\n      aws_secret_access_key: wJalrXUtnFEMIK7\n      region_name: eu-west-1\n"
        "    token:\n      type: service_account\n      private_key: pk_0123456789\n"
    )
    project({**PIPELINE, ".pivot/config.yaml": "remotes:\n  origin:\n    url: s3://bucket/p\n", ".pivot/config.local.yaml": local})
    listed = pivot("remote", "list").output.strip()
    assert listed == "origin\ts3://bucket/p\tclient_kwargs={'aws_secret_access_key': '***', 'region_name': 'eu-west-1'} token=***"


# ---------------------------------------------------------------------- names


def test_a_remote_name_with_a_trailing_newline_is_refused(project, pivot):
    root = project(PIPELINE)
    assert_clean_error(pivot("remote", "add", "origin\n", "/srv/cache"), "remote name 'origin\\n'")
    assert "origin" not in (root / ".pivot" / "config.yaml").read_text()


def test_a_stage_name_with_a_trailing_newline_is_refused_in_pivot_yaml(project, pivot):
    project({"stages.py": STAGES, "input.txt": "x", "pivot.yaml": 'stages:\n  "make\\n":\n    python: stages.make\n'})
    assert_clean_error(pivot("run"), "stage name 'make\n'", "has characters other than")


def test_a_stage_name_with_a_trailing_newline_is_refused_in_pipeline_py(project, pivot):
    pipeline = "from pivot.pipeline import Pipeline\nimport stages\n\npipeline = Pipeline('p')\npipeline.register(stages.make, name='make\\n')\n"
    project({"stages.py": STAGES, "input.txt": "x", "pipeline.py": pipeline})
    assert_clean_error(pivot("run"), "pipeline.py:5", "has characters other than")


def test_a_matrix_variant_with_a_trailing_newline_is_refused(project, pivot):
    yaml_text = 'stages:\n  make:\n    python: stages.make\n    matrix:\n      size: ["big\\n"]\n'
    project({"stages.py": STAGES, "input.txt": "x", "pivot.yaml": yaml_text})
    result = pivot("run")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert "big" in result.output
