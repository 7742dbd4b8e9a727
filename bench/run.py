"""`make bench`: the build against the previous one, page weight and search cost.

Reported, never asserted: bench/results/latest.json has every figure, latest.md the tables
(bench/README.md says what each part measures). A part that fails is recorded, and the
others still run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import traceback
from pathlib import Path

from bench import build, report, search, weight
from harness.site import build as make_site

PARTS = {
    "build": ("Build: `make site` against the previous build", build.markdown),
    "page_weight": ("Page weight: first visit, per page (estimate from the built files; the in-browser "
                    "budget test is in tests/)", weight.markdown),
    "search": ("Search: its cost as the notes grow, and the query set", search.markdown),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default=build.AGAINST, help=f"the previous build (default: {build.AGAINST})")
    parser.add_argument("--notes", default="0,100", help="generated notes for the build (default: 0,100)")
    parser.add_argument("--repeats", type=int, default=5, help="build rounds per note count (default: 5)")
    parser.add_argument("--search-notes", default="0,100,1000", help="notes for search (default: 0,100,1000)")
    args = parser.parse_args()
    start = time.monotonic()
    found: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "source": report.source(),
                   "machine": report.machine()}
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    runs = {
        "build": lambda: build.run(workdir / "build", args.against, None,
                                   tuple(int(n) for n in args.notes.split(",")), args.repeats),
        "page_weight": lambda: weight.run(make_site(workdir / "site")),
        "search": lambda: search.run(workdir, [int(n) for n in args.search_notes.split(",")]),
    }
    try:
        for name, part in runs.items():
            print(f"[bench] {name} ...", flush=True)
            try:
                found[name] = part()
            except Exception as error:  # recorded, not raised: the other parts still run
                found[name] = {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}
                print(f"[bench] {name} FAILED: {error}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    found["total_seconds"] = round(time.monotonic() - start)
    found["machine"]["load_average_at_end"] = os.getloadavg()
    text = [f"# Benchmark results\n\nRun {found['started']}, {found['total_seconds']} s in all, by `make bench`. "
            "Reported, never asserted: absolute times depend on the machine and its load; compare ratios.\n",
            "## Machine\n", report.machine_md(found["machine"]), "## Source measured\n",
            report.source_md(found["source"])]
    for name, (title, markdown) in PARTS.items():
        text += [f"## {title}\n", f"Failed: `{found[name]['error']}`\n" if "error" in found[name]
                 else markdown(found[name])]
    report.write("latest", found, "\n".join(text))
    failed = [name for name in PARTS if "error" in found[name]]
    print(f"[bench] done in {found['total_seconds']} s: bench/results/latest.md"
          + (f"; failed: {', '.join(failed)} (details in latest.json)" if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
