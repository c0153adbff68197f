"""What is a secret, and what pivot may show of one: nothing. The one rule: config writing (what
may go into the committed .pivot/config.yaml), listings, errors, logs and the PR comment all ask
here. It turns URLs, storage options and free text (server errors, signed requests) into text
safe to print or log, with every credential replaced by `***`.

A secret is the value of an option (or URL query parameter) named as a credential (`is_secret_name`:
s3fs's `key`/`secret`/`token` and their boto spellings, gcsfs's `token`, anything named like a
password, secret, api or private key, credentials), unless the value only says where credentials
are (a file path, "anon", "google_default"); and the userinfo of a URL (`s3://user:pass@...`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

# `scheme://userinfo@` anywhere in a text; whether the part before '@' really is userinfo is
# decided in `_userinfo` (a path may hold an '@' too).
_URL_USER = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^\s@'\"<>]+)@")
# A query parameter; its name decides (`is_secret_name`): tokens, passwords, signatures of
# pre-signed requests (X-Amz-Signature, X-Amz-Credential, GCS's X-Goog-Signature, Azure's sig).
_QUERY_PARAM = re.compile(r"([?&;]([\w.-]+)=)([^&\s'\"<>#]+)")
_BEARER = re.compile(r"\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)

# Parts of a name that make it a credential's wherever they appear (`clientSecret`, `authToken`).
_SECRET_PARTS = ("secret", "password", "passwd", "passphrase", "token", "credential", "signature")
# Run-together spellings of "... key" (DVC's and some SDKs').
_JOINED_KEYS = ("apikey", "accesskey", "privatekey", "accountkey", "sessionkey")
# A name whose last word is one of these names where a credential is, not what it is.
_REFERENCE_WORDS = frozenset({"file", "path", "filename", "dir", "url", "uri"})
# Keys that are not secrets although named "... key": a public key, a KMS key's id.
_NOT_SECRET_KEY_WORDS = frozenset({"public", "kms"})
# Values of a credential option that select a way to authenticate, not a credential (gcsfs's token).
_NOT_SECRET_VALUES = frozenset({"anon", "google_default", "cloud", "browser", "cache"})
# A path to a credential file: home- or dot-relative, a drive, or with a credential file's suffix.
# An absolute path counts when its last part has a '.', which no base64 secret has.
_PATH_LIKE = re.compile(r"^(~|\.{1,2}[/\\]|[A-Za-z]:[\\/])|^/[^\s]*/[^/\s]*\.[^/\s]*\Z|\.(json|pem|p12|key|crt)\Z")
_SHORTEST_SECRET = 4  # shorter values would mask ordinary words in messages


def is_secret_name(name: str) -> bool:
    """Is `name` (an option, a query parameter) the name of a credential? `key`, `secret`,
    `token`, `aws_secret_access_key`, `client_kwargs`' `aws_session_token`, `password`, `api_key`,
    `private_key`, `credentials`, `sig`... but not `credentials_file` or `token_uri`."""
    words = _words(name)
    if not words or words[-1] in _REFERENCE_WORDS or name.lower().endswith(("file", "path")):
        return False
    lowered = "".join(words)
    if any(part in lowered for part in (*_SECRET_PARTS, *_JOINED_KEYS)) or words[-1] == "sig":
        return True
    if words[-1] == "id":  # access_key_id
        words = words[:-1]
    return bool(words) and words[-1] == "key" and not _NOT_SECRET_KEY_WORDS & set(words)


def is_secret_option(key: str, value: Any) -> bool:
    """Does option `key` with `value` hold a credential? A token given as a mapping (gcsfs's
    service-account info) or as a file's contents does; a path to a key file, "anon", an empty
    value or a flag does not."""
    if not is_secret_name(str(key)) or value is None or isinstance(value, bool) or value == "":
        return False
    if isinstance(value, str):
        text = value.strip()
        return text.startswith("{") or not (text in _NOT_SECRET_VALUES or _PATH_LIKE.search(text))
    return True


def _words(name: str) -> list[str]:
    """`aws_secret_access_key` -> [aws, secret, access, key]; `SSECustomerKey` -> [ssecustomer, key]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [word for word in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if word]


def has_credentials(url: str) -> bool:
    """True if `url` carries a secret: `user:pass@` (or a bare `user@` token) or a secret query parameter."""
    return redact_url(url) != url


def url_secrets(url: str) -> list[str]:
    """The secret parts of `url` (userinfo and its pieces, secret query values), to mask in
    texts that may quote them in another form."""
    found: list[str] = []
    for match in _URL_USER.finditer(url):
        if _userinfo(match.group(2)):
            info = match.group(2)
            found += [info, *(part for part in info.split(":") if len(part) >= _SHORTEST_SECRET)]
    found += [match.group(3) for match in _QUERY_PARAM.finditer(url) if is_secret_name(match.group(2))]
    return found


def redact_url(url: str) -> str:
    """`s3://KEY:SECRET@bucket/p` -> `s3://***@bucket/p`; `?token=abc` -> `?token=***`."""
    return redact_text(url)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with credentials in URLs, query strings and auth headers masked, and every one of
    `secrets` (known credential values: options, tokens) replaced wherever it appears."""
    for secret in sorted({s for s in secrets if isinstance(s, str) and len(s) >= _SHORTEST_SECRET}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_USER.sub(lambda m: f"{m.group(1)}{MASK}@" if _userinfo(m.group(2)) else m.group(0), text)
    text = _QUERY_PARAM.sub(lambda m: m.group(1) + MASK if is_secret_name(m.group(2)) else m.group(0), text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


def _userinfo(before_at: str) -> bool:
    """Is the text between `://` and the first '@' userinfo rather than a host and path with an '@'
    in it? Yes without a '/', or with a ':' before the first '/' (AWS secret keys hold '/')."""
    if before_at == MASK:
        return False  # already masked
    head, slash, _ = before_at.partition("/")
    return not slash or ":" in head


def redact_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """A copy safe to print: credential values become '***' (paths to credential files stay)."""
    shown: dict[str, Any] = {}
    for key, value in options.items():
        if is_secret_option(str(key), value):
            shown[key] = MASK
        elif isinstance(value, Mapping):
            shown[key] = redact_options(value)
        elif isinstance(value, str):
            shown[key] = redact_text(value)
        else:
            shown[key] = value
    return shown


def option_secrets(options: Any) -> list[str]:
    """Every credential value in (nested) storage options, and the secret parts of URL values."""
    found: list[str] = []
    if isinstance(options, Mapping):
        for key, value in options.items():
            if isinstance(value, Mapping):  # a secret mapping (a service account's) too: its secret fields
                found += option_secrets(value)
            elif is_secret_option(str(key), value):
                found.append(str(value))
            elif isinstance(value, str):
                found += url_secrets(value)
    return found

