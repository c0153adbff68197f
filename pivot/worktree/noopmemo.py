"""The whole-project no-op memo (`.pivot/tmp/noop.memo`): "the last run left nothing to do, and
these are the stats of every file that could change that".

A `pivot run` whose every stage is up to date still loads the pipeline, reads every lock and
hashes every dep and output through the stat memo. This memo answers the same question from
stats alone: it lists every watched file (pivot.yaml, params.yaml, the Python sources loading and
fingerprints went through, each stage's lock, deps and outputs with everything inside a
directory, the `.pvt` files that would make an output tracked data, the project config) with its
inode, size, mtime and ctime, or its absence. When every one of them stats as recorded (and pivot,
Python and the run's targets are the same), the run has nothing to do. Any difference, or any
doubt, and the run decides every stage as usual. An edit always changes ctime (user space cannot
set it), so trusting these stats is as safe as the stat memo trusting (inode, mtime, size).

Only what `pivot.api.noop` records after validating it is written here: this module only takes
stats, compares them and keeps the format (marshal, `_VERSION`), so a change of the lock or
fingerprint format only needs pivot's own files to change, which invalidates the memo.
"""

from __future__ import annotations

import array
import contextlib
import dataclasses
import functools
import marshal
import os
import stat
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import pivot
from pivot.base import atomic
from pivot.base import project as project_mod

_VERSION = 1
_PIVOT_DIR = os.path.dirname(os.path.abspath(pivot.__file__))
# (mode, inode, size, mtime_ns, ctime_ns); None: the path does not exist.
Stamp = tuple[int, int, int, int, int] | None
# A watched path with everything beneath it when it is a directory: ((relpath, stamp), ...).
Tree = tuple[tuple[str, Stamp], ...]
_ABSENT = (0, 0, 0, 0, 0)  # a stamp's five numbers for a path that does not exist (no file has mode 0)
_INODE_BITS = (1 << 63) - 1  # stamps are kept as signed 64-bit numbers
DIGEST_LIMIT = 1 << 20  # bytes: a fresher, larger file makes the run wait for its stamp instead


@dataclasses.dataclass(frozen=True, slots=True)
class Memo:
    """A validated no-op: the run of `targets` had nothing to do while `files` stat as recorded."""

    targets: tuple[str, ...]
    files: tuple[str, ...]  # root-relative
    stamps: bytes  # five signed 64-bit numbers per file (`pack`)
    digests: tuple[tuple[str, str], ...]  # files whose stamps were too fresh to trust alone (`digest`)
    stages: tuple[str, ...]  # the selected stages, in run order
    shown: tuple[str, ...]  # their outputs git tracks (the .gitignore lines of the others are watched)


def pack(stamps: Iterable[Stamp]) -> bytes:
    """Stamps as one compact block: reading and comparing it costs no object per file."""
    packed = array.array("q")
    for st in stamps:
        packed.extend(_ABSENT if st is None else (st[0], st[1] & _INODE_BITS, *st[2:]))
    return packed.tobytes()


def stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def tree(root: str, rel: str) -> Tree | None:
    """`rel` and, for a directory, every entry beneath it (a new or removed entry changes its
    directory's mtime; an edited file its own stats). None: a symlink to a directory inside,
    which a memo keyed by paths cannot follow safely."""
    top = stamp(os.path.join(root, rel))
    found: list[tuple[str, Stamp]] = [(rel, top)]
    if top is None or not stat.S_ISDIR(top[0]):
        return tuple(found)
    pending = [rel]
    while pending:
        directory = pending.pop()
        with os.scandir(os.path.join(root, directory)) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                child = f"{directory}/{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    pending.append(child)
                elif entry.is_symlink() and entry.is_dir():
                    return None
                found.append((child, stamp(entry.path)))
    return tuple(found)


def snapshot(root: str, rels: Iterable[str], flat: Iterable[str] = ()) -> dict[str, Tree] | None:
    """The tree of every path in `rels`, and the stamp alone of each directory in `flat` (whose
    mtime says whether an entry was added to it); None if one cannot be watched."""
    trees = {}
    for rel in dict.fromkeys(rels):
        found = tree(root, rel)
        if found is None:
            return None
        trees[rel] = found
    for rel in flat:
        if rel not in trees:
            trees[rel] = ((rel, stamp(os.path.join(root, rel))),)
    return trees


