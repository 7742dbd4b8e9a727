"""The project's own upkeep: ruff over its Python (make lint, part of make test), the
pre-commit hooks (they pass on the tree, download nothing, and each one fails on a broken
file it is meant to catch), and Dependabot's reach (every manifest in the tree is watched)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.context import copy_context
from harness.paths import ROOT

BIN = Path(sys.executable).parent
PRE_COMMIT_CONFIG = ROOT / ".pre-commit-config.yaml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"


def run(command: list[str], cwd: Path = ROOT, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, **kwargs)


# --- ruff -------------------------------------------------------------------------------


def test_make_test_runs_the_linter():
    planned = run(["make", "--no-print-directory", "-n", "test"]).stdout
    assert re.search(r"(?m)^\S*/ruff check\b", planned), f"`make test` would not run ruff:\n{planned}"
    assert "make lint" in run(["make", "--no-print-directory", "help"]).stdout


def test_ruff_passes_on_the_project():
    result = run([str(BIN / "ruff"), "check", "--no-cache"])
    assert result.returncode == 0, result.stdout + result.stderr


CLOSURE = '''
def callbacks(names):
    out = []
    for name in names:
        out.append(lambda: name)
    return out
'''
# A noqa comment with nothing to silence: it would hide a real F401 added to the line later.
IDLE_NOQA = "LIMIT = 1  # noqa: F401\n"


def test_ruff_catches_a_closure_over_a_loop_variable_and_an_idle_noqa(tmp_path):
    # The bug bench/ had: every callback sees the loop's last value.
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "closures.py").write_text(CLOSURE + IDLE_NOQA)
    result = run([str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise"], cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "B023" in result.stdout and "RUF100" in result.stdout, result.stdout


# --- pre-commit ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hooks() -> dict[str, str]:
    """Each hook's id and the name pre-commit prints for it."""
    config = yaml.safe_load(PRE_COMMIT_CONFIG.read_text())
    return {hook["id"]: hook.get("name", hook["id"]) for repo in config["repos"] for hook in repo["hooks"]}


def pre_commit(cwd: Path, home: Path) -> subprocess.CompletedProcess:
    """`pre-commit run --all-files` with the system's commands alone and a cache of its own."""
    return run([str(BIN / "pre-commit"), "run", "--all-files", "--color", "never"], cwd=cwd,
               env={"PATH": "/usr/bin:/bin", "HOME": str(home), "PRE_COMMIT_HOME": str(home / "pre-commit")})


def test_pre_commit_passes_on_the_tree_and_downloads_nothing(hooks, tmp_path):
    result = pre_commit(ROOT, tmp_path)
    # Offline and the same tools as `make test`: no hook repository was cloned and no
    # environment was built for a hook, in a pre-commit cache that started empty.
    made = sorted(p.name for p in (tmp_path / "pre-commit").iterdir() if p.is_dir())
    assert not made, f"pre-commit set up {made}: a hook that is not a tool of the project's .venv"
    assert result.returncode == 0, result.stdout + result.stderr
    for name in hooks.values():  # each ran on something: none skipped for want of files
        assert re.search(rf"(?m)^{re.escape(name)}\.+Passed$", result.stdout), result.stdout


def linted_folders() -> list[str]:
    """The folders whose Python `make lint` checks (ruff's own list of files)."""
    listed = run([str(BIN / "ruff"), "check", "--no-cache", "--show-files"]).stdout.split()
    return sorted({Path(path).relative_to(ROOT).parts[0] for path in listed})


