"""Build benchmarks: cold `make site`, and MkDocs against Zensical on generated notes.

`python -m bench.build 10,100,1000` runs the scaling part alone (bench/README.md).
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import notes, weight
from harness.paths import ROOT
from harness.site import make_site

ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
MKDOCS = ROOT / ".venv" / "bin" / "mkdocs"
# Left out of the project copies: the bench itself, the tests and CI files; a build
# needs none of them.
NOT_COPIED = ("bench/", "tests/", ".github/", ".ci/")
TIMEOUT = 900  # one build; far above the slowest seen, only so a hang cannot stall the run


PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


@functools.cache
def adopt_orphans() -> bool:
    """Make this process the reaper of its descendants' orphans (Linux): Chromium's helper
    processes outlive their parent, so without this they are reparented to init and their
    CPU never reaches RUSAGE_CHILDREN (about 1.5-3 s of a cold build went uncounted)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def reap_orphans() -> None:
    """Wait for the adopted orphans that have ended, so their CPU is counted."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def cpu_children() -> float:
    reap_orphans()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(run) -> dict:
    """Wall and CPU seconds of run(), a function that runs one build and returns its
    CompletedProcess. CPU covers every descendant (make -> mkdocs -> node -> Chromium),
    orphans included: a CPU/wall ratio near 1 means one core, near 2 means both."""
    adopt_orphans()
    cpu, start = cpu_children(), time.perf_counter()
    result = run()
    seconds, cpu = time.perf_counter() - start, cpu_children() - cpu
    out = {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3)}
    if result.returncode != 0:
        out["error"] = f"exit {result.returncode}: " + (result.stderr or result.stdout)[-2000:]
    return out


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=TIMEOUT)


def tree(site: Path) -> dict:
    files = [p for p in site.rglob("*") if p.is_file()]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files),
            "html_pages": sum(p.name == "index.html" for p in files)}


def median(runs: list[dict], key: str = "seconds") -> float | None:
    ok = [r[key] for r in runs if "error" not in r]
    return round(statistics.median(ok), 3) if ok else None


def cold_site(workdir: Path, repeats: int) -> tuple[dict, Path]:
    """`make site` of this very project into a fresh SITE_DIR, `repeats` times. Returns the
    numbers and the last site, which the serving and page-weight benchmarks then use."""
    runs, site = [], None
    for i in range(repeats):
        if site is not None:
            shutil.rmtree(site, ignore_errors=True)
        site = workdir / f"site-{i}"
        runs.append(timed(functools.partial(make_site, site)))
    if "error" in runs[-1]:
        raise RuntimeError("make site failed: " + runs[-1]["error"])
    return {"runs": runs, "median_seconds": median(runs), **tree(site)}, site


def project_copy(dest: Path, count: int) -> None:
    """This project with `count` generated notes: mkdocs.yml (hooks on, for make site) and
    plain.yml (hooks off, the config both engines get in the like-for-like comparison)."""
    # The project's files as git sees them (tracked and new, not ignored): whatever the
    # build needs today, without .venv, site/ or node_modules. copy2 keeps mtimes, so make
    # finds the shared venv up to date and installs nothing.
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if name.startswith(NOT_COPIED) or not source.is_file():
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest / name)
    if (ROOT / "node_modules").is_dir():  # the hooks' Node packages (PurgeCSS), shared
        (dest / "node_modules").symlink_to(ROOT / "node_modules")
    nav = notes.generate(dest / "docs", count)
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    (dest / "mkdocs.yml").write_text(notes.with_nav(config, nav), encoding="utf-8")
    (dest / "plain.yml").write_text(notes.with_nav(config, nav, hooks=False), encoding="utf-8")


def mkdocs_plain(project: Path, site: Path) -> dict:
    return timed(lambda: run([str(MKDOCS), "build", "--strict", "--quiet", "-f", "plain.yml",
                              "--site-dir", str(site)], project))


def zensical(project: Path, binary: Path) -> dict:
    # Zensical keeps a build cache in .cache/ next to the config: removed, and --clean, so
    # every run is as cold as MkDocs' (which has no cache). It writes to site/ (site_dir).
    shutil.rmtree(project / ".cache", ignore_errors=True)
    shutil.rmtree(project / "site", ignore_errors=True)
    return timed(lambda: run([str(binary), "build", "--clean", "--strict", "-f", "plain.yml"], project))


def outputs(site: Path, index: str) -> dict:
    """Sizes that show growth: the search index, one generated page's HTML, the whole site."""
    page = site / "notes" / notes.slug(1) / "index.html"
    return {"search_index_bytes": (site / index).stat().st_size if (site / index).exists() else None,
            "note_html_bytes": page.stat().st_size if page.exists() else None, **tree(site)}


