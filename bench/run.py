"""`make bench`: build, serving and page-weight benchmarks, written to bench/results/.

Reported, never asserted: the numbers go to bench/results/latest.json and latest.md; no
test fails on a time. See bench/README.md for what each part measures.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import bisect, build, peers, report, search, serve, weight
from harness.nginx import NGINX
from harness.pages import PAGES
from harness.paths import ROOT

HERE = Path(__file__).resolve().parent

ZENSICAL_VENV = HERE / ".venv-zensical"
ZENSICAL_REQUIREMENTS = ROOT / "requirements-bench.txt"


def ensure_zensical() -> tuple[Path | None, str | None]:
    """Zensical in its own venv, from the hash-pinned requirements-bench.txt; reinstalled
    when the pins change. Returns (binary, None), or (None, the error) if it cannot be had:
    the rest of the bench then runs without it."""
    binary, stamp = ZENSICAL_VENV / "bin" / "zensical", ZENSICAL_VENV / ".deps"
    if not (stamp.exists() and stamp.stat().st_mtime >= ZENSICAL_REQUIREMENTS.stat().st_mtime):
        steps = [[sys.executable, "-m", "venv", "--clear", str(ZENSICAL_VENV)],
                 [str(ZENSICAL_VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                  "--require-hashes", "-r", str(ZENSICAL_REQUIREMENTS)]]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                return None, f"{' '.join(step[:3])} ...: exit {done.returncode}: {done.stderr.strip()[-1500:]}"
        stamp.touch()
    done = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    if done.returncode != 0:
        return None, f"zensical --version: exit {done.returncode}: {done.stderr.strip()[-1500:]}"
    return binary, None


def command_output(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except OSError as error:
        return f"unavailable ({error})"
    return (done.stdout + done.stderr).strip().splitlines()[0]


def machine(zensical_bin: Path | None) -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    meminfo = Path("/proc/meminfo").read_text()
    os_release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().split("\n") if "=" in line)
    versions = {name: importlib.metadata.version(name)
                for name in ("mkdocs", "mkdocs-material", "pymdown-extensions", "Markdown", "brotli", "zopfli")}
    return {
        "nproc": os.cpu_count(),
        "cpu_model": next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                           if line.startswith("model name")), "unknown"),
        "ram_gib": round(int(next(line.split()[1] for line in meminfo.splitlines()
                                  if line.startswith("MemTotal"))) / 1024 ** 2, 1),
        "kernel": platform.release(),
        "os": os_release.get("PRETTY_NAME", "").strip('"'),
        "nginx": command_output([NGINX, "-v"]),
        "wrk": command_output(["wrk", "-v"]).split(" Copyright")[0],
        "python": platform.python_version(),
        **versions,
        "zensical": command_output([str(zensical_bin), "--version"]) if zensical_bin else None,
        "load_average_at_start": os.getloadavg(),
    }


def source_state() -> dict:
    """The commit measured, and files that differ from it (outside the bench's own): a
    snapshot of a dirty tree measures those changes too."""
    def git(*args):
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.rstrip("\n")
    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=all").splitlines()
               if not line[3:].startswith(("bench/", "requirements-bench."))]
    return {"commit": git("rev-parse", "--short", "HEAD"), "subject": git("log", "-1", "--format=%s"),
            "uncommitted_files": changed}


def section(results: dict, name: str, run) -> None:
    """Run one benchmark; a failure is recorded in the results and the others still run."""
    start = time.monotonic()
    print(f"[bench] {name} ...", flush=True)
    try:
        results[name] = run()
    except Exception as error:  # reported, not raised: do the rest
        results[name] = {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()[-3000:]}
        print(f"[bench] {name} FAILED: {error}", flush=True)
    results.setdefault("section_seconds", {})[name] = round(time.monotonic() - start, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="10,100,1000", help="generated page counts (default: 10,100,1000)")
    parser.add_argument("--repeats", type=int, default=3, help="cold builds per measurement (default: 3)")
    parser.add_argument("--repeats-over-100", type=int, default=1,
                        help="repeats for page counts above 100, whose builds take a minute (default: 1)")
    parser.add_argument("--hooks-max-pages", type=int, default=1000,
                        help="largest page count also built with the production hooks (default: 1000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default: 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk warm-up, discarded (default: 2)")
    parser.add_argument("--bisect-rounds", type=int, default=3,
                        help="passes over the serving bisect's configs (bench/bisect.py; default: 3, 0 skips it)")
    parser.add_argument("--bisect-duration", type=int, default=2, help="seconds per bisect wrk run (default: 2)")
    parser.add_argument("--search-notes", default="100,1000",
                        help="generated note counts for the search cost, besides the site's own (default: 100,1000)")
    parser.add_argument("--peer-repeats", type=int, default=1,
                        help="visits per page and site in the peer comparison (bench/peers.py; default: 1)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    counts = [int(n) for n in args.pages.split(",") if n.strip()]

    start = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    serve.ensure_wrk()
    zensical_bin, zensical_error = ensure_zensical()
    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "source": source_state(),
                     "machine": machine(zensical_bin),
                     "zensical_error": zensical_error,
                     "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    if zensical_error:
        print(f"[bench] Zensical unavailable, compared builds skip it: {zensical_error}", flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        site: dict = {}

        def cold():
            numbers, site["path"] = build.cold_site(workdir, args.repeats)
            return numbers

        section(results, "cold_make_site", cold)
        if "path" in site:
            section(results, "page_weight", lambda: {
                "pages": [weight.first_visit(site["path"], path) for path in PAGES],
                "note": "brotli sizes of the built files on disk; an estimate, not a browser measurement"})
            section(results, "serving", lambda: serve.serving(site["path"], workdir / "nginx",
                                                              args.duration, args.warmup))
            if args.bisect_rounds:
                section(results, "serving_bisect", lambda: bisect.bisect(
                    site["path"], workdir / "bisect", args.bisect_duration, 1, args.bisect_rounds))
            # wrk's own text output, kept next to the results for reading.
            for log in (workdir / "nginx").glob("wrk-*.txt"):
                shutil.copy(log, args.out / log.name)
        # The peer comparison builds its own copy of our site, for the port it serves it at.
        section(results, "peers", lambda: peers.run(workdir / "peers", args.peer_repeats))
        section(results, "search", lambda: search.run(
            workdir, [0] + [int(n) for n in args.search_notes.split(",") if n.strip()]))
        scaling = results.setdefault("scaling", [])
        for count in counts:
            repeats = args.repeats if count <= 100 else args.repeats_over_100
            holder: dict = {}
            section(holder, f"scaling_{count}", functools.partial(
                build.scaling, workdir, count, repeats, count <= args.hooks_max_pages, zensical_bin, zensical_error))
            scaling.append({**holder[f"scaling_{count}"], "pages_generated": count,
                            "seconds": holder["section_seconds"][f"scaling_{count}"]})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    results["total_seconds"] = round(time.monotonic() - start, 1)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "latest.md").write_text(report.markdown(results))
    print(f"[bench] done in {results['total_seconds']} s: {args.out / 'latest.md'}", flush=True)
    failed = [name for name in ("cold_make_site", "page_weight", "serving", "serving_bisect", "peers", "search")
              if "error" in results.get(name, {})]
    failed += [f"scaling_{s['pages_generated']}" for s in scaling if "error" in s]
    if failed:
        print(f"[bench] failed: {', '.join(failed)} (details in latest.json)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
