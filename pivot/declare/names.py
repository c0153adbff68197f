"""Stage names as pivot.yaml declares them, read as plain YAML without importing any user code
or pydantic: what shell completion offers, so pressing TAB never runs a pipeline's imports."""

from __future__ import annotations

from pivot import errors
from pivot.base import project, yamldoc
from pivot.declare import matrix, shell
from pivot.declare.stage import VARIANT_SEPARATOR


def declared(proj: project.Project) -> list[str]:
    """Every stage name pivot.yaml declares, matrix variants expanded, with each matrix stage's
    own name too (a target that means all its variants); empty when there is no pivot.yaml (a
    pipeline.py is code: naming its stages means running it) or pivot.yaml is broken."""
    try:
        doc = yamldoc.load(proj.pipeline_file, project.PIPELINE_FILE)
        return sorted(_names(doc))
    except (errors.PivotError, AttributeError, TypeError, ValueError):
        return []  # completion never fails: the command itself will say what is wrong


def _names(doc: yamldoc.Document) -> set[str]:
    stages = doc.data.get("stages") if isinstance(doc.data, dict) else None
    found: set[str] = set()
    for base, entry in (stages or {}).items():
        if not isinstance(base, str):
            continue
        found.add(base)
        if not isinstance(entry, dict) or not entry.get("matrix"):
            continue
        if shell.is_shell(entry):
            found.update(name for name, _ in matrix.combinations(base, entry, doc))
        else:
            found.update(variant.name for variant in matrix.expand(base, entry, doc))
    # A variant's base name selects all its variants, as a target.
    found.update(name.partition(VARIANT_SEPARATOR)[0] for name in list(found))
    return found
