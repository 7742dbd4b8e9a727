"""The preview's one line: what `mkdocs serve` leaves to `make site`, and why.

The hooks that cannot do their part in a preview (a missing Node, npm package, Chromium or
font) note it in config["preview_skips"] (why -> what); the post-build step (postbuild/)
never runs in a preview. This hook, listed last, logs all of it as one INFO line at
startup, and again only when it changes: INFO, not a warning, so `mkdocs serve --strict`
(`make serve`) previews, while `mkdocs build` fails on what is missing, naming what to
install.
"""

from __future__ import annotations

import logging

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files

LINE = "Preview (mkdocs serve), unlike `make site`: {skips}."
DEPS = (" For the full preview: `make deps` installs Node, the npm packages, Chromium and the fonts "
        "(README, \"Set up\").")
ALWAYS = "as in every preview"
POSTBUILD = ("no post-build step (resized images, CSP <meta>, minified HTML, one purged stylesheet, "
             ".gz/.br files)")

log = logging.getLogger("mkdocs.hooks.preview")
_command: str | None = None
_told = ""


def preview_line(skips: dict[str, list[str]]) -> str:
    line = LINE.format(skips="; ".join(f"{', '.join(what)} ({why})" for why, what in skips.items()))
    return line + (DEPS if set(skips) - {ALWAYS} else "")


def on_startup(command: str, dirty: bool) -> None:
    global _command, _told
    _command, _told = command, ""


def on_files(files: Files, config: MkDocsConfig) -> Files:
    global _told
    if _command == "serve":
        skips = config.setdefault("preview_skips", {})
        skips.setdefault(ALWAYS, []).append(POSTBUILD)
        if (line := preview_line(skips)) != _told:
            log.info(line)
            _told = line
    return files
