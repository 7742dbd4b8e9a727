"""Precompressed files for nginx's gzip_static and brotli_static: no compression work per
request, and little per build.

Guarantees, for `mkdocs build` (skipped under `mkdocs serve`, where it would only slow down
live reload): every text file of the finished site (this hook is listed last in mkdocs.yml,
so it sees the final files) gets a .br (brotli 11) and a .gz beside it, with the same mtime
(stable Last-Modified and ETag), unless compressing does not make it smaller. The bytes
depend only on the file's content and path: every build writes the same .br and .gz.

Cost follows what changed: each result is cached by the file's content hash in
.cache/compress/ (outside site/), so an unchanged file is never compressed again, and the
files that are new are compressed on every core by a thread pool (brotli, zlib and zopfli
release the GIL), largest first, so the longest job (the search index) does not start last.

zopfli (the densest gzip, far slower than zlib) is spent only where it pays: the large
theme scripts and the stylesheet, fingerprinted files every visitor fetches and caches.
Everything else (pages, the search index, diagrams) changes with edits and reaches only
gzip-only clients as .gz, so it gets zlib level 9. bench/ measures what each costs.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli
import zopfli.gzip
from mkdocs.config.defaults import MkDocsConfig

# Source maps (.map) are left out: only developer tools fetch them.
COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt"}
ZOPFLI_MIN_BYTES = 20_000
ZOPFLI_FOLDERS = ("assets/javascripts/", "assets/stylesheets/")

_command: str | None = None


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command


def wants_zopfli(relative: str, size: int) -> bool:
    return size >= ZOPFLI_MIN_BYTES and relative.startswith(ZOPFLI_FOLDERS)


def gzipped(data: bytes, dense: bool) -> bytes:
    return zopfli.gzip.compress(data) if dense else zlib.compress(data, level=9, wbits=31)  # gzip container


def compress_into(cache: Path, key: str, data: bytes, dense: bool) -> None:
    """One cache entry: the .gz, then the .br, whose presence marks the entry complete."""
    for suffix, packed in ((".gz", gzipped(data, dense)), (".br", brotli.compress(data, quality=11))):
        tmp = cache / f"{key}{suffix}.tmp"
        tmp.write_bytes(packed)
        tmp.replace(cache / f"{key}{suffix}")


def precompress(site_dir: Path, cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in site_dir.rglob("*") if p.suffix in COMPRESSIBLE and p.is_file())
    jobs: dict[str, tuple[bytes, bool]] = {}
    keys: dict[Path, str] = {}
    for path in files:
        data = path.read_bytes()
        dense = wants_zopfli(path.relative_to(site_dir).as_posix(), len(data))
        key = hashlib.sha256(data).hexdigest() + ("z" if dense else "")
        keys[path] = key
        if not (cache / f"{key}.br").exists() and key not in jobs:
            jobs[key] = (data, dense)
    if jobs:
        # Largest first: the pool's last job is then a short one, and both cores finish together.
        order = sorted(jobs, key=lambda k: len(jobs[k][0]), reverse=True)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="compress") as pool:
            for future in [pool.submit(compress_into, cache, key, *jobs[key]) for key in order]:
                future.result()  # an error stops the build
    for path, key in keys.items():
        stat = path.stat()
        for suffix in (".gz", ".br"):
            packed = (cache / f"{key}{suffix}").read_bytes()
            target = path.with_name(path.name + suffix)
            if len(packed) >= stat.st_size:
                target.unlink(missing_ok=True)
                continue  # nginx then sends the plain file, which is smaller
            target.write_bytes(packed)
            os.utime(target, (stat.st_atime, stat.st_mtime))


def on_post_build(config: MkDocsConfig) -> None:
    if _command == "build":
        precompress(Path(config.site_dir), Path(config.config_file_path).parent / ".cache" / "compress")
