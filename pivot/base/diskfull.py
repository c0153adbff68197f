"""What a full disk looks like to the user: which errors mean "no space left", and the one
`DiskFullError` they become, naming the path pivot was writing and the file system it is on.

Every write pivot makes goes through a temp name and a rename (`pivot.base.atomic`, the cache, the
stage worker), so a write that fails here leaves what was stored before untouched; the error
only has to say where space ran out and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator

from pivot import errors

# EDQUOT: a quota, which to the user is the same as a full disk.
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_DOT_DIR = ".pivot"  # pivot.base.project.PIVOT_DIR; this module sits below it


def is_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in FULL_ERRNOS


def error(path: str | os.PathLike[str] | None, *, near: str | os.PathLike[str] | None = None) -> errors.DiskFullError:
    """The error for a write to `path` that found no space; with no path (a `write()` does not
    say which file it was), the mount point of `near` (or of the current directory)."""
    if path is None:
        where = os.path.abspath(near or os.curdir)
        shown = mount_point(where)
    else:
        where = os.path.abspath(path)
        shown = _shown(where)
    mount = mount_point(where)
    inside = _project_root(where) is not None
    cure = " ('pivot gc' deletes cache objects that nothing references)" if inside else ""
    return errors.DiskFullError(
        f"no space left on {shown}",
        hint=f"free some space on {mount}{cure}, then run the command again; "
        "what pivot stored before is intact",
        path=where,
    )


def from_os_error(exc: OSError, *, near: str | os.PathLike[str] | None = None) -> errors.DiskFullError:
    """`error` for a full-disk OSError raised by code that did not say what it wrote: the file
    the OSError names, if any (`write()` names none)."""
    if isinstance(exc, errors.DiskFullError):
        return exc
    name = exc.filename
    return error(os.fsdecode(name) if isinstance(name, str | bytes | os.PathLike) else None, near=near)


@contextlib.contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn a full-disk OSError raised inside the block into `DiskFullError` naming `path`."""
    try:
        yield
    except errors.DiskFullError:
        raise  # already names the innermost path being written
    except OSError as exc:
        if exc.errno in FULL_ERRNOS:
            raise error(path) from None
        raise


def mount_point(path: str) -> str:
    """The mount point of the file system `path` is (or would be) on."""
    current = os.path.abspath(path)
    while not os.path.exists(current):
        current = os.path.dirname(current)
    while not os.path.ismount(current):
        current = os.path.dirname(current)
    return current


def _shown(path: str) -> str:
    """Project-relative inside a project (the nearest directory holding .pivot/), else absolute."""
    root = _project_root(path)
    return path if root is None or root == path else os.path.relpath(path, root)


def _project_root(path: str) -> str | None:
    current = path if os.path.isdir(path) else os.path.dirname(path)
    while True:
        if os.path.isdir(os.path.join(current, _DOT_DIR)):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
