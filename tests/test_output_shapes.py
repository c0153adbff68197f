"""Output shapes through the CLI: lists of paths, placeholder deps, directories as dicts,
incremental outputs, and a metric inside a directory output."""

from __future__ import annotations

import json
import pathlib
import subprocess

import pytest
from conftest import assert_clean_error

LISTS = '''
from typing import Annotated
from pivot import loaders, outputs


def shout(
    words: Annotated[list, outputs.Dep(["a.txt", "b.txt"], loaders.Text())],
) -> Annotated[tuple, outputs.Out(("loud/a.txt", "loud/b.txt"), loaders.Text())]:
    return tuple(word.upper() for word in words)


def count(
    loud: Annotated[tuple, outputs.Dep(("loud/a.txt", "loud/b.txt"), loaders.Text())],
) -> Annotated[dict, outputs.Out("count.json", loaders.JSON())]:
    return {"kind": type(loud).__name__, "n": len(loud)}
'''
LISTS_YAML = "stages:\n  shout:\n    python: stages.shout\n  count:\n    python: stages.count\n"


def _run(pivot, *args):
    result = pivot("run", "--executor", "inprocess", *args)
    return result


def test_list_deps_and_outputs_run_and_explain_per_path(project, pivot):
    root = project({"stages.py": LISTS, "pivot.yaml": LISTS_YAML, "a.txt": "alpha", "b.txt": "beta"})
    ran = _run(pivot)
    assert ran.exit_code == 0, ran.output
    assert (root / "loud/a.txt").read_text() == "ALPHA" and (root / "loud/b.txt").read_text() == "BETA"
    assert json.loads((root / "count.json").read_text()) == {"kind": "tuple", "n": 2}
    (root / "b.txt").write_text("bravo")
    explained = pivot("explain", "shout")
    assert "b.txt" in explained.output and "a.txt: modified" not in explained.output, explained.output
    assert _run(pivot).exit_code == 0
    assert (root / "loud/b.txt").read_text() == "BRAVO"


def test_pivot_yaml_gives_a_list_another_length(project, pivot):
    yaml = "stages:\n  shout:\n    python: stages.shout\n    deps:\n      words: [a.txt, b.txt, c.txt]\n"
    root = project({"stages.py": LISTS, "pivot.yaml": yaml, "a.txt": "a", "b.txt": "b", "c.txt": "c"})
    failed = _run(pivot)
    assert failed.exit_code == 1
    # three words in, two paths declared for the output: the stage fails naming both lengths
    assert "output 'return' is declared as 2 paths but the stage returned 3 values" in failed.output
    yaml += "    outs:\n      return: [x/a, x/b, x/c]\n"
    (root / "pivot.yaml").write_text(yaml)
    assert _run(pivot).exit_code == 0
    assert [(root / "x" / n).read_text() for n in "abc"] == ["A", "B", "C"]


def test_a_list_where_one_path_is_declared_and_the_reverse_are_exit_2(project, pivot):
    yaml = "stages:\n  shout:\n    python: stages.shout\n    deps:\n      words: a.txt\n"
    project({"stages.py": LISTS, "pivot.yaml": yaml, "a.txt": "a", "b.txt": "b"})
    assert_clean_error(pivot("explain"), "pivot.yaml:5", "stage 'shout'", "dep 'words' is declared as a list of 2 paths")
    yaml = "stages:\n  count:\n    python: stages.count\n    outs:\n      return: [c1.json, c2.json]\n"
    pathlib.Path("pivot.yaml").write_text(yaml)
    assert_clean_error(pivot("explain"), "pivot.yaml:5", "stage 'count'", "out 'return' is declared as one path, not a list")


PLACEHOLDER = '''
from typing import Annotated
from pivot import loaders, outputs


def echo(text: Annotated[str, outputs.PlaceholderDep(loaders.Text())]) -> Annotated[str, outputs.Out("echo.txt", loaders.Text())]:
    return text
'''


