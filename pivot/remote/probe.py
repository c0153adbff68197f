"""Whether a remote answers: one request, on a thread the caller stops waiting for after a
timeout (a dead endpoint can otherwise hold a connection for a minute, with the backend's own
retries), for `pivot doctor`."""

from __future__ import annotations

import os
import pathlib
import threading

from pivot import errors
from pivot.remote import fs
from pivot.remote.spec import RemoteSpec

# An object id no push ever writes (all zeros): asking for it costs one request and finds nothing.
_PROBE_OID = "0" * 32


def problem(spec: RemoteSpec, timeout: float) -> tuple[str, str | None] | None:
    """None when the remote answers within `timeout` seconds; else what went wrong, and the
    hint the failure carries (None when it has none)."""
    if spec.protocol in ("file", "local"):
        return _local_problem(pathlib.Path(spec.url.removeprefix("file://")))
    outcome: list[tuple[str, str | None] | None] = []

    def ask() -> None:
        try:
            fs.Remote(spec, attempts=1).missing({_PROBE_OID}, jobs=1, listing=False)
            outcome.append(None)
        except errors.PivotError as exc:
            outcome.append((exc.message, exc.hint))
        except Exception as exc:  # whatever the backend raises, doctor reports it, never a traceback
            outcome.append((f"{type(exc).__name__}: {exc}", None))

    # A daemon thread: a request that never returns must not keep the process alive at exit.
    thread = threading.Thread(target=ask, name=f"probe-{spec.name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        return f"no answer from {spec.shown_url} in {timeout:g}s", None
    return outcome[0]


def _local_problem(path: pathlib.Path) -> tuple[str, str | None] | None:
    """A directory remote exists from its first push on: before that, its nearest existing
    parent must be a writable directory."""
    here = path
    while not here.exists() and here != here.parent:
        here = here.parent
    if not here.is_dir():
        return f"{here} is not a directory", "point the remote at a directory: pivot remote modify NAME url PATH"
    if not os.access(here, os.W_OK | os.X_OK):
        return f"{here} is not writable", f"make {here} writable, or point the remote elsewhere"
    return None
