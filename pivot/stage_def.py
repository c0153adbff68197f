"""`StageParams`: the base class for a stage's parameters (a pydantic model; unknown keys are errors)."""

from __future__ import annotations

import pydantic


class StageParams(pydantic.BaseModel):
    """Subclass it, give fields defaults, and take it as a stage's first parameter `params`."""

    model_config = pydantic.ConfigDict(extra="forbid")
