"""What a storage backend's error means: worth a retry or not, its message on one line without
any credential, and what the user should check. Backends raise anything (OSError, botocore,
aiohttp, google-auth...), so this goes by types, errnos and the names in the text.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.base import redaction

# Errors no retry can fix. Anything else (connection refused or reset, timeouts, 5xx, throttling,
# a server closing a pooled connection after a restart) is worth another try.
_PERMANENT_TYPES = (
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
    FileExistsError,
    ValueError,
    TypeError,
    NotImplementedError,
    errors.PivotError,
)
_PERMANENT_ERRNOS = frozenset({errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT, errno.EPERM})
_CREDENTIAL_WORDS = ("Credential", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden")
_PERMANENT_NAMES = ("NoSuchBucket", *_CREDENTIAL_WORDS)


def is_transient(exc: BaseException) -> bool:
    """Worth another try: not a missing object, a refusal, a bad argument or a credential."""
    if isinstance(exc, _PERMANENT_TYPES):
        return False
    if isinstance(exc, OSError) and exc.errno in _PERMANENT_ERRNOS:
        return False
    names = " ".join(cls.__name__ for cls in type(exc).__mro__) + " " + str(exc)[:200]
    return not any(name in names for name in _PERMANENT_NAMES)


def describe(exc: BaseException, options: Mapping[str, Any], url: str = "") -> str:
    """The backend's message on one line, without any credential the options or URL hold, nor
    any a server echoed (a signed request's signature, a URL with userinfo)."""
    text = " ".join(str(exc).split()) or "no message"
    text = redaction.redact_text(text, [*redaction.option_secrets(options), *redaction.url_secrets(url)])
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}"


def hint(exc: BaseException, name: str) -> str:
    """What to check, for remote `name`."""
    text = f"{type(exc).__name__} {exc}"
    if isinstance(exc, PermissionError) or any(word in text for word in _CREDENTIAL_WORDS):
        return (
            f"check the credentials for '{name}': AWS_* or GOOGLE_APPLICATION_CREDENTIALS, "
            f"or pivot remote modify --local {name} profile|token ..."
        )
    if isinstance(exc, OSError) and exc.errno in _PERMANENT_ERRNOS:
        return f"the storage behind '{name}' refuses writes (full, read-only or not ours)"
    if "NoSuchBucket" in text or "bucket does not exist" in text.lower():
        return f"create the bucket, or fix the url: pivot remote modify {name} url ..."
    return "is the remote reachable? check its url and endpoint_url: pivot remote list"
