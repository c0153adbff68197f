"""DVC's `.dvc` files as pivot's `.pvt` tracking, with the bytes DVC already has.

A `.dvc` file names data by its md5: DVC 3 keeps a file's bytes at `.dvc/cache/files/md5/ab/cdef...`
(DVC 2 at `.dvc/cache/ab/cdef...`), and a directory as a `.dir` object listing each file's md5 and
relative path. Data missing from the workspace is laid out from there (each file checked against
its md5), so nothing is downloaded again; then `pivot track` caches it under pivot's hashes and
writes the `.pvt`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import posixpath
import shutil
from collections.abc import Iterator, Mapping
from typing import Any

from pivot import errors
from pivot.base import project, yamldoc
from pivot.dvcimport.notes import Note

DVC_SUFFIX = ".dvc"
_SKIP = frozenset({".dvc", ".git", project.PIVOT_DIR, ".venv", "venv", "node_modules", "__pycache__", "site-packages"})
_DROPPED = {
    "frozen": "`frozen` dropped: tracked data changes only when you run `pivot track` again",
    "desc": "`desc` has no pivot equivalent, dropped",
    "meta": "`meta` has no pivot equivalent, dropped",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Planned:
    """One path a .dvc file tracks, and where its bytes come from."""

    dvc_file: str  # project-relative
    path: str  # project-relative data path
    md5: str
    from_cache: bool  # laid out from .dvc/cache (else already in the workspace)


def find(root: pathlib.Path) -> list[str]:
    """Project-relative paths of every .dvc file, in sorted order."""
    found = []
    for base, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP)
        rel = os.path.relpath(base, root)
        found += [posixpath.normpath(posixpath.join(rel.replace(os.sep, "/"), f)) for f in files if f.endswith(DVC_SUFFIX)]
    return sorted(found)


def plan(root: pathlib.Path, dvc_files: list[str], notes: list[Note]) -> list[Planned]:
    planned = []
    for rel in dvc_files:
        doc = yamldoc.load(root / rel, rel)
        data = doc.data
        if not isinstance(data, Mapping) or not isinstance(data.get("outs"), list):
            raise errors.ConfigError(f"{rel}: expected a mapping with 'outs:'", hint="is this a DVC .dvc file?")
        _note_keys(doc, rel, data, notes)
        for index, out in enumerate(data["outs"]):
            item = _out(root, doc, rel, out, index, notes)
            if item is not None:
                planned.append(item)
    return planned


def _note_keys(doc: yamldoc.Document, rel: str, data: Mapping[str, Any], notes: list[Note]) -> None:
    for key, reason in _DROPPED.items():
        if key in data:
            notes.append(Note(doc.where((key,)), rel, reason))
    deps = data.get("deps") or []
    repos = [dep["repo"]["url"] for dep in deps if isinstance(dep, Mapping) and isinstance(dep.get("repo"), Mapping) and "url" in dep["repo"]]
    if repos:
        reason = f"imported from {repos[0]} (`dvc import`): tracked as the data is now; pivot cannot update it from that repository"
        notes.append(Note(doc.where(("deps",)), rel, reason))
    elif deps:
        urls = [dep["path"] for dep in deps if isinstance(dep, Mapping) and isinstance(dep.get("path"), str) and "://" in dep["path"]]
        outs = [out.get("path") for out in data.get("outs") or [] if isinstance(out, Mapping)]
        if urls and len(outs) == 1 and isinstance(outs[0], str):
            target = posixpath.join(posixpath.dirname(rel), outs[0])
            reason = f"imported from {urls[0]} (`dvc import-url`): tracked as the data is now; to update it from there, import it again: pivot import-url -f {urls[0]} {target}"
        else:
            reason = "`deps` (a URL import or a DVC 1 stage) has no pivot equivalent: tracked as the data is now"
        notes.append(Note(doc.where(("deps",)), rel, reason))


def _out(root: pathlib.Path, doc: yamldoc.Document, rel: str, out: Any, index: int, notes: list[Note]) -> Planned | None:
    where = doc.where(("outs", index))
    if not isinstance(out, Mapping) or not isinstance(out.get("path"), str):
        raise errors.ConfigError(f"{where}: each entry of 'outs' needs a 'path'", hint="is this a DVC .dvc file?")
    path = project.normalize(posixpath.join(posixpath.dirname(rel), out["path"]), what=f"{where}: path")
    md5 = out.get("md5")
    if out.get("cache") is False:
        notes.append(Note(where, f"{rel}: '{path}'", "`cache: false`: git tracks it, nothing to convert"))
        return None
    if not isinstance(md5, str) or not md5:
        notes.append(Note(where, f"{rel}: '{path}'", "no md5 recorded (never added to DVC's cache), not converted"))
        return None
    if (root / path).exists():
        return Planned(rel, path, md5, from_cache=False)
    if _cached(root, md5) is None:
        reason = "not in the workspace nor in .dvc/cache, not converted: `dvc pull` it, then run `pivot import-dvc` again"
        notes.append(Note(where, f"{rel}: '{path}'", reason))
        return None
    return Planned(rel, path, md5, from_cache=True)


def _cached(root: pathlib.Path, md5: str) -> pathlib.Path | None:
    """The DVC cache file of `md5` (`...dir` for a directory's listing; DVC 3's layout, then DVC 2's), if present."""
    name = md5[:2] + "/" + md5[2:]
    for base in (root / ".dvc/cache/files/md5", root / ".dvc/cache"):
        if (base / name).is_file():
            return base / name
    return None


def lay_out(root: pathlib.Path, item: Planned) -> None:
    """Copy `item`'s bytes from DVC's cache into the workspace, checking each file's md5."""
    target = root / item.path
    if not item.md5.endswith(".dir"):
        _copy_checked(root, item.md5, target, item)
        return
    manifest = _cached(root, item.md5)
    if manifest is None:
        raise errors.CacheError(f"{item.dvc_file}: the listing of '{item.path}' ({item.md5}) is not in .dvc/cache")
    for entry in _entries(manifest, item):
        _copy_checked(root, entry["md5"], target / entry["relpath"], item)


def _entries(manifest: pathlib.Path, item: Planned) -> Iterator[Mapping[str, str]]:
    try:
        listing = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise errors.CacheError(f"{item.dvc_file}: cannot read DVC's listing of '{item.path}': {exc}") from None
    for entry in listing:
        relpath = entry.get("relpath") if isinstance(entry, Mapping) else None
        if not isinstance(relpath, str) or posixpath.isabs(relpath) or ".." in relpath.split("/") or not isinstance(entry.get("md5"), str):
            raise errors.CacheError(f"{item.dvc_file}: DVC's listing of '{item.path}' has a bad entry: {entry!r}")
        yield entry


def _copy_checked(root: pathlib.Path, md5: str, target: pathlib.Path, item: Planned) -> None:
    source = _cached(root, md5)
    if source is None:
        raise errors.CacheError(f"{item.dvc_file}: '{item.path}' needs {md5}, which is not in .dvc/cache", hint="`dvc pull` it first")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".pivot-import")
    shutil.copyfile(source, tmp)
    digest = hashlib.md5(tmp.read_bytes(), usedforsecurity=False).hexdigest()
    if digest != md5:
        tmp.unlink()
        raise errors.CacheError(f"{item.dvc_file}: DVC's cached copy of '{item.path}' is damaged (md5 {digest}, expected {md5})", hint="`dvc pull` it again")
    os.replace(tmp, target)
