"""The stat memo in `.pivot/state.db` (absolute path -> inode, mtime_ns, size, oid), and the
`Hasher` that consults it so a file is read only when its stat changed since it was last hashed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import stat
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pivot import errors
from pivot.base import diskfull, lifetime
from pivot.storage import hashing
from pivot.storage.hashing import FileEntry, Hashed, HashInfo

if TYPE_CHECKING:  # imported when the memo is first opened (_sqlite): a first run opens it only once its stages run
    import sqlite3

_T = TypeVar("_T")
StrPath = str | os.PathLike[str]
_Row = tuple[int, int, int, str]  # inode, mtime_ns, size, oid

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    path BLOB PRIMARY KEY,
    inode INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    oid TEXT NOT NULL
) WITHOUT ROWID
"""
# Stay under SQLite's historic 999-variable limit whatever version Python was built with.
_BATCH = 900
# SQLite's primary result codes (its stable C API; the sqlite3 module's SQLITE_* constants).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26
# The memo is only a shortcut: if the database is damaged it is rebuilt, and if it cannot be
# used right now (another process holds it, read-only) we hash without it.
_CORRUPT = {_SQLITE_CORRUPT, _SQLITE_NOTADB}
_UNAVAILABLE = {_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_CANTOPEN}
# A full disk shows as "database or disk is full", or as "disk I/O error" when SQLite cannot grow
# its -wal/-shm files: the memo is then off for the rest of the command (every file is hashed),
# rather than failing a command that may need no other write (status, an up-to-date run).
_GIVE_UP = {_SQLITE_FULL, _SQLITE_IOERR}

# "Racy" files: a write within the same filesystem clock tick as the previous one leaves mtime
# unchanged, so a memo entry is trusted only for a file whose mtime was already safely in the past
# when we stat'ed it; fresher files are simply hashed again next time. Linux ticks are <= 10 ms;
# filesystems that keep whole seconds (ext3, FAT, some NFS) show mtimes on exact second boundaries.
RACY_WINDOW_NS = 100_000_000
COARSE_RACY_WINDOW_NS = 2_000_000_000


