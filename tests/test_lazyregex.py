"""Library patterns compiled on first use (pivot.base.lazyregex): as pivot imports PyYAML, the
pure-Python YAML reader still refuses unprintable characters, a later `re.compile` of the same
text gets a real pattern, and the placeholder matches as the pattern does; in the pivot program
(`install`), the libraries whose patterns wait parse, format and report exactly as before."""

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


# What the libraries whose patterns `install` defers do with them, printed the same with or without.
LIBRARY_USES = r"""
import sys
from pivot.base import lazyregex
if sys.argv[1] == "install":
    lazyregex.install()
import gettext, json, logging, platform, re, string, yaml
print(yaml.safe_load("a: 1.5\nb: yes\nc: 2020-01-02\nd: ~\ne: 0x10\nf: .inf\ng: 2001-12-14t21:59:43.10-05:00\ni: [1, -2, +3.5e2, on, NULL]\nj: {<<: {k: 1}, m: 2}"))
print(platform.python_version_tuple(), platform.libc_ver(), platform._sys_version()[:2])
record = logging.makeLogRecord({"levelname": "WARNING", "msg": "hi"})
print(logging.Formatter("{levelname}:{message:>4}", style="{").format(record))
try:
    logging.Formatter("{levelname!z}", style="{")
except ValueError as exc:
    print("refused", exc)
print(string.Template("$x-${y}").substitute(x=1, y=2), json.dumps({"a": "\u00e9\n"}), json.loads('[1.5, "x"]'))
print(gettext.c2py("n != 1")(2), type(re.compile("mine")).__name__)
print(type(yaml.constructor.SafeConstructor.timestamp_regexp).__name__)
"""


def test_the_libraries_whose_patterns_wait_behave_as_before():
    def run(mode: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", LIBRARY_USES, mode], capture_output=True, text=True, check=True)
        return done.stdout.splitlines()

    before, after = run("plain"), run("install")
    assert after[:-1] == before[:-1] and "refused" in after[3]
    assert (before[-1], after[-1]) == ("Pattern", "Deferred")  # the one difference: when it compiles


def test_a_libraries_unused_patterns_are_compiled_when_asked():
    # A run asks while its stages run: every lock it writes goes through PyYAML's resolver.
    code = (
        "from pivot.base import lazyregex\n"
        "lazyregex.install()\n"
        "import yaml.resolver\n"
        "found = [r for rs in yaml.resolver.Resolver.yaml_implicit_resolvers.values() for _, r in rs]\n"
        "print(all(isinstance(r, lazyregex.Deferred) and r._compiled is None for r in found))\n"
        "lazyregex.compile_pending('yaml.resolver')\n"
        "print(all(r._compiled is not None for r in found), lazyregex._pending.get('yaml.resolver'))\n"
        "print(yaml.safe_dump({'a': '0x1f', 'b': 'yes', 'c': 'plain'}).strip().splitlines())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["True", "True None", "[\"a: '0x1f'\", \"b: 'yes'\", 'c: plain']"]
