"""What `pivot import-dvc` does, in order: read dvc.yaml and every .dvc file (any error stops it
before anything is written), refuse to replace an existing pivot.yaml unless forced, write
pivot.yaml, lay out tracked data missing from the workspace from DVC's cache, and track it."""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Mapping
from typing import Any

from pivot import errors
from pivot.base import atomic, project, yamlio
from pivot.base.yamlio import yaml
from pivot.dvcimport import dvcfiles, dvcstage, dvcyaml
from pivot.dvcimport.notes import Note
from pivot.worktree import tracker, tracking

HEADER = "# Converted from dvc.yaml by `pivot import-dvc` (see docs/import-dvc.md).\n"


@dataclasses.dataclass(frozen=True, slots=True)
class Imported:
    text: str  # the pivot.yaml written (or, with dry_run, that would be); "" without a dvc.yaml
    output: pathlib.Path | None  # where it was written; None when nothing was
    stages: int
    planned: tuple[dvcfiles.Planned, ...]  # data tracked (or to track), from the .dvc files
    tracked: tuple[tracking.TrackResult, ...]
    notes: tuple[Note, ...]
    to_add: tuple[str, ...]  # project-relative files to commit
    memo_error: errors.PivotError | None = None


def run(root: pathlib.Path, output: pathlib.Path, *, dry_run: bool = False, force: bool = False) -> Imported:
    doc = dvcyaml.load(root)
    found = dvcfiles.find(root)
    if doc is None and not found:
        raise errors.ConfigError(f"no dvc.yaml and no .dvc files in {root}", hint="run `pivot import-dvc` at the root of a DVC project")
    notes: list[Note] = []
    text, stages = "", 0
    if doc is not None:
        converted = dvcyaml.convert(doc, root)
        notes += converted.notes
        text = render(converted.pipeline)
        stages = len(converted.pipeline.get("stages") or {})
    planned = dvcfiles.plan(root, found, notes)
    if text and output.exists() and not force and not dry_run:
        raise errors.ConfigError(
            f"{output.name} already exists in {output.parent}: not overwritten", hint="pass --force to replace it, or -o to write elsewhere"
        )
    if dry_run:
        return Imported(text, None, stages, tuple(planned), (), tuple(notes), ())
    to_add: list[str] = []
    if text:
        atomic.write_text(output, text)
        to_add.append(str(output))
    for item in planned:
        if item.from_cache:
            dvcfiles.lay_out(root, item)
    # DVC never lets a .dvc file track a stage's output, so the stages need not be loaded (and a
    # converted pipeline that does not load yet, a params file missing, must not stop the data).
    report = tracker.track(project.Project(root), [item.path for item in planned], stages={}) if planned else None
    tracked = tuple(done.result for done in report.paths) if report else ()
    to_add += report.to_add if report else ()
    memo_error = report.memo_error if report else None
    return Imported(text, output if text else None, stages, tuple(planned), tracked, tuple(notes), tuple(to_add), memo_error)


class _Flow(dict[str, Any]):
    """An output's options, written on its line: `- out.csv: {cache: false}`."""


class _Dumper(yamlio.SafeDumper):  # type: ignore[misc,valid-type]
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True))


def render(pipeline: Mapping[str, Any]) -> str:
    """pivot.yaml's text: keys in dvc.yaml's order, block style, long commands on one line."""
    stages = {
        name: {key: [_flowed(entry) for entry in value] if key in dvcstage.PATH_SECTIONS else value for key, value in stage.items()}
        for name, stage in (pipeline.get("stages") or {}).items()
    }
    body = yaml.dump({**pipeline, "stages": stages}, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=10_000)
    return HEADER + body


def _flowed(entry: Any) -> Any:
    if isinstance(entry, Mapping):
        return {path: _Flow(options) for path, options in entry.items()}
    return entry