class StateDB:
    """The sqlite stat memo; opened on first use, rebuilt from scratch if found corrupt.

    A memo not yet on disk (a first run, a fresh clone) is not created to be asked for what it
    cannot hold: until `flush` (a run calls it once its first stages are under way) or `close`,
    what is learned is kept here. Creating it costs ~2 ms, which would delay a first run's stages.

    Calls are serialized by a lock, so a callback thread (futures' done-callbacks) may use it too.
    """

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.off = False  # set once the disk was found full: no memo until the next command
        # The error to end the command with once its work is done: the memo could not be written
        # because the disk is full, which the user must hear about even when nothing else failed.
        self.full: errors.DiskFullError | None = None
        self._absent: bool | None = None  # whether there was no memo on disk when first looked for
        self._pending: dict[bytes, _Row] = {}  # learned while it is absent: written by `flush`

    def __enter__(self) -> StateDB:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get(self, path: StrPath, st: os.stat_result) -> str | None:
        """The memoized oid of `path`, only if its inode, mtime_ns and size all still match."""
        return self.get_many([(path, st)])[0]

    def get_many(self, items: Sequence[tuple[StrPath, os.stat_result]]) -> list[str | None]:
        keys = [_key(path) for path, _ in items]
        empty: dict[bytes, _Row] = {}
        with self._lock:
            found = self._pending if self._not_made() else self._attempt(lambda conn: _select(conn, keys), default=empty)
        result: list[str | None] = []
        for key, (_, st) in zip(keys, items, strict=True):
            row = found.get(key)
            if row is not None and row[:3] == (_inode(st), st.st_mtime_ns, st.st_size):
                result.append(row[3])
            else:
                result.append(None)
        return result

    def put_many(self, rows: Sequence[tuple[StrPath, os.stat_result, str]]) -> None:
        """Record hashes in one transaction."""
        if not rows:
            return
        values = [(_key(p), _inode(st), st.st_mtime_ns, st.st_size, oid) for p, st, oid in rows]
        with self._lock:
            if self._not_made():
                self._pending.update((value[0], value[1:]) for value in values)
                return
            self._attempt(lambda conn: _upsert(conn, values), default=None)

    def flush(self) -> None:
        """Create the memo if it was absent, with what was learned meanwhile."""
        with self._lock:
            if not self._not_made():
                return
            self._absent = False
            pending = [(key, *row) for key, row in self._pending.items()]
            self._pending = {}
            self._attempt(lambda conn: _upsert(conn, pending) if pending else None, default=None)

    def close(self) -> None:
        """Done with the memo. In the pivot program the connection is left to the kernel (`_keep`)."""
        if self._pending:
            self.flush()
        with self._lock:
            if lifetime.ends_after_command and self._conn is not None:
                _keep(self._conn)
                self._conn = None
                return
            self._close()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _not_made(self) -> bool:
        """No memo on disk and none opened (looked for once: one made meanwhile by another
        command is only a missed shortcut)."""
        if self._conn is not None or self.off:
            return False
        if self._absent is None:
            self._absent = not os.path.exists(self.path)
        return self._absent

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = _sqlite().connect(
                self.path, isolation_level=None, timeout=10, check_same_thread=False
            )
            try:
                # Made without waiting for the disk (six syncs, ~5 ms, on a first run): a new
                # memo holds nothing to lose, and a memo a power cut damages is rebuilt (_CORRUPT).
                conn.execute("PRAGMA synchronous=OFF")
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(_SCHEMA)
                conn.execute("PRAGMA synchronous=NORMAL")  # the WAL's commits keep the memo consistent
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _attempt(self, operation: Callable[[sqlite3.Connection], _T], default: _T) -> _T:
        if self.off:
            return default
        for attempt in (1, 2):
            try:
                return operation(self._connection())
            except _database_error() as exc:
                code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
                if code in _CORRUPT and attempt == 1:
                    self._discard()
                    continue
                if code in _UNAVAILABLE or code in _GIVE_UP:
                    self._close()
                    self.off = code in _GIVE_UP
                    if code == _SQLITE_FULL or (code in _GIVE_UP and _no_space(self.path)):
                        self._found_full()
                    return default
                raise
            except OSError as exc:  # .pivot/ cannot be created (read-only checkout): no memo
                self.off = diskfull.is_full(exc)
                if self.off:
                    self._found_full()
                return default
        return default

    def _found_full(self) -> None:
        if self.full is None:
            full = diskfull.error(self.path)
            self.full = errors.DiskFullError(
                full.message,
                hint=f"what pivot showed and did above is complete (files were hashed without the stat memo); {full.hint}",
                path=str(self.path),
            )

    def _discard(self) -> None:
        self._close()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")


# The pivot program's closed connections, left open (pivot.base.lifetime): SQLite's last close
# checkpoints the WAL into the database with two syncs, 1-5 ms at the end of every command that
# used the memo. Left open, the kernel closes it as the program exits; the WAL stays, and the next
# command's open reads it, as after any crash (which WAL mode is made for); commits that grow it
# past SQLite's limit checkpoint it as usual. One is kept at a time: keeping another closes the one
# before, which is not the last connection then, so it does not checkpoint either.
_kept: list[sqlite3.Connection] = []


def _keep(conn: sqlite3.Connection) -> None:
    _kept.append(conn)
    while len(_kept) > 1:
        with contextlib.suppress(_sqlite().Error):
            _kept.pop(0).close()


def _sqlite() -> Any:
    import sqlite3

    return sqlite3


def _database_error() -> type[Exception]:
    error: type[Exception] = _sqlite().DatabaseError
    return error


def _no_space(path: pathlib.Path) -> bool:
    """Whether the file system holding `path` is full: SQLite reports a failed -wal/-shm growth
    as a plain I/O error, which may also be a failing disk or a network file system."""
    with contextlib.suppress(OSError):
        info = os.statvfs(path.parent)
        return info.f_bavail * info.f_frsize < 64 * 1024
    return False


