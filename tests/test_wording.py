"""Counts read right for 0, 1 and 2 ("1 object", "2 objects"), in the helper and in real output."""

from __future__ import annotations

import pytest

from pivot.base import wording


@pytest.mark.parametrize(
    ("n", "object_text", "entry_text", "verb"),
    [
        (0, "0 objects", "0 run-cache entries", "are"),
        (1, "1 object", "1 run-cache entry", "is"),
        (2, "2 objects", "2 run-cache entries", "are"),
    ],
)
def test_counts_agree_with_their_noun_and_verb(n, object_text, entry_text, verb):
    assert wording.count(n, "object") == object_text
    assert wording.count(n, "run-cache entry", "run-cache entries") == entry_text
    assert wording.be(n) == verb


def test_sizes_use_decimal_units():
    assert [wording.size(n) for n in (0, 1, 999, 1200, 3_400_000, 5 * 10**12)] == [
        "0 B", "1 B", "999 B", "1.2 KB", "3.4 MB", "5.0 TB",
    ]


def test_gc_counts_zero_one_and_two_objects(project, pivot):
    root = project({"a.txt": "a\n"})
    assert pivot("init").exit_code == 0
    pivot("track", "a.txt")
    assert pivot("gc").output == "Removed 0 objects (0 B) from the cache, kept 1 object\n"
    (root / "a.txt").write_text("b\n")
    pivot("track", "a.txt")
    assert pivot("gc").output == "Removed 1 object (2 B) from the cache, kept 1 object\n"
    for text in ("c\n", "d\n"):
        (root / "a.txt").write_text(text)
        pivot("track", "a.txt")
    assert pivot("gc").output == "Removed 2 objects (4 B) from the cache, kept 1 object\n"


def test_track_counts_one_file_and_two_files(project, pivot):
    project({"one.txt": "1", "two/a.txt": "a", "two/b.txt": "b"})
    assert pivot("init").exit_code == 0
    assert "Tracking one.txt (1 file, 1 B)" in pivot("track", "one.txt").output
    assert "Tracking two (2 files, 2 B)" in pivot("track", "two").output
