"""The project's own upkeep: ruff over its Python (make lint, part of make test), the
pre-commit hooks (they pass on the tree, and each one fails on a broken file), and
Dependabot's configuration (schema-valid, every ecosystem and folder covered, grouped)."""

from __future__ import annotations

import re
import shlex
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
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


def run(command: list[str], cwd: Path = ROOT, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, **kwargs)


# --- ruff -------------------------------------------------------------------------------


def test_make_test_runs_the_linter():
    makefile = (ROOT / "Makefile").read_text()
    (prerequisites,) = re.findall(r"(?m)^test:([^#\n]*)", makefile)
    assert "lint" in prerequisites.split()
    assert re.search(r"(?m)^lint:.*## ", makefile), "lint has no `## help` line"
    assert "$(BIN)/ruff check" in makefile
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


def test_ruff_catches_a_closure_over_a_loop_variable(tmp_path):
    # The bug bench/ had: every callback sees the loop's last value.
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "closures.py").write_text(CLOSURE)
    result = run([str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise"], cwd=tmp_path)
    assert result.returncode == 1 and "B023" in result.stdout, result.stdout + result.stderr


def test_no_noqa_comment_is_left_without_a_rule_it_silences():
    # RUF100 flags a noqa comment that silences nothing; it must be among the selected rules.
    config = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'select = \[[^\]]*"RUF100"', config) and re.search(r'select = \[[^\]]*"B"', config)


# --- pre-commit ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hooks() -> dict[str, dict]:
    config = yaml.safe_load(PRE_COMMIT_CONFIG.read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"], "local hooks only: nothing to download"
    found = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    for hook in found.values():
        assert hook["language"] == "system" and hook["entry"].startswith(".venv/bin/"), hook
    return found


def test_the_hooks_are_the_quick_checks(hooks):
    assert set(hooks) == {"ruff", "notes-sources", "hadolint", "check-github-workflows", "check-dependabot"}


def test_pre_commit_passes_on_the_tree(hooks, tmp_path):
    result = run([str(BIN / "pre-commit"), "run", "--all-files", "--color", "never"],
                 env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PRE_COMMIT_HOME": str(tmp_path / "pc")})
    assert result.returncode == 0, result.stdout + result.stderr
    for hook in hooks.values():  # each ran on something: none skipped for want of files
        assert re.search(rf"(?m)^{re.escape(hook['name'])}\.+Passed$", result.stdout), result.stdout


def run_hook(hook: dict, files: list[Path], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The hook's own command, as pre-commit runs it, on the given files."""
    command = shlex.split(hook["entry"])
    command[0] = str(ROOT / command[0])
    if hook.get("pass_filenames", True):
        command += [str(f) for f in files]
    return run(command, cwd=cwd)


def test_the_ruff_hook_fails_on_a_bug(hooks, tmp_path):
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    bad = tmp_path / "tests" / "closures.py"
    bad.parent.mkdir()
    bad.write_text(CLOSURE)
    result = run_hook(hooks["ruff"], [bad], cwd=tmp_path)
    assert result.returncode != 0 and "B023" in result.stdout


def test_the_notes_hook_fails_on_mojibake_and_front_matter(hooks, tmp_path):
    project = copy_context(tmp_path / "project")
    cors = project / "docs" / "cors.md"
    cors.write_text(cors.read_text(encoding="utf-8") + "\nBole to ðŸš€ fast.\n", encoding="utf-8")
    jwt = project / "docs" / "jwt.md"
    jwt.write_text(re.sub(r"(?m)^description:.*\n(  .*\n)*", "", jwt.read_text(encoding="utf-8"), count=1),
                   encoding="utf-8")
    result = run_hook(hooks["notes-sources"], [cors, jwt], cwd=project)
    assert result.returncode == 1
    assert "docs/cors.md:" in result.stderr and "mojibake" in result.stderr, result.stderr
    assert "docs/jwt.md:2: front matter needs a 'description'" in result.stderr, result.stderr


def test_the_hadolint_hook_fails_on_a_bad_dockerfile(hooks, tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:latest\nRUN apt-get install nginx\n")
    assert re.search(hooks["hadolint"]["files"], "examples/notes-api/Dockerfile")
    assert run_hook(hooks["hadolint"], [bad]).returncode != 0


def test_the_schema_hooks_fail_on_broken_files(hooks, tmp_path):
    workflow = tmp_path / "pages.yml"
    workflow.write_text(WORKFLOW.read_text().replace("contents: read", "contents: raed", 1))
    assert run_hook(hooks["check-github-workflows"], [workflow]).returncode != 0
    dependabot = tmp_path / "dependabot.yml"
    dependabot.write_text(DEPENDABOT.read_text().replace("interval: weekly", "interval: hourly", 1))
    assert run_hook(hooks["check-dependabot"], [dependabot]).returncode != 0


# --- Dependabot ---------------------------------------------------------------------------


def test_dependabot_config_matches_its_schema():
    # --builtin-schema: the schema ships with check-jsonschema, so this runs offline.
    result = run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(DEPENDABOT)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_covers_every_pinned_thing_weekly_and_grouped():
    updates = yaml.safe_load(DEPENDABOT.read_text())["updates"]
    covered = {}
    for update in updates:
        folders = update.get("directories") or [update["directory"]]
        covered.setdefault(update["package-ecosystem"], set()).update(folders)
        assert update["schedule"]["interval"] == "weekly", update
        groups = update.get("groups", {})
        assert any(group.get("patterns") == ["*"] for group in groups.values()), f"not grouped: {update}"
    # Every folder with a manifest of that kind is covered, and nothing else is named.
    assert covered == {
        "pip": {"/"},
        "npm": {"/" + p.parent.relative_to(ROOT).as_posix() if p.parent != ROOT else "/"
                for p in [ROOT / "package-lock.json", *ROOT.glob("examples/*/package-lock.json")]},
        "github-actions": {"/"},
        "docker": {"/" + p.parent.relative_to(ROOT).as_posix() if p.parent != ROOT else "/"
                   for p in [ROOT / "Dockerfile", *ROOT.glob("examples/*/Dockerfile")]},
    }
    # pip's updates go through pip-compile: the locks say they were made by it.
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