def _key(path: StrPath) -> bytes:
    # Bytes, not text: POSIX file names need not be valid UTF-8.
    return os.fsencode(os.path.abspath(path))


def _inode(st: os.stat_result) -> int:
    # SQLite integers are signed 64-bit; some filesystems hand out inode numbers >= 2**63.
    return st.st_ino - (1 << 64) if st.st_ino >= (1 << 63) else st.st_ino


def _select(conn: sqlite3.Connection, keys: list[bytes]) -> dict[bytes, _Row]:
    found: dict[bytes, _Row] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _BATCH):
        chunk = unique[start : start + _BATCH]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT path, inode, mtime_ns, size, oid FROM state WHERE path IN ({marks})"
        for path, inode, mtime_ns, size, oid in conn.execute(query, chunk):
            found[path] = (inode, mtime_ns, size, oid)
    return found


def _upsert(conn: sqlite3.Connection, values: list[tuple[bytes, int, int, int, str]]) -> None:
    conn.execute("BEGIN")
    try:
        conn.executemany("INSERT OR REPLACE INTO state VALUES (?, ?, ?, ?, ?)", values)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def settled(st: os.stat_result, now_ns: int) -> bool:
    """Whether a file stat was taken safely after its last write: a memo entry may trust it."""
    mtime = st.st_mtime_ns
    window = COARSE_RACY_WINDOW_NS if mtime % 1_000_000_000 == 0 else RACY_WINDOW_NS
    return now_ns - mtime >= window


class Hasher:
    """Hashes files and directories, reading a file only when its stat changed since last time."""

    def __init__(self, state: StateDB | None) -> None:
        self.state = state  # None: no memo, every file is read

    def hash_path(self, path: pathlib.Path, *, record_as: pathlib.Path | None = None) -> Hashed:
        """Hash a file or a directory (recursively); FileNotFoundError if it is missing.

        `record_as` memoizes the result under another path: the one `path` is about to be
        renamed to (a rename keeps inode, mtime and size, so the memo stays valid).
        """
        now = time.time_ns()
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            return self._hash_dir(path, record_as or path, now)
        _require_regular(path, st)
        (oid,) = self._hash_files([(os.fspath(path), os.fspath(record_as or path), st)], now)
        return Hashed(HashInfo(oid=oid, size=st.st_size), None)

    def hash_file(self, path: pathlib.Path) -> HashInfo:
        info = self.hash_path(path).info
        if info.is_dir:
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        return info

    def _hash_dir(self, root: pathlib.Path, key_root: pathlib.Path, now: int) -> Hashed:
        files = sorted(hashing.walk_files(root), key=_first)
        read_base = os.path.abspath(root) + os.sep
        key_base = os.path.abspath(key_root) + os.sep
        oids = self._hash_files([(read_base + rel, key_base + rel, st) for rel, st in files], now)
        entries = tuple(
            FileEntry(rel, oid, st.st_size) for (rel, st), oid in zip(files, oids, strict=True)
        )
        return Hashed(hashing.dir_info(entries), entries)

    def _hash_files(self, items: list[tuple[str, str, os.stat_result]], now: int) -> list[str]:
        """One memo lookup for all, read only the misses, one memo write for what was read."""
        if self.state is None:
            return [hashing.hash_file(read) for read, _, _ in items]
        oids = self.state.get_many([(key, st) for _, key, st in items])
        learned: list[tuple[StrPath, os.stat_result, str]] = []
        for index, (read, key, st) in enumerate(items):
            if oids[index] is None:
                oid = oids[index] = hashing.hash_file(read)
                if settled(st, now):
                    learned.append((key, st, oid))
        self.state.put_many(learned)
        return oids  # type: ignore[return-value]  # every None was filled above


def _first(item: tuple[str, os.stat_result]) -> str:
    return item[0]


def _require_regular(path: pathlib.Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise errors.PathError(f"{path} is not a regular file or a directory; pivot cannot hash it")