def hooks_cold(project: Path, site: Path) -> dict:
    """`make site` with every cache of the hooks empty (.cache/: diagrams, previews, purge,
    minify, compression)."""
    shutil.rmtree(project / ".cache", ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    return timed(lambda: make_site(site, project=project))


def hooks_one_edit(project: Path, site: Path, edit: int) -> dict:
    """`make site` again after a one-line edit of one note: what an author's next build costs.
    Each edit adds a different line, so each is a real change."""
    note = project / "docs" / "notes" / f"{notes.slug(1)}.md"
    note.write_text(note.read_text(encoding="utf-8") + f"\nEk nayi line, bench ke liye ({edit}).\n", encoding="utf-8")
    return timed(lambda: make_site(site, project=project))


def ratios(runs: list[dict], plain_runs: list[dict]) -> list[float]:
    """Each run's time over the plain build of the same round: the builds of a round ran one
    after the other, so they saw about the same load."""
    return [round(h["seconds"] / p["seconds"], 2) for h, p in zip(runs, plain_runs, strict=True)
            if "error" not in h and "error" not in p]


def scaling(workdir: Path, count: int, repeats: int, with_hooks: bool, zensical_bin: Path | None,
            zensical_error: str | None) -> dict:
    """One page count, in `repeats` rounds. A round builds, one after the other: MkDocs plain,
    `make site` with empty caches and `make site` after a one-line edit (if with_hooks), and
    Zensical plain; MkDocs and Zensical alternate which goes first. Every ratio compares builds
    of one round (side by side, under the same load); the report gives their median."""
    project = workdir / f"project-{count}"
    project_copy(project, count)
    out: dict = {"pages_generated": count}
    try:
        mk_runs, zs_runs, cold_runs, edit_runs, mk_out, zs_out, hooks_out = [], [], [], [], {}, {}, {}
        for r in range(repeats):
            engines = ["mkdocs", "hooks", "zensical"] if r % 2 == 0 else ["zensical", "mkdocs", "hooks"]
            for engine in engines:
                if engine == "mkdocs":
                    site = workdir / f"plain-{count}"
                    shutil.rmtree(site, ignore_errors=True)
                    mk_runs.append({**mkdocs_plain(project, site), "load_average": os.getloadavg()[0]})
                    if r == repeats - 1 and "error" not in mk_runs[-1]:
                        mk_out = outputs(site, "search/search_index.json")
                        # First-visit weight from this build: the plain build has no .br files,
                        # so the bench compresses the few files a visit fetches, as the hook would.
                        mk_out["first_visit"] = weight.first_visit(site, f"notes/{notes.slug(1)}/", compress=True)
                    shutil.rmtree(site, ignore_errors=True)
                elif engine == "hooks" and with_hooks:
                    site = workdir / f"prod-{count}"
                    cold_runs.append({**hooks_cold(project, site), "load_average": os.getloadavg()[0]})
                    if "error" not in cold_runs[-1]:
                        hooks_out = outputs(site, "search/search_index.json")
                        edit_runs.append({**hooks_one_edit(project, site, r), "load_average": os.getloadavg()[0]})
                    else:  # keeps the rounds aligned with the plain runs
                        edit_runs.append({"error": "not run: the build with empty caches failed"})
                    shutil.rmtree(site, ignore_errors=True)
                elif engine == "zensical" and zensical_bin is not None:
                    zs_runs.append(zensical(project, zensical_bin))
                    if r == repeats - 1 and "error" not in zs_runs[-1]:
                        zs_out = outputs(project / "site", "search.json")
                    shutil.rmtree(project / "site", ignore_errors=True)
        out["mkdocs_plain"] = {"runs": mk_runs, "median_seconds": median(mk_runs),
                               "median_cpu_seconds": median(mk_runs, "cpu_seconds"), **mk_out}
        if not with_hooks:
            out["mkdocs_hooks"] = {"skipped": "not asked for at this size (--hooks-max-pages)"}
        elif cold_runs and all("error" in run for run in cold_runs):
            out["mkdocs_hooks"] = {"error": cold_runs[-1]["error"], "runs": cold_runs}
        else:
            out["mkdocs_hooks"] = {"runs": cold_runs, "median_seconds": median(cold_runs),
                                   "median_cpu_seconds": median(cold_runs, "cpu_seconds"),
                                   "ratios_to_plain": ratios(cold_runs, mk_runs), **hooks_out}
            out["mkdocs_hooks_one_edit"] = {"runs": edit_runs, "median_seconds": median(edit_runs),
                                            "median_cpu_seconds": median(edit_runs, "cpu_seconds"),
                                            "ratios_to_plain": ratios(edit_runs, mk_runs)}
        if zensical_bin is None:
            out["zensical"] = {"error": zensical_error}
        else:
            out["zensical"] = {"runs": zs_runs, "median_seconds": median(zs_runs),
                               "median_cpu_seconds": median(zs_runs, "cpu_seconds"), **zs_out}
            mk, zs = out["mkdocs_plain"]["median_seconds"], out["zensical"]["median_seconds"]
            out["ratio_zensical_to_mkdocs"] = round(zs / mk, 3) if mk and zs else None
    finally:
        shutil.rmtree(project, ignore_errors=True)
    return out


def main() -> int:
    from bench import report
    from bench.run import HERE, ensure_zensical, machine

    counts = [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else "10,100,1000").split(",") if n.strip()]
    zensical_bin, zensical_error = ensure_zensical()
    results = {"machine": machine(zensical_bin), "scaling": []}
    workdir = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    try:
        for count in counts:
            start = time.monotonic()
            part = scaling(workdir, count, 3 if count <= 100 else 1, True, zensical_bin, zensical_error)
            results["scaling"].append({**part, "seconds": round(time.monotonic() - start, 1)})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "scaling.json").write_text(json.dumps(results, indent=2) + "\n")
    print(report.machine_md(results["machine"]) + "\n" + report.scaling_md(results["scaling"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
