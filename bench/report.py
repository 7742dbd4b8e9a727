"""What every benchmark report shares: the machine, the source measured, tables, units."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path

from harness.paths import TOOLS

RESULTS = Path(__file__).resolve().parent / "results"


def kb(n: float | None) -> str:
    return "—" if n is None else f"{n / 1024:,.1f} KiB" if n < 1024 ** 2 else f"{n / 1024 ** 2:,.1f} MiB"


def sec(n: float | None) -> str:
    return "—" if n is None else f"{n:.2f} s"


def ms(n: float | None) -> str:
    return "—" if n is None else f"{n / 1000:.2f} s" if n >= 1000 else f"{n:.0f} ms"


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def machine() -> dict:
    def first(path: str, key: str) -> str:
        return next((line.split(":", 1)[1].strip() for line in Path(path).read_text().splitlines()
                     if line.startswith(key)), "unknown")

    release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    return {"nproc": os.cpu_count(), "cpu_model": first("/proc/cpuinfo", "model name"),
            "ram_gib": round(int(first("/proc/meminfo", "MemTotal").split()[0]) / 1024 ** 2, 1),
            "os": release.get("PRETTY_NAME", "").strip('"'), "kernel": platform.release(),
            "python": platform.python_version(),
            **{name: importlib.metadata.version(name) for name in ("mkdocs", "mkdocs-material")},
            "load_average_at_start": os.getloadavg()}


def machine_md(m: dict) -> str:
    loads = [" ".join(f"{x:.2f}" for x in m.get(k, [])) for k in ("load_average_at_start", "load_average_at_end")]
    return table(["", ""], [
        ["CPUs (nproc)", m["nproc"]], ["CPU", m["cpu_model"]], ["RAM", f'{m["ram_gib"]} GiB'],
        ["OS / kernel", f'{m["os"]} / {m["kernel"]}'], ["Python", m["python"]],
        ["MkDocs / Material for MkDocs", f'{m["mkdocs"]} / {m["mkdocs-material"]}'],
        ["Load average (1/5/15 min) at start → end", " → ".join(loads)]])


def source() -> dict:
    """The commit measured, and the files that differ from it: a dirty tree is measured too."""
    def git(*args):
        return subprocess.run(["git", "-C", str(TOOLS), *args], capture_output=True, text=True).stdout.rstrip("\n")
    return {"commit": git("rev-parse", "--short", "HEAD"), "subject": git("log", "-1", "--format=%s"),
            "uncommitted_files": [line[3:] for line in git("status", "--porcelain").splitlines()]}


def source_md(src: dict) -> str:
    dirty = src["uncommitted_files"]
    return (f"Commit `{src['commit']}` ({src['subject']})"
            + (f", plus {len(dirty)} uncommitted file(s): " + ", ".join(f"`{f}`" for f in dirty[:20]) if dirty else "")
            + ".\n")


def write(name: str, found: dict, text: str) -> None:
    """bench/results/<name>.json (every figure) and <name>.md (the summary)."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(found, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(text)
