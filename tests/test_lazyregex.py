"""A library pattern compiled on first use (pivot.base.lazyregex), as pivot imports PyYAML: the
pure-Python YAML reader still refuses unprintable characters, a later `re.compile` of the same
text gets a real pattern, and the placeholder matches as the pattern does."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from pivot.base import lazyregex

# In a fresh interpreter: this test process may have imported PyYAML before pivot did.
AFTER_PIVOT = """
import re, sys
from pivot.base import yamlio
import yaml
import yaml.reader

text = yamlio._NON_PRINTABLE
print(type(yaml.reader.Reader.NON_PRINTABLE).__name__)
print(type(re.compile(text)).__name__)
try:
    yaml.load("key: a\\x07b\\n", Loader=yaml.SafeLoader)  # the pure-Python reader
except yaml.reader.ReaderError as exc:
    print("refused", exc.character)  # its code point
print(yamlio.load("key: value\\n"))
"""


def test_pivot_imports_pyyaml_with_its_reader_pattern_left_for_first_use():
    done = subprocess.run([sys.executable, "-c", AFTER_PIVOT], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["Deferred", "Pattern", "refused 7", "{'key': 'value'}"]


def test_a_deferred_pattern_matches_as_the_pattern_compiled_at_once():
    text = r"[^a-c\u00e9]+"
    with lazyregex.deferred(text):
        placeholder = re.compile(text)
    assert isinstance(placeholder, lazyregex.Deferred)
    compiled = re.compile(text)
    assert isinstance(compiled, re.Pattern)  # the block is over: a real pattern again
    for sample in ("abc", "xyz", "aéz", ""):
        assert bool(placeholder.search(sample)) == bool(compiled.search(sample))
        assert [m.span() for m in placeholder.finditer(sample)] == [m.span() for m in compiled.finditer(sample)]


def test_a_pattern_compiled_before_the_block_is_kept():
    text = r"kept-before-\d+"
    compiled = re.compile(text)
    with lazyregex.deferred(text):
        assert re.compile(text) is compiled
    assert re.compile(text) is compiled


def test_an_error_in_the_block_leaves_no_placeholder():
    text = r"left-after-error-\w+"
    with pytest.raises(RuntimeError), lazyregex.deferred(text):
        raise RuntimeError("the import failed")
    assert isinstance(re.compile(text), re.Pattern)
