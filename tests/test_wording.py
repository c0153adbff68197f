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


@pytest.mark.parametrize(
    ("nbytes", "text"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (999, "999 B"),
        (1000, "1.0 KB"),
        (1200, "1.2 KB"),
        (999_499, "999.5 KB"),
        (999_949, "999.9 KB"),
        (999_950, "1.0 MB"),  # rounds to 1000.0 KB: the unit rolls over
        (999_999, "1.0 MB"),
        (1_000_000, "1.0 MB"),
        (3_400_000, "3.4 MB"),
        (999_999_999, "1.0 GB"),
        (1.5e12, "1.5 TB"),
        (999_999_999_999_999, "1.0 PB"),
        (10**15, "1.0 PB"),
        (1.5 * 10**18, "1500.0 PB"),  # the last unit just grows
    ],
)
def test_sizes_use_decimal_units_and_roll_over_at_every_boundary(nbytes, text):
    assert wording.size(nbytes) == text


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