def test_a_placeholder_dep_needs_its_path_in_pivot_yaml(project, pivot):
    root = project({"stages.py": PLACEHOLDER, "pivot.yaml": "stages:\n  echo:\n    python: stages.echo\n", "in.txt": "hi"})
    assert_clean_error(pivot("explain"), "pivot.yaml:2", "stage 'echo'", "parameter 'text' is a PlaceholderDep", "deps:")
    typo = "stages:\n  echo:\n    python: stages.echo\n    deps:\n      txt: in.txt\n"
    (root / "pivot.yaml").write_text(typo)
    assert_clean_error(pivot("run"), "parameter 'text'", "did you mean 'text' where it says 'txt'?")
    (root / "pivot.yaml").write_text(typo.replace("txt:", "text:"))
    assert _run(pivot).exit_code == 0
    assert (root / "echo.txt").read_text() == "hi"


DIRECTORIES = '''
from typing import Annotated
from pivot import loaders, outputs


def split(text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Annotated[dict, outputs.DirectoryOut("parts", loaders.JSON())]:
    words = text.split()
    if words[0] == "bad":
        return {words[1]: 1}
    return {f"{word[0]}/{word}.json": {"word": word} for word in words}


def join(parts: Annotated[dict, outputs.DirectoryDep("parts", loaders.JSON())]) -> Annotated[str, outputs.Out("joined.txt", loaders.Text())]:
    return " ".join(f"{key}={value['word']}" for key, value in parts.items())
'''
DIRECTORIES_YAML = "stages:\n  split:\n    python: stages.split\n  join:\n    python: stages.join\n"


def test_a_directory_output_is_written_from_a_dict_and_read_back_as_one(project, pivot):
    root = project({"stages.py": DIRECTORIES, "pivot.yaml": DIRECTORIES_YAML, "input.txt": "beta alpha"})
    ran = _run(pivot)
    assert ran.exit_code == 0, ran.output
    assert json.loads((root / "parts/a/alpha.json").read_text()) == {"word": "alpha"}
    assert (root / "joined.txt").read_text() == "a/alpha.json=alpha b/beta.json=beta"
    lock = (root / ".pivot/stages/split.lock").read_text() if (root / ".pivot/stages/split.lock").exists() else ""
    assert "parts" in lock or list((root / ".pivot").rglob("split*"))
    assert "0 ran" in _run(pivot).output


def test_a_bad_directory_key_fails_the_stage_naming_it(project, pivot):
    root = project({"stages.py": DIRECTORIES, "pivot.yaml": DIRECTORIES_YAML, "input.txt": "bad ../escape"})
    failed = _run(pivot, "split")
    assert failed.exit_code == 1
    assert "key '../escape' has an empty, '.' or '..' part" in failed.output, failed.output
    assert not (root / "parts").exists() and not (root / "escape").exists()
    (root / "input.txt").write_text("bad /etc/x")
    assert "key '/etc/x' is not a relative POSIX path" in _run(pivot, "split").output


CASE_KEYS = '''
from typing import Annotated
from pivot import loaders, outputs


def split() -> Annotated[dict, outputs.DirectoryOut("parts", loaders.Text())]:
    return {"Readme.txt": "a", "README.txt": "b"}
'''


def test_directory_keys_that_differ_only_in_case_fail(project, pivot):
    project({"stages.py": CASE_KEYS, "pivot.yaml": "stages:\n  split:\n    python: stages.split\n"})
    failed = _run(pivot)
    assert failed.exit_code == 1
    assert "keys 'Readme.txt' and 'README.txt' differ only in case" in failed.output


INCREMENTAL = '''
from typing import Annotated, TypedDict
from pivot import loaders, outputs

SEEN = outputs.IncrementalOut("seen.json", loaders.JSON())


class Out(TypedDict):
    seen: Annotated[dict, SEEN]


def collect(item: Annotated[str, outputs.Dep("item.txt", loaders.Text())], seen: Annotated[dict, SEEN]) -> Out:
    seen = dict(seen)
    seen.setdefault(item.strip(), len(seen))
    return {"seen": seen}


def log(item: Annotated[str, outputs.Dep("item.txt", loaders.Text())]) -> Annotated[str, outputs.IncrementalOut("log.txt", loaders.PathOnly())]:
    with open("log.txt", "a") as handle:  # appends in place to the restored copy
        handle.write(item.strip() + "\\n")
    return "log.txt"
'''
INCREMENTAL_YAML = "stages:\n  collect:\n    python: stages.collect\n  log:\n    python: stages.log\n"


