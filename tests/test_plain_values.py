"""The one deep merge (config layers, remote options) and the one "did this value change" rule
(params and metrics diffs, the PR comment, a stage's param changes)."""

from __future__ import annotations

import copy
import math

import pytest

from pivot.base import plain

NAN = math.nan


def test_deep_merge_merges_nested_mappings_and_replaces_lists_and_scalars():
    base = {"cache": {"type": "copy", "dir": "a"}, "remotes": {"s3": {"url": "s3://b", "opts": {"x": 1}}}, "tags": [1, 2], "n": 1}
    extra = {"cache": {"type": "symlink"}, "remotes": {"s3": {"opts": {"y": 2}}}, "tags": [3], "n": {"now": "a mapping"}}
    assert plain.deep_merge(base, extra) == {
        "cache": {"type": "symlink", "dir": "a"},
        "remotes": {"s3": {"url": "s3://b", "opts": {"x": 1, "y": 2}}},
        "tags": [3],
        "n": {"now": "a mapping"},
    }


def test_a_scalar_or_list_over_a_mapping_replaces_it():
    assert plain.deep_merge({"a": {"b": 1}}, {"a": None}) == {"a": None}
    assert plain.deep_merge({"a": {"b": 1}}, {"a": [1]}) == {"a": [1]}


def test_deep_merge_changes_neither_input_and_shares_nothing_with_them():
    base = {"a": {"b": {"c": 1}}, "l": [[1]]}
    extra = {"a": {"b": {"d": 2}}, "m": {"n": [2]}}
    before = copy.deepcopy((base, extra))
    merged = plain.deep_merge(base, extra)
    assert (base, extra) == before
    # A third layer merged into the result, or an edit of it, must not reach the layers under it.
    merged["a"]["b"]["c"] = 9
    merged["l"][0].append(9)
    merged["m"]["n"].append(9)
    assert (base, extra) == before


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        (NAN, NAN, True),
        (NAN, 1.0, False),
        (1.0, NAN, False),
        (NAN, None, False),
        ({"a": [NAN, 1]}, {"a": [NAN, 1]}, True),
        ({"a": [NAN, 1]}, {"a": [NAN, 2]}, False),
        (1, 1.0, False),
        (0, False, False),
        ("a|b", "a|b", True),
        ([1, 2], [1, 2, 3], False),
        ({"a": 1}, {"b": 1}, False),
    ],
)
def test_same_treats_nan_as_itself_and_keeps_types_apart(old, new, same):
    assert plain.same(old, new) is same
