"""The Docker build: the Dockerfile's instructions and base images, and the context, the
files `.dockerignore` lets into `docker build`, evaluated the way Docker evaluates it. The
build reads nothing else, so the tests build copies of the project made of exactly these
files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from harness.paths import ROOT


def instructions(dockerfile: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments left out."""
    result = []
    for line in re.sub(r"\\\n", " ", dockerfile.read_text()).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, args = line.strip().partition(" ")
            result.append((keyword.upper(), " ".join(args.split())))
    return result


def base_images(dockerfile: Path = ROOT / "Dockerfile") -> list[tuple[str, bool]]:
    """(image, is it the final stage's base) for each FROM that names an image, not a stage."""
    froms = [[w for w in args.split() if not w.startswith("--")] for kw, args in instructions(dockerfile) if kw == "FROM"]
    stages = {words[2].lower() for words in froms if len(words) > 2 and words[1].upper() == "AS"}
    images = [words[0] for words in froms]
    return [(image, image == images[-1]) for image in dict.fromkeys(images) if image.lower() not in stages]


def dockerignore_patterns(project: Path = ROOT) -> list[str]:
    lines = (project / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def pattern_regex(pattern: str) -> re.Pattern:
    pattern = pattern.strip("/")
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + "$")


def in_context(path: str, project: Path = ROOT) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    included = True
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in dockerignore_patterns(project):
        negate = pattern.startswith("!")
        regex = pattern_regex(pattern.lstrip("!"))
        if any(regex.match(prefix) for prefix in prefixes):
            included = negate
    return included


def context_files(project: Path = ROOT) -> list[str]:
    """The tracked (and new, not ignored) files that reach the build context."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=project,
                            capture_output=True, text=True, check=True).stdout
    return [path for path in listed.splitlines() if (project / path).is_file() and in_context(path, project)]


def copy_context(dest: Path, project: Path = ROOT) -> Path:
    """A copy of the build context in `dest`, sharing the project's node_modules (installed
    once by `make test-deps`) so `make site` runs there without a network."""
    for path in context_files(project):
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project / path, target)
    if (project / "node_modules").is_dir():
        os.symlink(project / "node_modules", dest / "node_modules")
    return dest


def add_to_nav(project: Path, title: str, path: str) -> None:
    """One nav line for a new note, before the last entry (Tags), as a writer adds it."""
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    anchor = "  - Tags: tags.md\n"
    assert text.count(anchor) == 1, "the nav's last line moved: update harness.context.add_to_nav"
    config.write_text(text.replace(anchor, f"  - {title}: {path}\n" + anchor), encoding="utf-8")
