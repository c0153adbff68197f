"""Stage names as pivot.yaml declares them, read as plain YAML without importing any user code
or pydantic: what shell completion offers, so pressing TAB never runs a pipeline's imports."""

from __future__ import annotations

from pivot import errors
from pivot.base import project, yamldoc
from pivot.declare import matrix, shell


def declared(proj: project.Project) -> list[str]:
    """Every stage name pivot.yaml declares, matrix variants expanded, with each matrix stage's
    own name too (a target that means all its variants); empty when there is no pivot.yaml (a
    pipeline.py is code: naming its stages means running it) or pivot.yaml is broken."""
    try:
        doc = yamldoc.load(proj.pipeline_file, project.PIPELINE_FILE)
    except errors.PivotError:
        return []  # completion never fails: the command itself will say what is wrong
    stages = doc.data.get("stages") if isinstance(doc.data, dict) else None
    found: set[str] = set()
    for base, entry in (stages.items() if isinstance(stages, dict) else ()):
        if isinstance(base, str):
            found.add(base)  # a matrix stage's own name selects all its variants, as a target
            found.update(_variants(base, entry, doc))
    return sorted(found)


def _variants(base: str, entry: object, doc: yamldoc.Document) -> list[str]:
    """The names of a matrix stage's variants; none for a plain stage or a broken matrix."""
    if not isinstance(entry, dict) or not entry.get("matrix"):
        return []
    try:
        if shell.is_shell(entry):
            return [name for name, _ in matrix.combinations(base, entry, doc)]
        return [variant.name for variant in matrix.expand(base, entry, doc)]
    except (errors.PivotError, AttributeError, TypeError, ValueError):
        return []  # the stage's own name is still offered; running it will say what is wrong
