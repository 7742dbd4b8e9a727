"""Precompressed files for nginx's gzip_static and brotli_static: no compression work per
request.

Guarantees, for `mkdocs build` (skipped under `mkdocs serve`, where it would only slow down
live reload): every text file of the finished site (listed last in mkdocs.yml, so it sees
the final files) gets a .gz (zopfli, the densest gzip) and a .br (brotli 11) beside it, with
the same mtime (stable Last-Modified and ETag), unless compressing does not make it smaller.
"""

from __future__ import annotations

import os
from pathlib import Path

import brotli
import zopfli.gzip
from mkdocs.config.defaults import MkDocsConfig

# Source maps (.map) are left out: only developer tools fetch them.
COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt"}

_command: str | None = None


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command


def precompress(site_dir: Path) -> None:
    for path in sorted(site_dir.rglob("*")):
        if path.suffix not in COMPRESSIBLE or not path.is_file():
            continue
        data = path.read_bytes()
        stat = path.stat()
        for suffix, packed in (
            (".gz", zopfli.gzip.compress(data)),
            (".br", brotli.compress(data, quality=11)),
        ):
            target = path.with_name(path.name + suffix)
            if len(packed) >= len(data):
                target.unlink(missing_ok=True)
                continue  # nginx then sends the plain file, which is smaller
            target.write_bytes(packed)
            os.utime(target, (stat.st_atime, stat.st_mtime))


def on_post_build(config: MkDocsConfig) -> None:
    if _command == "build":
        precompress(Path(config.site_dir))