def test_each_hook_fails_on_a_broken_file(hooks, tmp_path):
    """pre-commit itself, on a git repository of the project in which every hook has a
    broken file of its kind, where it stands in the project: each hook fails, naming it.
    The ruff hook finds the bug in every folder `make lint` checks."""
    project = copy_context(tmp_path / "project")
    for name in (".pre-commit-config.yaml", "pyproject.toml", ".github/workflows/pages.yml", ".github/dependabot.yml"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, project / name)
    (project / ".venv").symlink_to(BIN.parent)
    for folder in linted_folders():
        (project / folder).mkdir(exist_ok=True)
        (project / folder / "closures.py").write_text(CLOSURE)
    cors = project / "docs" / "cors.md"
    cors.write_text(cors.read_text(encoding="utf-8") + "\nBole to ðŸš€ fast.\n", encoding="utf-8")
    jwt = project / "docs" / "jwt.md"
    jwt.write_text(re.sub(r"(?m)^description:.*\n(  .*\n)*", "", jwt.read_text(encoding="utf-8"), count=1),
                   encoding="utf-8")
    (project / "examples" / "notes-api" / "Dockerfile").write_text("FROM debian:latest\nRUN apt-get install nginx\n")
    workflow = project / ".github" / "workflows" / "pages.yml"
    workflow.write_text(workflow.read_text().replace("contents: read", "contents: raed", 1))
    dependabot = project / ".github" / "dependabot.yml"
    dependabot.write_text(dependabot.read_text().replace("interval: weekly", "interval: hourly", 1))
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / ".git" / "info" / "exclude").write_text("/.venv\n/node_modules\n")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)

    result = pre_commit(project, tmp_path / "home")
    assert result.returncode == 1, result.stdout + result.stderr
    for name in hooks.values():
        assert re.search(rf"(?m)^{re.escape(name)}\.+Failed$", result.stdout), f"{name}:\n{result.stdout}"
    assert "B023" in result.stdout
    for folder in linted_folders():
        assert re.search(rf"{folder}/closures\.py:\d+:\d+", result.stdout), f"the ruff hook skips {folder}/"
    assert re.search(r"docs/cors\.md:\d+: .*mojibake", result.stdout), result.stdout
    assert "docs/jwt.md:2: front matter needs a 'description'" in result.stdout
    assert "examples/notes-api/Dockerfile" in result.stdout  # hadolint names the file it faults
    for wrong in ("'raed' is not one of", "'hourly' is not one of"):
        assert wrong in result.stdout, result.stdout


# --- Dependabot ---------------------------------------------------------------------------
# Its schema is checked by the check-dependabot hook above, on the tree and on a broken copy.


def manifests() -> dict[str, set[str]]:
    """The folders of every file Dependabot can update, by ecosystem, found in the tree
    (tracked files and new ones git does not ignore)."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"]).stdout.splitlines()
    found: dict[str, set[str]] = {}
    for path in listed:
        folder, _, name = path.rpartition("/")
        if path.startswith(".github/workflows/") and name.endswith((".yml", ".yaml")):
            found.setdefault("github-actions", set()).add("/")  # Dependabot reads the folder from the root
        elif re.fullmatch(r"requirements[^/]*\.txt", name):
            found.setdefault("pip", set()).add("/" + folder)
        elif name == "package-lock.json":
            found.setdefault("npm", set()).add("/" + folder)
        elif name == "Dockerfile":
            found.setdefault("docker", set()).add("/" + folder)
    return found


def test_dependabot_watches_every_manifest_and_nothing_else():
    covered: dict[str, set[str]] = {}
    for update in yaml.safe_load(DEPENDABOT.read_text())["updates"]:
        folders = update.get("directories") or [update["directory"]]
        covered.setdefault(update["package-ecosystem"], set()).update(folder.rstrip("/") or "/" for folder in folders)
    # A pin in a folder Dependabot does not watch never gets an update, security fixes
    # included; a watched folder without a manifest fails every Dependabot run.
    assert covered == manifests()
    # Dependabot regenerates the hashes of a pip lock only where pip-compile made it.
    for lock in ROOT.glob("requirements*.txt"):
        assert "autogenerated by pip-compile" in lock.read_text()[:200], lock.name


# --- the engine's end of life ---------------------------------------------------------------


def material_end_of_life() -> str:
    """The date Material for MkDocs itself announces, as YYYY-MM-DD."""
    import datetime

    import material.templates

    text = Path(material.templates.__file__).read_text(encoding="utf-8")
    (date,) = re.findall(r"reaches end of life on (\w+ \d+, \d{4})", text)
    return datetime.datetime.strptime(date, "%B %d, %Y").date().isoformat()


def test_the_end_of_life_notice_stays_visible():
    eol = material_end_of_life()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    engine = readme.split("\n## Engine\n", 1)[1].split("\n## ", 1)[0]
    assert eol in engine and "Zensical" in engine
    for part in ("What Zensical reads", "What it cannot", "The plan"):
        assert part in engine, part
    # `make serve` shows Material's own notice; `make site` prints one line pointing here.
    serve = run(["make", "--no-print-directory", "-n", "serve"]).stdout
    assert re.search(r"(?m)^env -u NO_MKDOCS_2_WARNING \S*mkdocs serve", serve), serve
    site = run(["make", "--no-print-directory", "-n", "site"]).stdout
    assert re.search(rf"(?m)^echo '.*{eol}.*README\.md, \"Engine\"", site), site


def test_the_readme_has_a_plain_path_for_any_system():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n### Any other system", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#")[0].strip() for line in re.findall(r"```bash\n(.*?)```", section, re.S)[0].splitlines()]
    assert commands == ["python -m venv .venv", "source .venv/bin/activate", "pip install -r requirements.txt",
                        "npm ci --omit=dev", "mkdocs serve"]