@pytest.mark.parametrize("cache_type", ["hardlink,copy", "symlink,copy"])
def test_an_incremental_output_builds_on_its_last_version_without_touching_the_cache(project, pivot, cache_type):
    root = project({"stages.py": INCREMENTAL, "pivot.yaml": INCREMENTAL_YAML, "item.txt": "a"})
    (root / ".pivot").mkdir()
    (root / ".pivot/config.yaml").write_text(f"cache:\n  type: {cache_type}\n")
    assert _run(pivot).exit_code == 0
    assert json.loads((root / "seen.json").read_text()) == {"a": 0}
    first = sorted((root / ".pivot/cache/files").rglob("*"))
    contents = {p: p.read_bytes() for p in first if p.is_file()}
    (root / "item.txt").write_text("b")
    explained = pivot("explain", "collect")
    assert "Run cache: not used: the stage has an incremental output" in explained.output, explained.output
    assert _run(pivot).exit_code == 0
    assert json.loads((root / "seen.json").read_text()) == {"a": 0, "b": 1}
    assert (root / "log.txt").read_text() == "a\nb\n"
    assert all(path.read_bytes() == content for path, content in contents.items())  # the cache is intact
    # Back to the first input: a run cache would restore {"a": 0}; this stage builds on {"a", "b"}.
    (root / "item.txt").write_text("a")
    assert _run(pivot).exit_code == 0
    assert json.loads((root / "seen.json").read_text()) == {"a": 0, "b": 1}
    assert (root / "log.txt").read_text() == "a\nb\na\n"


def test_a_deleted_incremental_output_comes_back_from_the_cache_before_the_run(project, pivot):
    root = project({"stages.py": INCREMENTAL, "pivot.yaml": INCREMENTAL_YAML, "item.txt": "a"})
    assert _run(pivot).exit_code == 0
    (root / "seen.json").unlink()
    (root / "item.txt").write_text("b")
    assert _run(pivot).exit_code == 0
    assert json.loads((root / "seen.json").read_text()) == {"a": 0, "b": 1}


def test_an_incremental_parameter_without_the_output_is_exit_2(project, pivot):
    code = INCREMENTAL.replace('class Out(TypedDict):\n    seen: Annotated[dict, SEEN]', 'class Out(TypedDict):\n    seen: Annotated[dict, outputs.Out("seen.json", loaders.JSON())]')
    project({"stages.py": code, "pivot.yaml": INCREMENTAL_YAML, "item.txt": "a"})
    assert_clean_error(pivot("explain"), "stage 'collect'", "parameter 'seen'", "no IncrementalOut with that path")


NESTED = '''
from typing import Annotated, TypedDict
from pivot import loaders, outputs


class Evaluated(TypedDict):
    eval: Annotated[dict, outputs.DirectoryOut("eval", loaders.Text())]
    scores: Annotated[dict, outputs.Metric("eval/metrics.json")]


def evaluate(text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Evaluated:
    return {"eval": {"report.txt": text.upper()}, "scores": {"words": len(text.split())}}
'''


def test_a_metric_inside_a_directory_output_of_its_stage(project, pivot):
    root = project({"stages.py": NESTED, "pivot.yaml": "stages:\n  evaluate:\n    python: stages.evaluate\n", "input.txt": "a b c"})
    ran = _run(pivot)
    assert ran.exit_code == 0, ran.output
    assert (root / "eval/report.txt").read_text() == "A B C"
    assert json.loads((root / "eval/metrics.json").read_text()) == {"words": 3}
    shown = pivot("metrics", "show")
    assert "eval/metrics.json" in shown.output and "words" in shown.output and "3" in shown.output, shown.output
    assert "0 ran" in _run(pivot).output


def test_a_metric_inside_another_stages_directory_is_still_refused(project, pivot):
    code = NESTED + '''

def other() -> Annotated[dict, outputs.Metric("eval/other.json")]:
    return {"x": 1}
'''
    yaml = "stages:\n  evaluate:\n    python: stages.evaluate\n  other:\n    python: stages.other\n"
    project({"stages.py": code, "pivot.yaml": yaml, "input.txt": "a"})
    assert_clean_error(pivot("explain"), "output 'eval/other.json' of stage 'other' lies inside output 'eval'")


