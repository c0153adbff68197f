"""What `pivot exp push` sends and `pivot exp pull` brings back, decided from the local records and
those on the remote (the moving itself: `pivot.api.exp_share`).

Push sends every experiment that succeeded, or the ones named (a failed one too, when named: its
error is worth sharing, though it cannot be applied). Pull brings every record on the remote, or
the ones named. Either way a record of the same name that differs on the other side is never
replaced silently: the command stops, naming it, unless forced. Records are canonical text, so
"the same" is equal text."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence

from pivot import errors
from pivot.base import project, yamldoc
from pivot.experiments import record
from pivot.experiments.record import ExpRecord


@dataclasses.dataclass(frozen=True, slots=True)
class Sorted:
    """Records sorted against the other side: `new` (absent there), `same` (there, identical) and
    `differing` (there, with other content, or unreadable)."""

    new: tuple[ExpRecord, ...] = ()
    same: tuple[ExpRecord, ...] = ()
    differing: tuple[ExpRecord, ...] = ()


def to_push(proj: project.Project, names: Sequence[str]) -> list[ExpRecord]:
    """The records `exp push NAMES` sends: those named (any status), else every one that is ok."""
    if names:
        return [record.read(proj, name) for name in dict.fromkeys(names)]
    return [rec for rec in record.all(proj) if rec.status == "ok"]


def pick(names: Sequence[str], available: Collection[str], remote: str) -> list[str]:
    """The remote records `exp pull NAMES` brings: those named, each of which must be there, else all."""
    if not names:
        return sorted(available)
    for name in names:
        if name not in available:
            raise errors.InputError(
                f"no experiment named '{name}' on remote '{remote}'",
                hint=yamldoc.did_you_mean(name, available) or f"push one first: pivot exp push -r {remote} NAME",
            )
    return list(dict.fromkeys(names))


def against(records: Sequence[ExpRecord], other: Mapping[str, str | None]) -> Sorted:
    """`records` against the other side's text of each (None: it has none by that name)."""
    new, same, differing = [], [], []
    for rec in records:
        text = other.get(rec.name)
        if text is None:
            new.append(rec)
        elif text == record.dumps(rec):
            same.append(rec)
        else:
            differing.append(rec)
    return Sorted(tuple(new), tuple(same), tuple(differing))


def local_texts(proj: project.Project, names: Collection[str]) -> dict[str, str | None]:
    """The text of each local record among `names` (None: no such record here). An unreadable
    file counts as text that differs from any record."""
    found: dict[str, str | None] = {}
    for name in names:
        path = record.exps_dir(proj) / f"{name}.json"
        try:
            found[name] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            found[name] = None
        except (OSError, UnicodeDecodeError):
            found[name] = ""  # there, but not a record: never equal to one
    return found


def refuse_differing(differing: Sequence[ExpRecord], here: str, there: str, command: str) -> None:
    """Stop before anything changes when a record of the same name differs on the other side."""
    if not differing:
        return
    names = ", ".join(f"'{rec.name}'" for rec in differing)
    one = len(differing) == 1
    raise errors.InputError(
        f"experiment{'' if one else 's'} {names} {'differs' if one else 'differ'} between {here} and {there}; nothing was changed",
        hint=f"'{command} --force' replaces the copy on {there} with the one on {here}; or name only the others",
    )
