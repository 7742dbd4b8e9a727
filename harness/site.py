"""The one build entrypoint, `make site`, as the Dockerfile and the Pages workflow run it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from harness.paths import ROOT, TOOLS
from hooks.shared import cache_root


def make_site(site_dir: Path, project: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `make site` in `project` (the repository, or a copy of it) into `site_dir`. Every
    copy shares this repository's cache folder (entries are named by their content), unless
    `env` names another SITE_CACHE: a test of the caches themselves gives its own."""
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), "site", f"SITE_DIR={site_dir}",
         f"VENV={TOOLS / '.venv'}"],
        capture_output=True, text=True, env={"SITE_CACHE": str(cache_root(TOOLS)), **os.environ, **(env or {})},
        timeout=600,
    )


def build(site_dir: Path, env: dict | None = None, project: Path = ROOT) -> Path:
    """`make site`, failing with its output if it fails."""
    result = make_site(site_dir, project=project, env=env)
    assert result.returncode == 0, f"make site failed:\n{result.stdout}\n{result.stderr}"
    return site_dir
