"""`-S STAGE.KEY=VALUES` for `pivot exp run`: the experiments a sweep is made of.

VALUES is read as the items of a YAML flow sequence, so a top-level comma separates the values
of a sweep (`train.lr=0.01,0.1` is two experiments) while brackets or quotes keep a comma inside
one value (`train.tags=["a,b"]` is one experiment whose value is the list ["a,b"];
`train.note="a,b"` is one whose value is the text "a,b"). Several `-S` options make the cross
product of their values; with `zip` the i-th values of each go together instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from pivot import errors
from pivot.base.yamlio import yaml

_HINT = "write -S STAGE.KEY=VALUE, several values separated by commas (-S train.lr=0.01,0.1)"


def parse_option(text: str) -> tuple[str, list[Any]]:
    """('train.lr', [0.01, 0.1]) from 'train.lr=0.01,0.1'."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or "." not in key.strip(".") or not raw.strip():
        raise errors.ParamsError(f"-S '{text}': expected STAGE.KEY=VALUE", hint=_HINT)
    try:
        values = yaml.safe_load(f"[{raw}]")
    except yaml.YAMLError as exc:
        problem = str(getattr(exc, "problem", None) or exc).strip()
        raise errors.ParamsError(
            f"-S '{text}': the value is not valid YAML ({problem})",
            hint="quote text with commas or colons: -S 'train.note=\"a, b\"'",
        ) from None
    if not isinstance(values, list) or not values:  # (`null` is a value: an Optional param's None)
        raise errors.ParamsError(f"-S '{text}': a value is empty", hint=_HINT)
    return key, values


def expand(options: Sequence[str], *, zipped: bool = False) -> list[dict[str, Any]]:
    """One overrides mapping per experiment: the cross product of the options' values, or with
    `zipped` their i-th values together (every option must then have as many values)."""
    parsed = [parse_option(text) for text in options]
    seen: set[str] = set()
    for key, _ in parsed:
        if key in seen:
            raise errors.ParamsError(f"-S '{key}' is given twice", hint="list all its values in one option: -S KEY=A,B")
        seen.add(key)
    if not parsed:
        return [{}]
    keys = [key for key, _ in parsed]
    lists = [values for _, values in parsed]
    if zipped:
        lengths = {len(values) for values in lists}
        if len(lengths) > 1:
            counts = ", ".join(f"{key}: {len(values)}" for key, values in parsed)
            raise errors.ParamsError(
                f"--zip needs as many values in every -S option ({counts})",
                hint="give each option the same number of values, or leave out --zip for the cross product",
            )
        combos: list[tuple[Any, ...]] = list(zip(*lists, strict=True))
    else:
        combos = list(itertools.product(*lists))
    return [dict(zip(keys, combo, strict=True)) for combo in combos]
