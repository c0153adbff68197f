"""The content-addressed cache `.pivot/cache/files/ab/cdef…`: storing workspace files and
directories under their oids (`add`), restoring them (`checkout`), and checking objects (`verify`).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from collections.abc import Callable

from pivot import errors
from pivot.base import diskfull
from pivot.storage import hashing, links, placing
from pivot.storage.hashing import FileEntry, Hashed
from pivot.storage.links import DEFAULT_LINK_TYPES, LinkType, parse_cache_type  # noqa: F401 - re-exported
from pivot.storage.state import Hasher

_OBJECT_MODE = 0o444
_REPAIR_HINT = "run 'pivot pull' or rerun the stage (pivot run -f STAGE)"


class Cache:
    """Objects by oid under `root/files`; temp files under `root/tmp` (same filesystem)."""

    def __init__(
        self, root: pathlib.Path, link_types: tuple[LinkType, ...] = DEFAULT_LINK_TYPES
    ) -> None:
        if not link_types:
            raise errors.ConfigError("cache.type is empty", hint="e.g. 'reflink,copy'")
        self.root = root
        self.link_types = tuple(link_types)
        self.files_dir = root / "files"
        self.tmp_dir = root / "tmp"
        self._files = os.fspath(self.files_dir)
        self._tmp = os.fspath(self.tmp_dir)
        self._reflink_works = links.REFLINK_POSSIBLE  # turns False the first time a clone is refused
        self._made_dirs: set[str] = set()
        # oid -> (stat signature, entries): a 10,000-file manifest takes ~60 ms to parse, and one
        # command often reads it several times (is it whole? which files to send?).
        self._manifests: dict[str, tuple[tuple[int, int, int], tuple[FileEntry, ...]]] = {}

    def prepare(self) -> None:
        """Make the cache's directories, and learn whether its filesystem clones, now (while
        stages run) rather than in the first commit (a mkdir or a refused clone costs 0.1-0.5 ms
        on the path of a run's end); a failure waits for that commit."""
        with contextlib.suppress(OSError):
            self._makedirs(self._tmp)
            self._makedirs(self._files)
            if self._reflink_works and LinkType.REFLINK in self.link_types:  # the first commit would try
                self._reflink_works = links.clones_in(self._tmp)

    # ------------------------------------------------------------------ objects

    def object_path(self, oid: str) -> pathlib.Path:
        return pathlib.Path(self._object(oid))

    def exists(self, oid: str) -> bool:
        return os.path.isfile(self._object(oid))

    def _object(self, oid: str) -> str:
        # Strings, not Paths, on the hot path: pathlib costs ~10 us a call, 10,000 files a dir.
        if not hashing.is_valid_oid(oid):
            # oids come from lock files and remotes: never let one name a path outside the cache.
            raise errors.CacheError(f"{oid!r} is not a valid object id")
        return os.path.join(self._files, oid[:2], oid[2:])

    def is_complete(self, oid: str) -> bool:
        """The object exists; for a directory, its manifest and every member object too."""
        if not oid.endswith(hashing.DIR_SUFFIX):
            return self.exists(oid)
        try:
            entries = self.read_manifest(oid)
        except errors.CacheError:
            return False
        return all(self.exists(entry.oid) for entry in entries)

    def read_manifest(self, oid: str) -> tuple[FileEntry, ...]:
        if not oid.endswith(hashing.DIR_SUFFIX):
            raise errors.CacheError(f"{oid} is a file object, not a directory manifest")
        path = self._object(oid)
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                signature = (st.st_ino, st.st_size, st.st_mtime_ns)
                known = self._manifests.get(oid)
                if known is not None and known[0] == signature:
                    return known[1]
                data = f.read()
        except FileNotFoundError:
            raise errors.CacheError(f"directory manifest {oid} is not in the cache") from None
        if hashing.hash_bytes(data) + hashing.DIR_SUFFIX != oid:
            # Removed, as corrupt file objects are on checkout: a pull or a rerun can then store
            # it again, where a present object would be taken as good and skipped.
            placing.unlink_quietly(self._object(oid))
            raise errors.CacheError(
                f"directory manifest {oid} in the cache was corrupted and has been removed",
                hint=_REPAIR_HINT,
            )
        try:
            entries = hashing.parse_manifest(data)
        except errors.CacheError as exc:
            raise errors.CacheError(f"directory manifest {oid}: {exc.message}") from None
        self._manifests[oid] = (signature, entries)
        return entries

    def put_object(self, oid: str, src: pathlib.Path) -> None:
        """Move `src`, a temp file in `tmp_dir` whose content the caller has verified as `oid`,
        into place as that object (read-only). If the object is present, `src` is just removed."""
        obj = self._object(oid)
        if os.path.dirname(os.path.abspath(src)) != os.path.abspath(self._tmp):
            # os.replace is atomic only within one filesystem: the temp must be ours.
            raise ValueError(f"{src} is not in the cache's temp directory {self._tmp}")
        if os.path.isfile(obj):
            placing.unlink_quietly(os.fspath(src))
            return
        with diskfull.writing(obj):
            os.chmod(src, _OBJECT_MODE)
            self._makedirs(os.path.dirname(obj))
            os.replace(src, obj)

    def intact(self, oid: str, hasher: Hasher) -> bool:
        """The object (a directory's manifest and members too) is here and still matches its name.

        Hashed through the stat memo, so an object is re-read only when its stat changed since it
        was last checked: an edit written in place through a hardlink or symlink of a checked-out
        output changes the object's stat, and is caught here.
        """
        try:
            if oid.endswith(hashing.DIR_SUFFIX):
                return all(self.intact(entry.oid, hasher) for entry in self.read_manifest(oid))
            return hasher.hash_file(self.object_path(oid)).oid == oid
        except (errors.CacheError, OSError):
            return False

    def drop_damaged(self, oid: str, hasher: Hasher) -> None:
        """Remove the file objects of `oid` whose content no longer matches their name, so the
        next `add` stores them anew instead of taking them as present (a damaged manifest is
        removed by reading it)."""
        try:
            members = [e.oid for e in self.read_manifest(oid)] if oid.endswith(hashing.DIR_SUFFIX) else [oid]
        except errors.CacheError:
            return
        for member in members:
            if self.exists(member) and not self.intact(member, hasher):
                placing.unlink_quietly(self._object(member))

    def detach(self, path: pathlib.Path) -> None:
        """Turn symlinks into this cache at `path` (a file, or the files of a directory) into
        plain copies, so the workspace keeps its content when the objects go."""
        targets = [os.fspath(path)] if not path.is_dir() or path.is_symlink() else [
            os.path.join(path, rel) for rel, _ in hashing.walk_files(path)
        ]
        for target in targets:
            if os.path.islink(target) and os.path.realpath(target).startswith(self._files + os.sep):
                tmp = placing.sibling(target, "copy")
                try:
                    links.copy(target, tmp)
                    os.replace(tmp, target)
                except BaseException:
                    placing.unlink_quietly(tmp)
                    raise

    def verify(self, oid: str) -> bool:
        """Re-read the object (and a directory's members) and compare with the oid."""
        try:
            if oid.endswith(hashing.DIR_SUFFIX):
                return all(self.verify(entry.oid) for entry in self.read_manifest(oid))
            return hashing.hash_file(self.object_path(oid)) == oid
        except (errors.CacheError, FileNotFoundError):
            return False

    # ------------------------------------------------------------------ add

    def add(self, path: pathlib.Path, hashed: Hashed, *, copy: bool = False) -> None:
        """Store the content of `path` (as hashed) under its oid; objects present are skipped.

        A directory's members go in first and its manifest last, so a present manifest means
        a complete directory. In hardlink/symlink modes the workspace file then becomes a
        (read-only) link to its object, as in DVC; `copy` leaves the workspace file alone
        whatever `cache.type` says (metrics: git tracks them, and must see plain files).
        """
        info = hashed.info
        kinds = DEFAULT_LINK_TYPES if copy else self.link_types
        if hashed.entries is None:
            self._add_file(os.fspath(path), info.oid, info.size, kinds)
            return
        manifest = hashing.manifest_bytes(hashed.entries)
        if hashing.hash_bytes(manifest) + hashing.DIR_SUFFIX != info.oid:
            raise ValueError(f"entries of {path} do not match {info.oid}")
        base = os.fspath(path)
        for entry in hashed.entries:
            self._add_file(os.path.join(base, entry.relpath), entry.oid, entry.size, kinds)
        if not self.exists(info.oid):
            self._store(info.oid, lambda tmp: placing.write_new(tmp, manifest), len(manifest), base)

    def _add_file(self, src: str, oid: str, size: int, kinds: tuple[LinkType, ...]) -> None:
        """Store one file, then shape the workspace per the first link type that works."""
        obj = self._object(oid)
        try:
            # An object of another size was edited through a link: replaced, never linked to.
            stored = os.stat(obj).st_size == size
        except FileNotFoundError:
            stored = False

        def attempt(kind: LinkType) -> None:
            nonlocal stored
            if not stored:
                self._store(oid, self._storer(kind, src), size, src)
                stored = True
            if kind in links.WORKSPACE_LINKS:
                with diskfull.writing(src):
                    placing.link_in_place(obj, src, kind)

        self._in_order(attempt, src, obj, kinds)

    def _storer(self, kind: LinkType, src: str) -> Callable[[str], int]:
        if kind is LinkType.REFLINK:
            return lambda tmp: links.reflink(src, tmp)
        if kind in links.WORKSPACE_LINKS:
            # Zero-copy: the object takes the workspace file's inode; the workspace is
            # re-pointed at the object right after. Across filesystems, fall back to a copy.
            return lambda tmp: links.hardlink_or_copy(src, tmp)
        return lambda tmp: links.copy(src, tmp)

    def _store(self, oid: str, write: Callable[[str], int], size: int, source: str) -> None:
        """Write an object to a temp name, check it, make it read-only, rename it into place."""
        obj = self._object(oid)
        with diskfull.writing(obj):
            tmp = self._tmp_name(oid)
            try:
                if write(tmp) != size:
                    raise errors.CacheError(
                        f"{source} changed after it was hashed, while it was being saved to the cache",
                        hint="do not modify outputs while pivot runs; run the stage again",
                    )
                os.chmod(tmp, _OBJECT_MODE)
                self._makedirs(os.path.dirname(obj))
                os.replace(tmp, obj)
            except BaseException:
                placing.unlink_quietly(tmp)
                raise

    # ------------------------------------------------------------------ checkout

    def checkout(self, oid: str, dest: pathlib.Path, hasher: Hasher, *, copy: bool = False, relink: bool = False) -> None:
        """Restore object `oid` at `dest` (file or directory), verified, swapped in whole.

        Nothing changes if `dest` already holds that content (unless `relink`: placed again, as
        `cache.type` says now). Otherwise the content is built in a temp sibling, hashed (which
        fills the memo for `dest`), then swapped into place; a mismatch removes the build and
        the corrupt object and raises `CacheError`. `copy` makes an independent file (reflink or
        copy) whatever `cache.type` says.
        """
        kinds = DEFAULT_LINK_TYPES if copy else self.link_types
        if not relink and placing.already_there(dest, oid, hasher):
            return
        tmp = pathlib.Path(placing.sibling(os.fspath(dest), "tmp"))
        try:
            with diskfull.writing(dest):
                dest.parent.mkdir(parents=True, exist_ok=True)
                if oid.endswith(hashing.DIR_SUFFIX):
                    self._build_dir(oid, tmp, dest, kinds)
                else:
                    self._build_file(oid, os.fspath(tmp), os.fspath(dest), kinds)
                self._check_build(oid, tmp, dest, hasher)
                placing.swap_into_place(tmp, dest)
        except BaseException:
            placing.remove(tmp)
            raise

    def _build_file(self, oid: str, tmp: str, dest: str, kinds: tuple[LinkType, ...]) -> None:
        """Create `tmp` from object `oid`; `dest` is where it will end up, for messages."""
        obj = self._object(oid)
        if not os.path.isfile(obj):
            raise errors.CacheError(
                f"cannot restore {dest}: object {oid} is not in the cache", hint=_REPAIR_HINT
            )
        self._in_order(lambda kind: links.LINKERS[kind](obj, tmp), obj, tmp, kinds)

    def _build_dir(self, oid: str, tmp: pathlib.Path, dest: pathlib.Path, kinds: tuple[LinkType, ...]) -> None:
        try:
            entries = self.read_manifest(oid)
        except errors.CacheError as exc:
            message = f"cannot restore {dest}: {exc.message}"
            raise errors.CacheError(message, hint=_REPAIR_HINT) from None
        tmp.mkdir()
        base, shown = os.fspath(tmp), os.fspath(dest)
        made = {base}
        for entry in entries:
            target = os.path.join(base, entry.relpath)
            parent = os.path.dirname(target)
            if parent not in made:
                os.makedirs(parent, exist_ok=True)
                made.add(parent)
            self._build_file(entry.oid, target, os.path.join(shown, entry.relpath), kinds)

    def _check_build(self, oid: str, tmp: pathlib.Path, dest: pathlib.Path, hasher: Hasher) -> None:
        """Hash what was built; on mismatch drop the corrupt objects so a pull can refetch them."""
        built = hasher.hash_path(tmp, record_as=dest)
        if built.info.oid == oid:
            return
        if built.entries is None:
            bad = [(dest, oid)]
        else:
            expected = {e.relpath: e.oid for e in self.read_manifest(oid)}
            bad = [
                (dest / e.relpath, expected[e.relpath])
                for e in built.entries
                if expected.get(e.relpath, e.oid) != e.oid
            ]
        for _, bad_oid in bad:
            placing.unlink_quietly(self._object(bad_oid))
        names = ", ".join(f"{path} (object {bad_oid})" for path, bad_oid in bad[:5])
        raise errors.CacheError(
            f"cannot restore {dest}: cache object {oid} is corrupted: {names or 'contents differ'};"
            " the corrupted objects were removed from the cache",
            hint=_REPAIR_HINT,
        )

    # ------------------------------------------------------------------ helpers

    def _tmp_name(self, oid: str) -> str:
        self._makedirs(self._tmp)
        return os.path.join(self._tmp, f"{oid}.{os.urandom(6).hex()}.tmp")

    def _makedirs(self, directory: str) -> None:
        if directory not in self._made_dirs:
            os.makedirs(directory, exist_ok=True)
            self._made_dirs.add(directory)

    def _in_order(
        self, attempt: Callable[[LinkType], object], src: str, dst: str, kinds: tuple[LinkType, ...]
    ) -> None:
        """Call `attempt` with each link type of `kinds` until one works.

        A link type the filesystem refuses (EXDEV, EPERM, EOPNOTSUPP...) passes to the next;
        copy is the last resort, so its errors are raised as they are, as is a full disk.
        """
        failures: list[str] = []
        for kind in kinds:
            if kind is LinkType.REFLINK and not self._reflink_works:
                failures.append("reflink: not supported here")
                continue
            try:
                attempt(kind)
                return
            except OSError as exc:
                if kind is LinkType.COPY or isinstance(exc, FileNotFoundError) or diskfull.is_full(exc):
                    raise
                if kind is LinkType.REFLINK and exc.errno in links.NO_REFLINK:
                    self._reflink_works = False
                failures.append(f"{kind.value}: {exc.strerror or exc}")
        tried = ",".join(kind.value for kind in kinds)
        raise errors.CacheError(
            f"cannot link {src} to {dst} with cache.type {tried!r} ({'; '.join(failures)})",
            hint=f"add copy as the last cache.type in .pivot/config.yaml, e.g. '{tried},copy'",
        )
