"""Build benchmark: `make site` of this tree against a previous revision, in one run.

Both trees are copies (the working tree as git sees it, or a revision by `git archive`) that
share this checkout's .venv and node_modules and keep caches of their own. For today's notes
and with generated notes added (bench/notes.py), each round times an empty-cache `make site`
(the tree's cache folder removed first) and a warm one (the same build again, its caches in
place); the trees take turns at going first, so both builds of a pair saw about the same
load. Reported, never asserted.

    python -m bench.build [--against REV] [--new REV] [--notes 0,100] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import notes, report
from harness.paths import TOOLS

AGAINST = "0198702"  # the last commit before the restructure (issue 24)
VENV = TOOLS / ".venv"
# make must never reinstall into the shared folders: `npm ci` through a copy's symlink
# would empty node_modules for every tree, and pip would put another revision's pins in .venv.
STAMPS = [f"{VENV}/.build-deps", "node_modules/.installed"]
# What those stamps are made from: each copy gets this checkout's mtimes for them.
INPUTS = ["package.json", "package-lock.json", "requirements.txt", "requirements-test.txt"]
CASES = ["empty cache", "warm"]


def git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", str(TOOLS), *args], capture_output=True, check=True).stdout


def checkout(dest: Path, rev: str | None) -> dict:
    """A copy of `rev`, or of the working tree (tracked and new files, uncommitted changes
    included) when rev is None, sharing node_modules. Returns what was copied."""
    dest.mkdir(parents=True)
    if rev:
        subprocess.run(["tar", "-x", "-C", str(dest)], input=git("archive", rev), check=True)
    else:
        for name in filter(None, git("ls-files", "-z", "--cached", "--others", "--exclude-standard")
                           .decode().split("\0")):
            if (TOOLS / name).is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(TOOLS / name, dest / name)
    (dest / "node_modules").symlink_to(TOOLS / "node_modules")
    differ = []
    for name in INPUTS:
        mine, theirs = TOOLS / name, dest / name
        if mine.exists() and theirs.exists():
            if mine.read_bytes() != theirs.read_bytes():
                differ.append(name)
            os.utime(theirs, ns=(mine.stat().st_atime_ns, mine.stat().st_mtime_ns))
    commit = rev or "HEAD"
    return {"rev": git("rev-parse", commit).decode().strip(), "working_tree": rev is None,
            "subject": git("log", "-1", "--format=%s", commit).decode().strip(),
            "differs_from_this_checkout": differ, "config": (dest / "mkdocs.yml").read_text(encoding="utf-8")}


def make_site(tree: Path, site: Path, empty_cache: bool) -> float:
    """Seconds of one `make site` in `tree`. The cache goes to the tree's own folder, where the
    SITE_CACHE of the new build points too: a shared one would make every build warm."""
    cache = tree / ".cache"
    installed = tree / "node_modules" / ".installed"
    if not installed.exists() or any(installed.stat().st_mtime <= (tree / n).stat().st_mtime for n in INPUTS[:2]):
        # make would run npm ci in the shared node_modules
        raise RuntimeError(f"node_modules is not installed for {tree}'s package files: `make deps` in {TOOLS}")
    if empty_cache:
        shutil.rmtree(cache, ignore_errors=True)
    cmd = ["make", "--no-print-directory", "-C", str(tree), "site", f"SITE_DIR={site}", f"VENV={VENV}"]
    cmd += [f"--assume-old={stamp}" for stamp in STAMPS]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "SITE_CACHE": str(cache)})
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"make site in {tree} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return round(seconds, 3)


def summary(new: list[float], old: list[float]) -> dict:
    pairs = [n / o for n, o in zip(new, old, strict=True)]
    return {"new": new, "old": old, "new_median": statistics.median(new), "old_median": statistics.median(old),
            "ratio": round(statistics.median(new) / statistics.median(old), 3),
            "pair_ratios": [round(r, 3) for r in pairs]}


def run(workdir: Path, against: str = AGAINST, new_rev: str | None = None, counts: tuple[int, ...] = (0, 100),
        repeats: int = 5) -> dict:
    trees = {"new": workdir / "new", "old": workdir / "old"}
    found: dict = {"trees": {"new": checkout(trees["new"], new_rev), "old": checkout(trees["old"], against)},
                   "repeats": repeats, "counts": []}
    configs = {name: tree["config"] for name, tree in found["trees"].items()}
    for name, tree in found["trees"].items():
        del tree["config"]
        make_site(trees[name], workdir / f"site-{name}", True)  # untimed: one-off costs of a new copy
    for count in counts:
        for name, tree in trees.items():
            if count:
                nav = notes.generate(tree / "docs", count)
                (tree / "mkdocs.yml").write_text(notes.with_nav(configs[name], nav), encoding="utf-8")
        times, loads = {case: {"new": [], "old": []} for case in CASES}, []
        for r in range(repeats):
            order = ["new", "old"] if r % 2 == 0 else ["old", "new"]
            for case in CASES:
                for name in order:
                    site = workdir / f"site-{name}"
                    times[case][name].append(make_site(trees[name], site, case == "empty cache"))
            loads.append(os.getloadavg()[0])
            print(f"[bench] build, +{count} notes, round {r + 1}/{repeats}: "
                  + ", ".join(f"{c} {t['new'][-1]:.2f} / {t['old'][-1]:.2f} s" for c, t in times.items()), flush=True)
        pages = {name: sum(1 for _ in (workdir / f"site-{name}").rglob("index.html")) for name in trees}
        found["counts"].append({"notes": count, "html_pages": pages, "load_average": loads,
                                **{case: summary(t["new"], t["old"]) for case, t in times.items()}})
    return found


def markdown(b: dict) -> str:
    new, old = b["trees"]["new"], b["trees"]["old"]
    name = "the working tree at " if new["working_tree"] else ""
    out = [f"This tree: {name}`{new['rev'][:7]}` ({new['subject']}). Previous build: `{old['rev'][:7]}` "
           f"({old['subject']}). {b['repeats']} rounds, the trees taking turns at going first; each time "
           "is the median, the ratio is this tree's median over the previous one's (below 1: faster), "
           "with the range of the rounds' own ratios.\n"]
    rows = []
    for c in b["counts"]:
        pages = c["html_pages"]
        for case in CASES:
            s = c[case]
            rows.append(["today's notes" if not c["notes"] else f"+{c['notes']} generated", f"`make site`, {case}",
                         pages["new"] if pages["new"] == pages["old"] else f"{pages['new']} / {pages['old']}",
                         report.sec(s["old_median"]), report.sec(s["new_median"]),
                         f"**{s['ratio']:.2f}** ({min(s['pair_ratios']):.2f}–{max(s['pair_ratios']):.2f})",
                         f"{min(c['load_average']):.1f}–{max(c['load_average']):.1f}"])
    out.append(report.table(["Notes", "Build", "HTML pages", "Previous", "This tree", "This / previous",
                             "Load average (1 min)"], rows))
    shared = old["differs_from_this_checkout"]
    if shared:
        out.append(f"Different in the previous revision: {', '.join(shared)}. Both trees built with this "
                   "checkout's .venv and node_modules.\n")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default=AGAINST, help=f"the previous build's revision (default: {AGAINST})")
    parser.add_argument("--new", default=None, help="a revision instead of the working tree")
    parser.add_argument("--notes", default="0,100", help="generated notes added, per step (default: 0,100)")
    parser.add_argument("--repeats", type=int, default=5, help="rounds per note count (default: 5)")
    args = parser.parse_args()
    counts = tuple(int(n) for n in args.notes.split(",") if n.strip())
    found = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": report.machine()}
    workdir = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        found["build"] = run(workdir, args.against, args.new, counts, args.repeats)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    found["machine"]["load_average_at_end"] = os.getloadavg()
    text = report.machine_md(found["machine"]) + "\n" + markdown(found["build"])
    report.write("build", found, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
