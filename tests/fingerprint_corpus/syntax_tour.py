"""Every kind of syntax a stage module may hold and 3.11 parses: fingerprints of these
definitions must be the same text on every Python version pivot supports."""

import asyncio
import contextlib
import dataclasses
from typing import Any


THRESHOLD = 0.5
NAMES = ("a", "b", u"c")
BLOB = b"\x00\xff"
Z = 1 + 2j
FLAGS = {True, False, None, ...}


def fstrings(x: float, width: int, name: str) -> list[str]:
    return [
        f"{x}",
        f"{x!r:>10}",
        f"{x:{width}.{width}f}",
        f"{x=}",
        f"{name!s} and {name!a}",
        f"a" "b" f"{x}c",
        f"{{literal}} {x:%Y}",
        f"""{
            x
        }""",
        rf"\d{x}",
        "plain" "joined",
    ]


def arguments(a, /, b, *args, c=1, d, **kwargs):  # type: ignore[no-untyped-def]
    return a, b, args, c, d, kwargs


def flow(items: list[Any]) -> Any:
    total = 0
    for index, item in enumerate(items):
        if (n := len(str(item))) > 3:
            continue
        elif index % 2:
            total += n
        else:
            total -= n
    else:
        total *= 2
    while total > 100:
        total //= 3
    try:
        total = 1 / total
    except (ZeroDivisionError, TypeError) as exc:
        raise ValueError("bad") from exc
    finally:
        pass
    with contextlib.suppress(KeyError), open(__file__) as handle, (
        contextlib.nullcontext()
    ):
        del handle
    assert total is not None, "never"
    return [i for i in range(3) if i], {k: v for k, v in []}, {*items}, (i async for i in _agen())


def matching(command: Any) -> str:
    match command:
        case {"action": "go", "where": str(where)}:
            return where
        case [first, *rest] if rest:
            return str(first)
        case Point(x=0, y=0) | Point(x=1):
            return "origin"
        case 1 | 2.5 | -3 | "s" | None | True:
            return "literal"
        case str() as text:
            return text
        case _:
            return "other"


def groups() -> None:
    try:
        pass
    except* ValueError as eg:
        del eg
    except* (TypeError, KeyError):
        pass


async def _agen():  # type: ignore[no-untyped-def]
    yield 1
    async with asyncio.timeout(1):
        async for _ in _agen():
            await asyncio.sleep(0)


def scopes():  # type: ignore[no-untyped-def]
    counter = 0

    def inner():  # type: ignore[no-untyped-def]
        nonlocal counter
        counter += 1
        global THRESHOLD
        return lambda y=counter, *, z=2: y + z

    return inner, slice(1, 2), NAMES[1:2], NAMES[::2], NAMES[-1], [*NAMES, *NAMES], {**{}, "k": 1}


@dataclasses.dataclass(frozen=True)
class Point(dict, metaclass=type):  # type: ignore[type-arg, misc]
    """A docstring never counts."""

    x: int = 0
    y: int = dataclasses.field(default=0)

    @property
    def norm(self) -> float:
        return (self.x**2 + self.y**2) ** 0.5 if self.x else -self.y

    @staticmethod
    def make(*, x: int = ~0, y: int = not 0) -> "Point":
        return Point(x=x, y=y) if x is not y else Point()
