"""What pivot prints of URLs and server messages that hold credentials: `***` in their place, and
everything else left as it was (a redaction that eats hosts or paths would hide what is wrong)."""

from __future__ import annotations

import pytest

from pivot.base import redaction

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzz"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"s3://AKIA123:{AWS_SECRET}@bucket/p", "s3://***@bucket/p"),  # a secret key with '/' in it
        ("https://alice:pw1234@host:8443/x", "https://***@host:8443/x"),
        ("https://ghp_abcdef123456@github.com/o/r.git", "https://***@github.com/o/r.git"),
        ("s3://bucket/runs/v@2/file", "s3://bucket/runs/v@2/file"),  # an '@' in a path is no userinfo
        ("/mnt/share@home/cache", "/mnt/share@home/cache"),
        ("https://h/o?X-Amz-Credential=AKIA%2F20240101&X-Amz-Signature=abcdef0123&x=1", "https://h/o?X-Amz-Credential=***&X-Amz-Signature=***&x=1"),
        ("gs://b/p?access_key=k123&secret=s456", "gs://b/p?access_key=***&secret=***"),
        ("azure://c/p?sv=2024&sig=Zm9v", "azure://c/p?sv=2024&sig=***"),
    ],
)
def test_urls_lose_their_credentials_and_keep_the_rest(text, shown):
    assert redaction.redact_url(text) == shown
    assert redaction.has_credentials(text) == (text != shown)


def test_a_server_message_loses_urls_headers_and_known_secrets():
    message = (
        "SignatureDoesNotMatch: <AWSAccessKeyId>AKIAEXAMPLE77</AWSAccessKeyId> for "
        f"GET https://u:{AWS_SECRET}@127.0.0.1:9000/b?X-Amz-Signature=deadbeef with Authorization: Bearer ghs_0123456789abc"
    )
    shown = redaction.redact_text(message, ["AKIAEXAMPLE77"])
    for secret in ("AKIAEXAMPLE77", AWS_SECRET, "deadbeef", "ghs_0123456789abc"):
        assert secret not in shown
    assert "SignatureDoesNotMatch" in shown and "127.0.0.1:9000/b" in shown


def test_options_show_where_credentials_are_but_not_what_they_are():
    options = {"key": "AKIA1", "token": "/keys/sa.json", "endpoint_url": "http://u:p4ss@h:9000", "client_kwargs": {"aws_session_token": "tok1"}}
    assert redaction.redact_options(options) == {
        "key": "***",
        "token": "/keys/sa.json",
        "endpoint_url": "http://***@h:9000",
        "client_kwargs": {"aws_session_token": "***"},
    }
    assert set(redaction.option_secrets(options)) >= {"AKIA1", "tok1", "u:p4ss", "p4ss"}


@pytest.mark.parametrize(
    "name",
    [
        "key", "secret", "token", "access_key_id", "secret_access_key", "session_token", "aws_access_key_id",
        "aws_secret_access_key", "aws_session_token", "password", "passwd", "api_key", "apikey", "access_key",
        "private_key", "private_key_id", "credentials", "client_secret", "refresh_token", "SSECustomerKey",
        "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "sig",
    ],
)
def test_credential_names(name):
    assert redaction.is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "url", "endpoint_url", "region", "region_name", "profile", "project", "credentialpath", "credentials_file",
        "token_uri", "SSEKMSKeyId", "public_key", "anon", "connect_timeout", "client_kwargs", "X-Amz-SignedHeaders", "sv",
    ],
)
def test_names_that_are_not_credentials(name):
    assert not redaction.is_secret_name(name)


def test_a_token_is_a_secret_unless_it_says_where_the_credentials_are():
    assert not any(redaction.is_secret_option("token", v) for v in ("/keys/sa.json", "sa.json", "~/sa.json", "google_default", "anon", ""))
    # a base64 session token may start with '/', but has no '.': still a secret
    assert all(redaction.is_secret_option("token", v) for v in ("/FwoGZXIvYXdz+EJr/ab==", '{"type": "service_account"}', {"private_key": "pk"}))


def test_a_service_account_token_is_masked_whole_and_its_secrets_found_in_messages():
    options = {"token": {"type": "service_account", "client_email": "ci@p.iam", "private_key": "pk_0123456789"}, "project": "p"}
    assert redaction.redact_options(options) == {"token": "***", "project": "p"}
    assert redaction.option_secrets(options) == ["pk_0123456789"]
