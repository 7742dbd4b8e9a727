"""True "last updated" dates, or none.

The git-revision-date-localized plugin (mkdocs.yml) reads each page's last commit date;
Material shows it under the page. Left alone, the plugin fails the build where there is no
git repository (the Docker build context, a tarball) and shows the build date for a page
git has no commit for: a claim of an edit that did not happen.

Guarantees:
* no git work tree, or a shallow clone (whose oldest commit would stand in for every older
  edit): the plugin is switched off for the build, which succeeds and shows no date;
* a history git refuses to read (a checkout owned by another user, as in a CI container):
  the build stops, naming the fix, rather than silently dropping every date;
* a page without a commit of its own (new, not committed yet) shows no date;
* every date shown is the date of the last commit that changed the page's file.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

PLUGIN = "git-revision-date-localized"
DATE_KEYS = ("git_revision_date_localized", "git_creation_date_localized")

log = logging.getLogger("mkdocs.hooks.dates")


def history(project: Path) -> str | None:
    """Why `project` has no usable git history, or None if it has one."""
    try:
        result = subprocess.run(["git", "rev-parse", "--is-inside-work-tree", "--is-shallow-repository"],
                                cwd=project, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "git is not installed"
    if "dubious ownership" in result.stderr:
        # The history is there but git will not read it (a checkout owned by another user,
        # as in a CI container): dates would silently vanish, so stop instead.
        raise PluginError(f"git refuses to read the history of {project}: {result.stderr.strip()}\n"
                          f"Fix: git config --global --add safe.directory {project}")
    if result.returncode != 0:
        return "not in a git repository"
    if result.stdout.split()[-1:] == ["true"]:
        return "a shallow clone"
    return None


@event_priority(100)  # before the plugin's own on_config, which reads the history
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    plugin = config.plugins.get(PLUGIN)
    if plugin is not None and plugin.config.get("enabled"):
        reason = history(Path(config.config_file_path).parent)
        if reason:
            log.info("No 'last updated' dates: %s.", reason)
            plugin.config["enabled"] = False
    return config


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    # Hooks run after the plugins: the plugin has set the date by now.
    # The plugin marks a page without a commit by an empty hash (and the build time as date):
    # every form of that date goes (the formatted one, _raw_*, _hash, _tag).
    for variable in DATE_KEYS:
        if variable in page.meta and not page.meta.get(f"{variable}_hash"):
            for key in [k for k in page.meta if k == variable or k.startswith(variable + "_")]:
                del page.meta[key]
    return markdown