ALL_SHAPES = "from typing import TypedDict\n" + LISTS + PLACEHOLDER.split("from pivot import loaders, outputs\n", 1)[1] + NESTED.split("from pivot import loaders, outputs\n", 1)[1] + DIRECTORIES.split("from pivot import loaders, outputs\n", 1)[1] + INCREMENTAL.split("from pivot import loaders, outputs\n", 1)[1]
ALL_YAML = LISTS_YAML + "  echo:\n    python: stages.echo\n    deps:\n      text: a.txt\n  evaluate:\n    python: stages.evaluate\n" + DIRECTORIES_YAML.removeprefix("stages:\n") + INCREMENTAL_YAML.removeprefix("stages:\n")


def _git(root: pathlib.Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _git_status(root: pathlib.Path) -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=root, check=True, capture_output=True, text=True).stdout


def _files(root: pathlib.Path) -> dict[str, bytes]:
    skip = (".git", ".pivot", "__pycache__")
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not set(p.parts) & set(skip)}


def test_every_shape_travels_through_push_pull_and_checkout(project, pivot, tmp_path, monkeypatch):
    files = {"stages.py": ALL_SHAPES, "pivot.yaml": ALL_YAML, "a.txt": "alpha", "b.txt": "beta", "input.txt": "one two", "item.txt": "a"}
    root = project(files)
    _git(root, "init", "-q")
    ran = _run(pivot)
    assert ran.exit_code == 0, ran.output
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "remote")).exit_code == 0
    pushed = pivot("push")
    assert pushed.exit_code == 0, pushed.output
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "run")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True, capture_output=True)
    monkeypatch.chdir(clone)
    assert not (clone / "parts").exists() and not (clone / "loud/a.txt").exists()
    # git holds the metric inside the cached directory 'eval', and nothing else of it
    assert (clone / "eval/metrics.json").exists() and not (clone / "eval/report.txt").exists()
    assert "/eval\n" not in (clone / ".gitignore").read_text()
    pulled = pivot("pull")
    assert pulled.exit_code == 0, pulled.output
    assert _files(clone) == _files(root)
    assert "0 ran" in _run(pivot).output
    assert _git_status(clone) == ""  # pull wrote no .gitignore line that hides the metric
    for path in ("parts", "loud/b.txt", "seen.json", "echo.txt", "eval/report.txt"):
        target = clone / path
        subprocess.run(["rm", "-rf", str(target)], check=True)
    checked = pivot("checkout")
    assert checked.exit_code == 0, checked.output
    assert _files(clone) == _files(root)
    # The incremental stage, run in the clone, builds on the pulled version.
    (clone / "item.txt").write_text("c")
    assert _run(pivot).exit_code == 0
    assert json.loads((clone / "seen.json").read_text()) == {"a": 0, "c": 1}


DECLARATIONS = '''
from typing import Annotated
from pivot import loaders, outputs


def dir_pathonly() -> Annotated[dict, outputs.DirectoryOut("d", loaders.PathOnly())]:
    return {}


def empty_list(x: Annotated[list, outputs.Dep([], loaders.Text())]) -> None:
    return None


def listed_incremental() -> Annotated[str, outputs.IncrementalOut(["a", "b"], loaders.Text())]:
    return ""
'''


def test_shapes_declared_wrongly_are_exit_2_naming_the_stage(project, pivot):
    root = project({"stages.py": DECLARATIONS})
    for func, fragments in [
        ("dir_pathonly", ("output 'return' is a DirectoryOut with PathOnly", "Out('d', loaders.PathOnly())")),
        ("empty_list", ("parameter 'x': Dep takes a path, or a non-empty list or tuple of paths, got []",)),
        ("listed_incremental", ("output 'return': IncrementalOut takes one path, got ['a', 'b']",)),
    ]:
        (root / "pivot.yaml").write_text(f"stages:\n  s:\n    python: stages.{func}\n")
        assert_clean_error(pivot("explain"), "pivot.yaml:3: stage 's'", *fragments)


