"""How a cache object and a workspace file are made from each other: reflink, copy (in the
kernel), hardlink or symlink, and `cache.type`, the order in which to try them."""

from __future__ import annotations

import contextlib
import enum
import errno
import os
from collections.abc import Callable, Iterator, Sequence

from pivot import errors
from pivot.storage import hashing

try:
    import fcntl
except ImportError:  # Windows: no reflinks, copies only
    fcntl = None  # type: ignore[assignment]

REFLINK_POSSIBLE = fcntl is not None

_FICLONE = 0x40049409  # linux/fs.h: _IOW(0x94, 9, int)
# errnos meaning "this filesystem cannot clone at all", so we stop asking for this cache.
NO_REFLINK = {errno.EOPNOTSUPP, errno.ENOTTY, errno.ENOSYS, errno.EINVAL}


class LinkType(enum.Enum):
    REFLINK = "reflink"
    COPY = "copy"
    HARDLINK = "hardlink"
    SYMLINK = "symlink"


DEFAULT_LINK_TYPES = (LinkType.REFLINK, LinkType.COPY)
WORKSPACE_LINKS = (LinkType.HARDLINK, LinkType.SYMLINK)


def parse_cache_type(value: str | Sequence[str] | None) -> tuple[LinkType, ...]:
    """`cache.type` as DVC spells it: link types to try in order, e.g. "reflink,hardlink,copy".

    A YAML list of names is accepted too.
    """
    if value is None:
        return DEFAULT_LINK_TYPES
    allowed = ", ".join(kind.value for kind in LinkType)
    raw = value.split(",") if isinstance(value, str) else list(value)
    names = [str(name).strip().lower() for name in raw] or [""]
    kinds: list[LinkType] = []
    for name in names:
        try:
            kind = LinkType(name)
        except ValueError:
            raise errors.ConfigError(
                f"cache.type {value!r}: unknown link type {name!r}; allowed: {allowed}",
                hint="use a comma-separated list in order of preference, e.g. 'reflink,copy'",
            ) from None
        if kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)


def reflink(src: str, dst: str) -> int:
    if fcntl is None:
        raise OSError(errno.EOPNOTSUPP, "reflinks are not supported on this platform")
    with _open_pair(src, dst) as (src_fd, dst_fd):
        fcntl.ioctl(dst_fd, _FICLONE, src_fd)
        return os.fstat(dst_fd).st_size


def clones_in(directory: str) -> bool:
    """Whether files in `directory` can be cloned at all: False only when the filesystem refuses
    (NO_REFLINK); anything else, as a failure to probe, leaves the answer to the real clones."""
    if fcntl is None:
        return False
    first = os.path.join(directory, f".probe.{os.urandom(6).hex()}")
    second = first + ".clone"
    try:
        with open(first, "xb"):
            pass
        reflink(first, second)
    except OSError as exc:
        return exc.errno not in NO_REFLINK
    finally:
        for path in (first, second):
            with contextlib.suppress(OSError):
                os.unlink(path)
    return True


def copy(src: str, dst: str) -> int:
    """Copy in the kernel (sendfile), as shutil.copyfile does, minus its extra stat calls.

    The new file gets 0o666 & ~umask: restored copies are writable by the user.
    """
    with _open_pair(src, dst) as (src_fd, dst_fd):
        size = os.fstat(src_fd).st_size
        offset = 0
        try:
            while offset < size and (sent := os.sendfile(dst_fd, src_fd, offset, size - offset)):
                offset += sent
        except (AttributeError, OSError) as exc:  # no sendfile here (platform or filesystem)
            if offset or isinstance(exc, FileNotFoundError):
                raise
            while chunk := os.read(src_fd, hashing.CHUNK_SIZE):
                offset += os.write(dst_fd, chunk)
        return offset


@contextlib.contextmanager
def _open_pair(src: str, dst: str) -> Iterator[tuple[int, int]]:
    """Open `src` for reading and create `dst` (which must not exist); `dst` is removed on error."""
    src_fd = os.open(src, os.O_RDONLY)
    try:
        dst_fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            yield src_fd, dst_fd
        except BaseException:
            os.close(dst_fd)
            os.unlink(dst)
            raise
        os.close(dst_fd)
    finally:
        os.close(src_fd)


def hardlink(src: str, dst: str) -> int:
    os.link(src, dst)
    return -1  # callers that need the size use hardlink_or_copy


def symlink(src: str, dst: str) -> int:
    os.stat(src)  # a symlink to a missing object would "succeed" and restore nothing
    os.symlink(os.path.abspath(src), dst)
    return -1


def hardlink_or_copy(src: str, dst: str) -> int:
    try:
        os.link(src, dst)
    except FileNotFoundError:
        raise
    except OSError:  # another filesystem, or links not allowed: copy instead
        return copy(src, dst)
    return os.stat(dst).st_size


LINKERS: dict[LinkType, Callable[[str, str], int]] = {
    LinkType.REFLINK: reflink,
    LinkType.COPY: copy,
    LinkType.HARDLINK: hardlink,
    LinkType.SYMLINK: symlink,
}
