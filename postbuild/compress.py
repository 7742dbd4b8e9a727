"""Precompressed files for nginx's gzip_static and brotli_static: no compression work per
request.

Guarantees, on any built folder: every text file gets a .br (brotli 11) and a .gz beside
it, with the same mtime (stable Last-Modified and ETag), unless compressing does not make
it smaller. The bytes depend only on the file's content and path, and each result is cached
by them, so an unchanged file is never compressed again; new ones are compressed on every
core (brotli, zlib and zopfli release the GIL), largest first, so the longest job does not
start last.

zopfli (the densest gzip, far slower than zlib) is spent only on the large theme scripts
and stylesheet, fingerprinted files every visitor fetches and caches; everything else
changes with edits and reaches only gzip-only clients as .gz, so it gets zlib level 9.
brotli stays at 11 everywhere: the page-weight budgets (tests/test_budgets.py) are paid by
readers.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli
import zopfli.gzip

from hooks.shared import write_atomic

# Source maps (.map) are left out: only developer tools fetch them.
COMPRESSIBLE = {".html", ".css", ".js", ".json", ".webmanifest", ".xml", ".svg", ".txt", ".md"}  # .md: the notes' copies (postbuild/llms.py)
ZOPFLI_MIN_BYTES = 20_000
ZOPFLI_FOLDERS = ("assets/javascripts/", "assets/stylesheets/")


def wants_zopfli(relative: str, size: int) -> bool:
    return size >= ZOPFLI_MIN_BYTES and relative.startswith(ZOPFLI_FOLDERS)


def gzipped(data: bytes, dense: bool) -> bytes:
    return zopfli.gzip.compress(data) if dense else zlib.compress(data, level=9, wbits=31)  # gzip container


def cached_pair(cache: Path, relative: str, data: bytes) -> tuple[Path, Path]:
    """The file's .gz and .br from the cache, made first if they are not there (the .br,
    written last, marks an entry complete)."""
    dense = wants_zopfli(relative, len(data))
    key = hashlib.sha256(data).hexdigest() + ("z" if dense else "")
    gz, br = cache / f"{key}.gz", cache / f"{key}.br"
    if not br.is_file():
        write_atomic(gz, gzipped(data, dense))
        write_atomic(br, brotli.compress(data, quality=11))
    return gz, br


def precompress(site_dir: Path, cache: Path) -> None:
    files = sorted((p for p in site_dir.rglob("*") if p.suffix in COMPRESSIBLE and p.is_file()),
                   key=lambda p: p.stat().st_size, reverse=True)

    def one(path: Path) -> None:
        data = path.read_bytes()
        stat = path.stat()
        for packed in cached_pair(cache, path.relative_to(site_dir).as_posix(), data):
            target = path.with_name(path.name + packed.suffix)
            if packed.stat().st_size >= stat.st_size:
                target.unlink(missing_ok=True)
                continue  # nginx then sends the plain file, which is smaller
            target.write_bytes(packed.read_bytes())
            os.utime(target, (stat.st_atime, stat.st_mtime))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(one, files))  # an error stops the build here
