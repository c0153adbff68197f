""".gitignore entries for cached outputs: `pivot run`, `checkout`, `pull` and `track` keep `/name` in the
.gitignore beside each one, so `git add -A` never commits a model, and never hide a metric from git."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest
from conftest import REPO

from pivot.base.project import Project
from pivot.worktree import gitignore

STAGES = '''
import pathlib
from typing import Annotated, TypedDict
from pivot import loaders, outputs


class Trained(TypedDict):
    model: Annotated[str, outputs.Out("models/model.txt", loaders.Text())]
    features: Annotated[pathlib.Path, outputs.Out("data/features", loaders.PathOnly())]
    curve: Annotated[dict, outputs.Plot("plots/curve.json")]
    notes: Annotated[str, outputs.Out("notes.txt", loaders.Text(), cache=False)]
    score: Annotated[dict, outputs.Metric("metrics.json")]


def train(text: Annotated[str, outputs.Dep("input.txt", loaders.Text())]) -> Trained:
    features = pathlib.Path("data/features")
    features.mkdir(parents=True)
    (features / "a.txt").write_text(text)
    return {"model": text.upper(), "features": features, "curve": {"x": [1]}, "notes": "n", "score": {"acc": 1}}


def report(model: Annotated[str, outputs.Dep("models/model.txt", loaders.Text())]) -> Annotated[str, outputs.Out("report.txt", loaders.Text())]:
    return "report " + model
'''

PIPELINE = "stages:\n  train:\n    python: stages.train\n  report:\n    python: stages.report\n"


def git(root: pathlib.Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout


def untracked(root: pathlib.Path) -> set[str]:
    """What `git add -A` would add: every untracked, not ignored file, one by one."""
    entries = git(root, "status", "--porcelain", "-z", "--untracked-files=all").split("\0")
    return {entry[3:] for entry in entries if entry.startswith("?? ")}


@pytest.fixture
def repo(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "input.txt": "alpha"})
    git(root, "init", "-q")
    return root


def run(pivot) -> str:
    result = pivot("run", "--executor", "inprocess")
    assert result.exit_code == 0, result.output
    return result.output


def test_run_ignores_cached_outputs_beside_them_and_leaves_metrics_to_git(repo, pivot):
    output = run(pivot)
    assert ".gitignore" not in output  # the run speaks of its stages; git status shows the new files
    assert (repo / ".gitignore").read_text() == "/report.txt\n"
    assert (repo / "models/.gitignore").read_text() == "/model.txt\n"
    assert (repo / "data/.gitignore").read_text() == "/features\n"  # a directory output, as DVC writes it
    assert (repo / "plots/.gitignore").read_text() == "/curve.json\n"  # plots are cached: ignored too
    seen = untracked(repo)
    assert {"metrics.json", "notes.txt"} <= seen  # Metric and cache=False outputs: git holds them
    assert not seen & {"models/model.txt", "data/features/a.txt", "plots/curve.json", "report.txt"}
    assert {".gitignore", "models/.gitignore", ".pivot/stages/train.lock"} <= seen


def test_rerun_adds_nothing_and_keeps_the_users_lines_and_order(repo, pivot):
    (repo / ".gitignore").write_text("# mine\n__pycache__/\n!important.txt\n/report.txt\n*.log")  # no final newline
    (repo / "models").mkdir()
    (repo / "models/.gitignore").write_text("model.txt\n")  # the user's own spelling of the entry
    run(pivot)
    assert (repo / ".gitignore").read_text() == "# mine\n__pycache__/\n!important.txt\n/report.txt\n*.log"
    assert (repo / "models/.gitignore").read_text() == "model.txt\n"
    before = {path: path.read_text() for path in repo.rglob(".gitignore")}
    run(pivot)
    assert {path: path.read_text() for path in repo.rglob(".gitignore")} == before
    assert (repo / "data/.gitignore").read_text() == "/features\n"
    assert (repo / "plots/.gitignore").read_text() == "/curve.json\n"


def test_an_output_git_already_ignores_gets_no_line(repo, pivot):
    (repo / ".gitignore").write_text("models/\n*.txt\ndata/\nplots/\n")
    run(pivot)
    assert not (repo / "models/.gitignore").exists() and not (repo / "data/.gitignore").exists()
    assert (repo / ".gitignore").read_text() == "models/\n*.txt\ndata/\nplots/\n"


def test_a_new_line_goes_after_the_users_last_line_without_a_newline(repo, pivot):
    (repo / ".gitignore").write_text("*.pyc")
    run(pivot)
    assert (repo / ".gitignore").read_text() == "*.pyc\n/report.txt\n"


def test_a_metric_is_never_ignored_and_a_users_pattern_hiding_it_is_named(repo, pivot):
    run(pivot)
    # The entry an earlier version of the stage left when metrics.json was a cached Out.
    (repo / ".gitignore").write_text("/report.txt\n/metrics.json\n/notes.txt\n# end\n")
    run(pivot)
    assert (repo / ".gitignore").read_text() == "/report.txt\n# end\n"
    assert {"metrics.json", "notes.txt"} <= untracked(repo)

    (repo / ".gitignore").write_text("/report.txt\n*.json\n")  # the user's own line: reported, not edited
    warned = pivot("run", "--executor", "inprocess")
    assert warned.exit_code == 0
    assert "warning: metrics.json is kept in git (not cached), but git ignores it (.gitignore:2: *.json)" in warned.output
    assert (repo / ".gitignore").read_text() == "/report.txt\n*.json\n"


@pytest.mark.slow  # over a third of a second: the quick subset stays under a minute
def test_checkout_and_pull_write_the_entries_of_what_they_restore(repo, pivot, pivot_proc, tmp_path):
    run(pivot)
    assert pivot("remote", "add", "-d", "origin", str(tmp_path / "remote")).exit_code == 0
    assert pivot("push").exit_code == 0
    for ignore in repo.rglob(".gitignore"):
        if ".pivot" not in ignore.parts:
            ignore.unlink()  # as in a project committed before pivot kept these entries
    checkout = pivot("checkout")
    assert checkout.exit_code == 0, checkout.output
    assert "4 entries added for cached outputs" in checkout.output
    assert (repo / "models/.gitignore").read_text() == "/model.txt\n"

    git(repo, "add", "-A")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "run")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "rm", "-q", "models/.gitignore", "data/.gitignore")
    pulled = pivot_proc("pull", cwd=clone)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert (clone / "models/model.txt").read_text() == "ALPHA"
    assert (clone / "models/.gitignore").read_text() == "/model.txt\n"
    assert {path for path in untracked(clone) if "__pycache__" not in path} == {"models/.gitignore", "data/.gitignore"}


def test_track_writes_one_gitignore_per_directory_for_many_paths(project, pivot):
    root = project({"pivot.yaml": "stages: {}\n", "raw/a.csv": "1", "raw/b.csv": "2", "raw/c.csv": "3", "raw/.gitignore": "# raw data\n"})
    result = pivot("track", "raw/a.csv", "raw/b.csv", "raw/c.csv")
    assert result.exit_code == 0, result.output
    assert (root / "raw/.gitignore").read_text() == "# raw data\n/a.csv\n/b.csv\n/c.csv\n"
    assert "git add raw/a.csv.pvt raw/b.csv.pvt raw/c.csv.pvt raw/.gitignore" in result.output


def test_without_git_the_entries_are_written_for_a_later_git_init(project, pivot):
    root = project({"stages.py": STAGES, "pivot.yaml": PIPELINE, "input.txt": "alpha"})
    run(pivot)
    assert (root / "models/.gitignore").read_text() == "/model.txt\n"
    git(root, "init", "-q")
    assert "models/model.txt" not in untracked(root)


@pytest.mark.slow  # a pool of workers, as the user's `pivot run` starts
def test_the_tutorial_leaves_git_only_what_it_should_hold(tmp_path, monkeypatch, pivot):
    pytest.importorskip("pandas")
    root = tmp_path / "tutorial"
    shutil.copytree(REPO / "examples/tutorial", root, ignore=shutil.ignore_patterns(".pivot", "*.parquet", "*.pkl", "metrics.json"))
    monkeypatch.chdir(root)
    git(root, "init", "-q")
    result = pivot("run")
    assert result.exit_code == 0, result.output
    status = git(root, "status", "--porcelain", "--untracked-files=all")
    assert "model.pkl" not in status and "processed.parquet" not in status
    assert "?? metrics.json" in status.splitlines()
    assert (root / ".gitignore").read_text() == "/processed.parquet\n/model.pkl\n"


def test_init_says_that_pivot_keeps_gitignore_entries(project, pivot):
    project({"pivot.yaml": "stages: {}\n"})
    result = pivot("init")
    assert result.exit_code == 0
    assert "pivot keeps a .gitignore line beside each output it caches" in result.output


def test_thousands_of_outputs_in_one_directory_cost_one_write(project, pivot):
    root = project({"pivot.yaml": "stages: {}\n"})
    (root / "out").mkdir()
    paths = [f"out/part-{i:05d}.bin" for i in range(5000)]
    update = gitignore.keep(Project(root), paths, ["out/metrics.json"])
    assert update.written == ("out/.gitignore",) and update.added == 5000
    assert (root / "out/.gitignore").read_text().splitlines() == ["/" + p.split("/")[1] for p in paths]
    assert gitignore.keep(Project(root), paths).written == ()


@pytest.mark.parametrize("name", ["#hash.txt", "!bang.txt", "star*.txt", "what?.txt", "[x].txt", "back\\slash.txt", "space .txt", "trailing "])
def test_names_with_gitignore_syntax_are_escaped_so_git_ignores_exactly_them(project, pivot, name):
    root = project({"pivot.yaml": "stages: {}\n", f"d/{name}": "x", "d/other.txt": "y", "d/starX.txt": "z"})
    git(root, "init", "-q")
    update = gitignore.keep(Project(root), [f"d/{name}"])
    assert update.written == ("d/.gitignore",)
    seen = untracked(root)
    assert not any(name in path for path in seen), seen
    assert {"d/other.txt", "d/starX.txt"} <= seen


EDITING = '''
import pathlib
from typing import Annotated
from pivot import loaders, outputs


def first() -> Annotated[str, outputs.Out("out/first.txt", loaders.Text())]:
    return "one"


def second(one: Annotated[str, outputs.Dep("out/first.txt", loaders.Text())]) -> Annotated[str, outputs.Out("out/second.txt", loaders.Text())]:
    pathlib.Path(".gitignore").write_text(pathlib.Path(".gitignore").read_text() + "*.txt\\n")
    return one + " two"
'''


def test_a_rule_a_stage_adds_while_the_run_goes_on_is_obeyed(project, pivot):
    # git is asked which outputs it ignores while the stages run; a stage that then adds a rule
    # hiding them (here the second, after the first has started) must not get lines it does not need.
    root = project({"stages.py": EDITING, "pivot.yaml": "stages:\n  first:\n    python: stages.first\n  second:\n    python: stages.second\n",
                    ".gitignore": "# mine\n", "out/keep": ""})
    git(root, "init", "-q")
    run(pivot)
    assert (root / ".gitignore").read_text() == "# mine\n*.txt\n"
    assert not (root / "out/.gitignore").exists()
    assert not {"out/first.txt", "out/second.txt"} & untracked(root)


def test_many_outputs_are_asked_about_at_once_after_the_run(project):
    # More paths than a pipe holds: git is asked when the lines are written, all in one call.
    names = [f"out/{'n' * 40}_{i}.bin" for i in range(600)]
    root = project({"out/.gitignore": "*_1*.bin\n", "pivot.yaml": "stages: {}\n"})
    git(root, "init", "-q")
    proj = Project(root)
    early = gitignore.Early(proj, names)
    early.start()
    update = gitignore.keep(proj, names, early=early)
    early.close()
    hidden = [name for name in names if "_1" not in name.rsplit("/", 1)[1]]
    assert update.added == len(hidden)
    assert (root / "out/.gitignore").read_text() == "*_1*.bin\n" + "".join(f"/{name.rsplit('/', 1)[1]}\n" for name in hidden)
