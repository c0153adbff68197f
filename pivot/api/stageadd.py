"""`pivot stage add -n NAME [-d DEP] [-o OUT] [-p KEY] ... COMMAND`: a shell stage written into
pivot.yaml from the command line, as DVC's `dvc stage add` writes one into dvc.yaml; and
`pivot freeze`/`unfreeze STAGE...`, which set or clear a stage's `frozen:` as `dvc freeze` does.

The entry is spelt as a user would write it (docs/shell-stages.md); the rest of pivot.yaml keeps
its comments, order and quoting (pivot.base.yamledit). The file is written only once the new
pipeline loads: a misspelt key, an output another stage already makes, or a cycle leaves
pivot.yaml as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pivot import errors
from pivot.base import atomic, yamldoc, yamlio
from pivot.base import project as project_mod

if TYPE_CHECKING:
    from pivot.api.project import Project


@dataclasses.dataclass(frozen=True, slots=True)
class StageSpec:
    """What `dvc stage add`'s options say about one shell stage."""

    name: str
    cmd: str
    deps: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()
    outs_no_cache: tuple[str, ...] = ()  # git keeps them: `path: {cache: false}`
    metrics: tuple[str, ...] = ()
    metrics_no_cache: tuple[str, ...] = ()
    plots: tuple[str, ...] = ()
    plots_no_cache: tuple[str, ...] = ()
    params: tuple[str, ...] = ()  # "key1,key2" or "file.yaml:key1,key2", as DVC's -p
    wdir: str | None = None
    always_changed: bool = False


def add(proj: Project, spec: StageSpec, *, force: bool = False) -> str:
    """Write `spec` into pivot.yaml (created when missing) as stage `spec.name`; an existing stage of
    that name is replaced only with `force`. Returns "added" or "replaced"."""
    paths = proj.paths
    require_pivot_yaml(proj, "register the stage there (Pipeline.register), or move the stages into pivot.yaml")
    if not spec.cmd.strip():
        raise errors.InputError("the stage needs a command", hint="pivot stage add -n NAME [options] COMMAND...")
    path = paths.pipeline_file
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    from pivot.base import yamledit

    data = yamledit.load(before, project_mod.PIPELINE_FILE)
    stages = data.get("stages") or {}
    if spec.name in stages and not force:
        raise errors.InputError(
            f"stage '{spec.name}' already exists in {project_mod.PIPELINE_FILE}",
            hint=f"choose another -n, or replace it: pivot stage add -f -n {spec.name} ...",
        )
    existed = spec.name in stages
    yamledit.put(data, ["stages", spec.name], entry(spec))
    text = yamledit.dump(data, before) if before.strip() else yamledit.dump(data, "stages:\n  x: 1\n")
    check(proj, text, before)
    return "replaced" if existed else "added"


def set_frozen(proj: Project, names: Sequence[str], frozen: bool) -> list[str]:
    """Set (or clear) `frozen:` on the pivot.yaml entries of `names`; the names whose setting
    changed. A matrix stage is frozen whole, by its entry's name."""
    from pivot.base import yamledit

    before, data, stages = entries(proj, f"pass frozen={frozen} to Pipeline.register in pipeline.py")
    for name in names:
        if name not in stages:
            base = name.partition("@")[0]
            hint = (
                f"'{name}' is a variant of the matrix stage '{base}', which is frozen or not as a whole: pivot {'freeze' if frozen else 'unfreeze'} {base}"
                if base in stages and "matrix" in stages[base] else f"the stages of {project_mod.PIPELINE_FILE}: {', '.join(stages) or 'none'}"
            )
            raise errors.UnknownStageError(f"no stage '{name}' in {project_mod.PIPELINE_FILE}", hint=hint)
    changed = [name for name in dict.fromkeys(names) if bool(stages[name].get("frozen")) != frozen]
    for name in changed:
        if frozen:
            yamledit.put(data, ["stages", name, "frozen"], True)
        else:
            yamledit.drop(data, ["stages", name, "frozen"])
    if changed:
        check(proj, yamledit.dump(data, before), before)
    return changed


def entries(proj: Project, hint: str) -> tuple[str, Any, Any]:
    """(pivot.yaml's text, the file as the round-trip editor holds it, its `stages:`); `hint`
    says what to do instead in a project whose stages are in pipeline.py."""
    from pivot.base import yamledit

    require_pivot_yaml(proj, hint)
    path = proj.paths.pipeline_file
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    data = yamledit.load(before, project_mod.PIPELINE_FILE)
    return before, data, data.get("stages") or {}


def require_pivot_yaml(proj: Project, hint: str) -> None:
    paths = proj.paths
    if paths.python_pipeline_file.is_file() and not paths.pipeline_file.is_file():
        raise errors.ConfigError("this project declares its stages in pipeline.py", hint=hint)


def entry(spec: StageSpec) -> dict[str, Any]:
    """The stage as pivot.yaml spells it: only the keys that have something."""
    data: dict[str, Any] = {"cmd": spec.cmd}
    if spec.wdir:
        data["wdir"] = spec.wdir
    sections = {
        "deps": list(spec.deps),
        "params": _params(spec.params),
        "outs": _paths(spec.outs, spec.outs_no_cache),
        "metrics": _paths(spec.metrics, spec.metrics_no_cache),
        "plots": _paths(spec.plots, spec.plots_no_cache),
    }
    data.update((key, value) for key, value in sections.items() if value)
    if spec.always_changed:
        data["always_changed"] = True
    return data


def _paths(cached: Sequence[str], uncached: Sequence[str]) -> list[Any]:
    return [*cached, *({path: {"cache": False}} for path in uncached)]


def _params(given: Sequence[str]) -> list[Any]:
    """`-p lr,epochs` (params.yaml's keys) and `-p other.yaml:a,b` (another file's), as DVC reads them."""
    keys: list[Any] = []
    files: dict[str, list[str]] = {}
    for item in given:
        name, sep, rest = item.rpartition(":")
        names = [key.strip() for key in (rest if sep else item).split(",") if key.strip()]
        if sep and name:
            files.setdefault(name, []).extend(names)
        else:
            keys.extend(names)
    return keys + [{name: names or None} for name, names in files.items()]


def check(proj: Project, text: str, before: str) -> None:
    """Validate the new pivot.yaml, write it, and load the pipeline; on any error put the old text
    back (or remove a file this command created) and raise it."""
    from pivot.declare import config_schema, validation

    path = proj.paths.pipeline_file
    display = project_mod.PIPELINE_FILE
    validation.validate(config_schema.PipelineConfig, yamldoc.Document(path, display, yamlio.load(text) or {}, {}, text))
    atomic.write_text(path, text)
    try:
        proj.load_pipeline(check_sources=False)  # outputs made twice, cycles, a bad ${...}
    except BaseException:
        if before:
            atomic.write_text(path, before)
        else:
            path.unlink()
        raise