def test_pipeline_py_registers_a_list_of_paths(project, pivot):
    pipeline = "from pivot.pipeline import Pipeline\nimport stages\n\np = Pipeline('p')\np.register(stages.shout, deps={'words': ['c.txt', 'a.txt']}, outs={'return': ['y/c', 'y/a']})\n"
    root = project({"stages.py": LISTS, "pipeline.py": pipeline, "a.txt": "a", "c.txt": "c"})
    ran = _run(pivot)
    assert ran.exit_code == 0, ran.output
    assert (root / "y/c").read_text() == "C" and (root / "y/a").read_text() == "A"


RETURNS = '''
from typing import Annotated
from pivot import loaders, outputs


def one() -> Annotated[list, outputs.Out(["p", "q"], loaders.Text())]:
    return "pq"


def notdict() -> Annotated[dict, outputs.DirectoryOut("d", loaders.Text())]:
    return ["a"]
'''


def test_returns_that_do_not_fit_the_shape_fail_the_stage(project, pivot):
    root = project({"stages.py": RETURNS, "pivot.yaml": "stages:\n  one:\n    python: stages.one\n  notdict:\n    python: stages.notdict\n"})
    failed = _run(pivot, "-k")
    assert failed.exit_code == 1
    assert "output 'return' is declared as 2 paths, so the stage must return a list or tuple of 2 values; it returned a str" in failed.output
    assert "output 'return' is a DirectoryOut: return a dict of relative paths to values, not a list" in failed.output
    assert not (root / "p").exists() and not (root / "d").exists()


FIRST_RUNS = '''
from typing import Annotated, TypedDict
from pivot import loaders, outputs

TEXT = outputs.IncrementalOut("t.txt", loaders.Text())
PICKLED = outputs.IncrementalOut("p.pkl", loaders.Pickle())


class Both(TypedDict):
    text: Annotated[str, TEXT]
    pickled: Annotated[list, PICKLED]


def grow(text: Annotated[str, TEXT], pickled: Annotated[list, PICKLED]) -> Both:
    return {"text": text + repr(text) + ";", "pickled": [*(pickled or []), pickled is None]}
'''


def test_the_first_run_starts_from_the_loaders_empty_value_or_none(project, pivot):
    root = project({"stages.py": FIRST_RUNS, "pivot.yaml": "stages:\n  grow:\n    python: stages.grow\n"})
    assert _run(pivot).exit_code == 0
    assert (root / "t.txt").read_text() == "'';"
    assert _run(pivot, "-f").exit_code == 0
    assert (root / "t.txt").read_text() == "'';\"'';\";"
    import pickle

    assert pickle.loads((root / "p.pkl").read_bytes()) == [True, False]


def test_git_tracks_a_deeper_metric_inside_a_directory_output_and_nothing_else_of_it(project, pivot):
    code = NESTED.replace('"eval/metrics.json"', '"eval/scores/metrics.json"').replace(
        '{"report.txt": text.upper()}', '{"report.txt": text.upper(), "scores/raw.txt": text}'
    )
    root = project({"stages.py": code, "pivot.yaml": "stages:\n  evaluate:\n    python: stages.evaluate\n", "input.txt": "a b"})
    _git(root, "init", "-q")
    assert _run(pivot).exit_code == 0
    _git(root, "add", "-A")
    staged = subprocess.run(["git", "diff", "--cached", "--name-only"], cwd=root, check=True, capture_output=True, text=True).stdout
    assert "eval/scores/metrics.json" in staged.split()
    assert "eval/report.txt" not in staged and "eval/scores/raw.txt" not in staged
    assert "0 ran" in _run(pivot).output


def test_a_path_that_is_neither_a_string_nor_a_list_of_them_is_exit_2(project, pivot):
    yaml = "stages:\n  shout:\n    python: stages.shout\n    deps:\n      words: [a.txt, 3]\n"
    root = project({"stages.py": LISTS, "pivot.yaml": yaml})
    assert_clean_error(pivot("explain"), "pivot.yaml:5", "'stages.shout.deps.words': expected a path, or a list of paths")
    (root / "pivot.yaml").write_text(yaml.replace("words: [a.txt, 3]", "wrds: [a.txt]"))
    assert_clean_error(pivot("explain"), "pivot.yaml:5", "stage 'shout' has no dep named 'wrds'", "did you mean 'words'?")
