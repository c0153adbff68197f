"""What an import could not carry over, one line each, for the user to read before committing."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class Note:
    """`where` is `dvc.yaml:12` or a .dvc file; `what` names the stage or key; `reason` says why."""

    where: str
    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}: {self.reason}"
