"""dvc.yaml's top-level `metrics:` and `plots:` moved onto the stages that write their files.

pivot declares metrics and plots on a stage. A file a stage lists under `outs` moves to its
`metrics`/`plots` (options kept); a file inside a stage's directory output is added beside it as
a plain file git tracks (docs/outputs.md, "A metric inside a directory output"). A file no stage
writes is listed as not converted. A DVC plot drawing several files becomes one plot entry per
file, each with the plot's options and its own `y`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.base import project, yamldoc
from pivot.dvcimport import dvcstage
from pivot.dvcimport.notes import Note

DVC_FILE = "dvc.yaml"


class Placer:
    def __init__(self, stages: dict[str, dict[str, Any]], notes: list[Note]) -> None:
        self.stages = stages
        self.notes = notes

    def metrics(self, doc: yamldoc.Document, raw: Any) -> None:
        for index, item in enumerate(_entries(doc, raw, "metrics")):
            path = item if isinstance(item, str) else next(iter(item))
            if not self._place("metrics", str(path), {}):
                self.notes.append(Note(doc.where(("metrics", index)), f"metric '{path}'", "no stage writes it, not converted: declare it on the stage that does"))

    def plots(self, doc: yamldoc.Document, raw: Any) -> None:
        for index, item in enumerate(_entries(doc, raw, "plots")):
            plot_id, options = (item, {}) if isinstance(item, str) else next(iter(item.items()))
            options = dict(options or {})
            where = doc.where(("plots", index))
            files = _plot_files(str(plot_id), options)
            missing = [file for file, opts in files.items() if not self._place("plots", file, opts)]
            if missing:
                self.notes.append(Note(where, f"plot '{plot_id}'", f"no stage writes {', '.join(missing)}, not converted for it"))
            if len(files) > 1 and len(missing) < len(files):
                self.notes.append(Note(where, f"plot '{plot_id}'", f"became one plot entry per file ({', '.join(files)}): pivot's plots name one file each"))
            for key in options.keys() - {"x", "y", *dvcstage.PLOT_OPTIONS}:
                self.notes.append(Note(where, f"plot '{plot_id}'", f"`{key}` {dvcstage.DROPPED_OPTIONS.get(key, 'has no pivot equivalent, dropped')}"))

    def _place(self, section: str, path: str, options: dict[str, Any]) -> bool:
        """Add `path` to the `section` of the stage that writes it; False when none does."""
        for stage in self.stages.values():
            wdir = str(stage.get("wdir") or "")
            for out_section in dvcstage.PATH_SECTIONS:
                for index, entry in enumerate(stage.get(out_section) or []):
                    out, out_options = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
                    full = posixpath.normpath(posixpath.join(wdir, out)) if "${" not in out else None
                    if full is None or not project.is_within(path, full):
                        continue
                    rel = posixpath.relpath(path, wdir or ".")
                    if full == path:  # the stage's own entry: moved (or merged) into `section`
                        del stage[out_section][index]
                        if not stage[out_section]:
                            del stage[out_section]
                        _add(stage, section, rel, {**out_options, **options})
                    else:  # inside a directory output: also a file of its own, which git tracks
                        _add(stage, section, rel, {"cache": False, **options})
                    return True
        return False


def _entries(doc: yamldoc.Document, raw: Any, key: str) -> list[Any]:
    ok = isinstance(raw, list) and all(
        isinstance(item, str) or (isinstance(item, Mapping) and len(item) == 1 and isinstance(next(iter(item.values())), Mapping | None))
        for item in raw
    )
    if not ok:
        raise errors.ConfigError(
            f"{doc.where((key,))}: top-level '{key}' must be a list of paths or 'name: {{options}}' entries",
            hint=f"write '{key}:' with one '- path' per line",
        )
    return list(raw)


def _plot_files(plot_id: str, options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each file a DVC plot draws, with the options of its plot entry in pivot."""
    common = {key: options[key] for key in dvcstage.PLOT_OPTIONS if key in options and key not in ("x", "y")}
    y, x = options.get("y"), options.get("x")
    files = list(y) if isinstance(y, Mapping) else list(x) if isinstance(x, Mapping) else [plot_id]
    placed = {}
    for file in files:
        opts = dict(common)
        for axis, value in (("x", x), ("y", y)):
            chosen = value.get(file) if isinstance(value, Mapping) else value
            if chosen is not None:
                opts[axis] = chosen
        placed[str(file)] = opts
    return placed


def _add(stage: dict[str, Any], section: str, rel: str, options: dict[str, Any]) -> None:
    entries = stage.setdefault(section, [])
    for index, entry in enumerate(entries):
        name = entry if isinstance(entry, str) else next(iter(entry))
        if name == rel:
            merged = {**({} if isinstance(entry, str) else entry[name]), **options}
            entries[index] = {rel: merged} if merged else rel
            return
    entries.append({rel: options} if options else rel)
