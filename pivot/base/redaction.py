"""What pivot may show of a secret: nothing. The one place that turns URLs, storage options and
free text (server errors, signed requests) into text safe to print or log, with every credential
replaced by `***`. Everything that shows a remote's URL, its options or a backend's error goes
through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

# `scheme://userinfo@` anywhere in a text; whether the part before '@' really is userinfo is
# decided in `_userinfo` (a path may hold an '@' too).
_URL_USER = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^\s@'\"<>]+)@")
# Query parameters that carry secrets: tokens, passwords, signatures of pre-signed requests
# (X-Amz-Signature, X-Amz-Credential, GCS's X-Goog-Signature, Azure's sig), API keys.
_QUERY_SECRET = re.compile(
    r"([?&;][\w.-]*(?:token|secret|password|passwd|signature|credential|access_key|accesskey|api_key|apikey|sig|key)[\w.-]*=)"
    r"([^&\s'\"<>#]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
# Option names whose values are credentials (DVC's names, fsspec's, boto's).
_SECRET_WORDS = ("secret", "token", "password", "passwd", "key", "credential")
_PATH_LIKE = re.compile(r"^(/|~|\.{1,2}/|[A-Za-z]:[\\/])|\.(json|pem|p12|key)\Z")
_NOT_SECRET_VALUES = frozenset({"anon", "google_default", "cloud", "browser", "cache"})
_SHORTEST_SECRET = 4  # shorter values would mask ordinary words in messages


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
    found += [match.group(2) for match in _QUERY_SECRET.finditer(url)]
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
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)
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
        if isinstance(value, Mapping):
            shown[key] = redact_options(value)
        elif is_secret_option(str(key), value):
            shown[key] = MASK
        elif isinstance(value, str):
            shown[key] = redact_text(value)
        else:
            shown[key] = value
    return shown


def is_secret_option(key: str, value: Any) -> bool:
    """Does option `key` hold a credential (not a path to a credential file, nor "anon")?"""
    lowered = key.lower()
    if not any(word in lowered for word in _SECRET_WORDS) or value is None or isinstance(value, bool):
        return False
    # A key *file* (or "anon") tells where credentials are, not what they are.
    return not (isinstance(value, str) and (_PATH_LIKE.search(value) or value in _NOT_SECRET_VALUES))


def option_secrets(options: Any) -> list[str]:
    """Every credential value in (nested) storage options, and the secret parts of URL values."""
    found: list[str] = []
    if isinstance(options, Mapping):
        for key, value in options.items():
            if isinstance(value, Mapping):
                found += option_secrets(value)
            elif isinstance(value, str):
                found += [value] if is_secret_option(str(key), value) else url_secrets(value)
    return found
