"""yamlio.dump writes the common shape of a lock file itself (pivot.base.yamlio): its text must
be PyYAML's, byte for byte, for any data, the shapes it hands to PyYAML included."""

from __future__ import annotations

import random

import pytest
import yaml

from pivot.base import yamlio

# Names as locks have them, and the characters and words that make YAML quote or read otherwise.
NAME_CHARS = "abcXYZ019_./-"
ODD_CHARS = "ab.-:#'\" !&*?|>%@`,[]{}~\\\n\té"
WORDS = ["yes", "No", "on", "OFF", "true", "null", "~", "1", "-1", "0x1F", "0o17", "1_000", "1.5", "1e3", ".inf", ".NaN",
         "2001-12-14", "12:30", "...", "..x", "---", "-", ".", "./a", "a" * 101, "a" * 130, "=", "<<", ""]


def _text(rng: random.Random, plain: bool = False) -> str:
    pick = rng.random() * (0.6 if plain else 1)
    if pick < 0.5:
        return "".join(rng.choice(NAME_CHARS) for _ in range(rng.randint(0, 12)))
    if pick < 0.75:
        return "".join(rng.choice(ODD_CHARS) for _ in range(rng.randint(0, 6)))
    return rng.choice(WORDS)


def _value(rng: random.Random, plain: bool, depth: int = 0) -> object:
    """Mostly what a lock holds when `plain` (names, hashes, sizes, flags); anything otherwise."""
    pick = rng.random()
    if depth < 3 and pick < 0.25:
        return {_text(rng, plain): _value(rng, plain, depth + 1) for _ in range(rng.randint(0, 3))}
    if depth < 3 and pick < 0.35:
        return [_value(rng, plain, depth + 1) for _ in range(rng.randint(0, 3))]
    scalars = [_text(rng, plain), _text(rng, plain), rng.randint(-10**12, 10**12), rng.random() < 0.5, None]
    return rng.choice(scalars if plain and rng.random() < 0.95 else [*scalars, rng.uniform(-1e6, 1e6)])


def _pyyaml(data: object) -> str:
    return yaml.dump(data, Dumper=yamlio.SafeDumper, sort_keys=True, default_flow_style=False, allow_unicode=True)


@pytest.mark.parametrize("seed", range(8))
def test_dump_is_pyyamls_text(seed: int) -> None:
    rng = random.Random(seed)
    for index in range(400):
        plain = index % 2 == 0
        data = {_text(rng, plain): _value(rng, plain) for _ in range(rng.randint(0, 5))}
        assert yamlio.dump(data) == _pyyaml(data), data


def test_a_lock_is_written_directly_and_reads_back() -> None:
    lock = {
        "schema": 2,
        "code": {"fingerprint": "1c76d477822a98d7f5d94dd506e9e7e1", "manifest": {"stages.nap": "dc80fec3198f2d56c6ccfdced1ced2fc"}, "scheme": 2},
        "cmd": ["python", "train.py"],
        "params": {},
        "deps": {"data/in_0.txt": {"hash": "8f3d41cad55dc862b7b2ae4ef387bd7d", "size": 8}},
        "outs": {"data/out_0.txt": {"cache": True, "hash": "8f3d41cad55dc862b7b2ae4ef387bd7d", "kind": "out", "size": 8}},
    }
    shared = {"hash": "ab" * 16, "size": 1}
    assert yamlio._block(lock, "", [], set())  # written directly, not by PyYAML
    listed = ["a", "b"]
    # The second and third: a mapping or a list met twice is an anchor and an alias in PyYAML's.
    for data in (lock, {**lock, "deps": {"a": shared, "b": shared}}, {**lock, "cmd": listed, "more": listed}):
        assert yamlio.dump(data) == _pyyaml(data)
        assert yamlio.load(yamlio.dump(data)) == data