def unsettled(trees: Mapping[str, Tree], now_ns: int, window_ns: int, coarse_window_ns: int) -> set[str]:
    """The paths whose stamp is not safely in the past: a second write within the clock tick of
    the first leaves the stats as they were, so a stamp alone is trusted only once its mtime and
    ctime are `window_ns` old (`coarse_window_ns` for whole-second times: a filesystem that keeps
    seconds only). The stamps were taken after `now_ns`."""
    fresh = set()
    for found in trees.values():
        for rel, st in found:
            if st is not None:
                last = max(st[3], st[4])
                window = coarse_window_ns if last % 1_000_000_000 == 0 else window_ns
                if now_ns - last < window:
                    fresh.add(rel)
    return fresh


def digest(root: str, rel: str) -> str | None:
    """What a stamp cannot vouch for yet: a file's bytes, a directory's entry names, as xxh3-128
    ("" when absent); None for a file over `DIGEST_LIMIT` (not worth reading on every run)."""
    import xxhash  # only a run that just wrote files, or the one after it, reads any

    path = os.path.join(root, rel)
    try:
        if os.path.isdir(path):
            return xxhash.xxh3_128_hexdigest("\0".join(sorted(os.listdir(path))).encode())
        if os.path.getsize(path) > DIGEST_LIMIT:
            return None
        with open(path, "rb") as handle:
            return xxhash.xxh3_128_hexdigest(handle.read())
    except FileNotFoundError:
        return ""


@functools.cache  # the code this process runs: its files as they were when it was first asked
def environment() -> tuple[Any, ...]:
    """What else a recorded answer depends on: this Python, this pivot, down to its own files (a
    development checkout or an upgrade never reads an answer other code gave)."""
    stamps = []
    skip = len(_PIVOT_DIR) + 1
    folders = [_PIVOT_DIR]
    while folders:  # (scandir and slicing: a third of os.walk's and relpath's time, on every run)
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        folders.append(entry.path)
                elif entry.name.endswith(".py"):
                    stamps.append((entry.path[skip:], entry.stat().st_mtime_ns))
    return (_VERSION, sys.version, pivot.__version__, _PIVOT_DIR, tuple(sorted(stamps)))


def _path(proj: project_mod.Project) -> str:
    return os.fspath(proj.noop_memo)


def read(proj: project_mod.Project, targets: tuple[str, ...]) -> Memo | None:
    """The memo for a run of `targets`, if one was recorded by this pivot; not yet checked."""
    try:
        with open(_path(proj), "rb") as handle:
            data = marshal.loads(handle.read())  # in one read: marshal.load(file) reads object by object
        env, root, recorded, files, stamps, digests, stages, shown = data
        memo = Memo(tuple(recorded), _split(files), stamps, tuple(digests.items()), _split(stages), _split(shown))
    except Exception:  # absent, damaged, or another format: decide as usual
        return None
    if root != str(proj.root) or memo.targets != key(proj, targets) or env != environment():
        return None
    return memo


def key(proj: project_mod.Project, targets: tuple[str, ...]) -> tuple[str, ...]:
    """The targets as a memo records them: with the directory they were given in, since a target
    may be a path relative to it (`pivot run ../data/out.csv`)."""
    if not targets:
        return ()
    return (*targets, f"(in {os.path.relpath(os.getcwd(), proj.root)})")


def holds(proj: project_mod.Project, memo: Memo) -> bool:
    """Whether every watched file still stats as recorded (any doubt, such as a directory that
    cannot be read any more: no)."""
    try:
        return _holds(proj, memo)
    except OSError:
        return False


def _holds(proj: project_mod.Project, memo: Memo) -> bool:
    root = str(proj.root) + os.sep
    found = array.array("q")
    add, absent, inode_bits = found.extend, _ABSENT, _INODE_BITS
    for rel in memo.files:
        try:
            st = os.stat(root + rel)
        except (FileNotFoundError, NotADirectoryError):
            add(absent)
        else:
            add((st.st_mode, st.st_ino & inode_bits, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    if found.tobytes() != memo.stamps:
        return False
    return all(digest(root, rel) == recorded for rel, recorded in memo.digests)


def write(proj: project_mod.Project, memo: Memo) -> None:
    """Keep the memo; never fails a run (it only saves time next time)."""
    data = (
        environment(),
        str(proj.root),
        memo.targets,
        _joined(memo.files),
        memo.stamps,
        dict(memo.digests),
        _joined(memo.stages),
        _joined(memo.shown),
    )
    with contextlib.suppress(OSError, ValueError):
        os.makedirs(proj.tmp_dir, exist_ok=True)
        atomic.write_bytes(proj.noop_memo, marshal.dumps(data), durable=False)


# Names and paths are kept as one string each: no path or stage name holds a NUL byte.
def _joined(items: tuple[str, ...]) -> str:
    return "\0".join(items)


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split("\0")) if text else ()
