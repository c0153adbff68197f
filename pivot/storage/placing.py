"""Putting files in place in the workspace, atomically: hidden temp siblings on the same
filesystem, a file turned into a link to its cache object, a restored file or directory swapped
in whole, and removal of what a failed step left behind. Used by `pivot.storage.cache`.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import stat
import sys
from collections.abc import Callable

from pivot import errors
from pivot.storage import links
from pivot.storage.links import LinkType
from pivot.storage.state import Hasher


def write_new(path: str, data: bytes) -> int:
    """Write `data` to a file that must not exist yet; the number of bytes written."""
    with open(path, "xb") as handle:
        return handle.write(data)


def link_in_place(obj: str, workspace: str, kind: LinkType) -> None:
    """Make the workspace file a hardlink/symlink to its object, atomically (temp + replace)."""
    if kind is LinkType.HARDLINK:
        if os.path.samestat(os.stat(obj), os.lstat(workspace)):
            return
    elif os.path.islink(workspace) and os.readlink(workspace) == os.path.abspath(obj):
        return
    tmp = sibling(workspace, "link")
    try:
        links.LINKERS[kind](obj, tmp)
        os.replace(tmp, workspace)
    except BaseException:
        unlink_quietly(tmp)
        raise


def already_there(dest: pathlib.Path, oid: str, hasher: Hasher) -> bool:
    """`dest` holds the content `oid` names (hashed through the stat memo), so nothing to do."""
    if not os.path.lexists(dest):
        return False
    try:
        return hasher.hash_path(dest).info.oid == oid
    except (OSError, errors.PivotError):
        return False


def swap_into_place(tmp: pathlib.Path, dest: pathlib.Path) -> None:
    """Replace whatever is at `dest` with `tmp`; an old directory is moved aside, then removed."""
    is_real_dir = dest.is_dir() and not dest.is_symlink()
    if not tmp.is_dir() and not is_real_dir:
        os.replace(tmp, dest)
        return
    if not os.path.lexists(dest):
        os.replace(tmp, dest)
        return
    old = pathlib.Path(sibling(os.fspath(dest), "old"))
    os.replace(dest, old)
    try:
        os.replace(tmp, dest)
    except BaseException:
        os.replace(old, dest)
        raise
    remove(old)


def sibling(path: str, tag: str) -> str:
    """A hidden temp name next to `path` (same filesystem, so os.replace is atomic)."""
    directory, name = os.path.split(path)
    # Keep within NAME_MAX (255) however long the original name is.
    return os.path.join(directory, f".{name[:200]}.pivot-{tag}-{os.urandom(4).hex()}")


def remove(path: pathlib.Path) -> None:
    if path.is_dir() and not path.is_symlink():
        rmtree(path)
    else:
        unlink_quietly(os.fspath(path))


def rmtree(path: pathlib.Path) -> None:
    def make_writable_and_retry(function: Callable[[str], object], failed: str, *_: object) -> None:
        # A read-only directory blocks deleting what is inside it; we own it, so open it up.
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed), stat.S_IRWXU)
            function(failed)

    import shutil  # on first use: shutil imports bz2 and lzma (2 ms of every run's start)

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=make_writable_and_retry)
    else:
        shutil.rmtree(path, onerror=make_writable_and_retry)


def unlink_quietly(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
