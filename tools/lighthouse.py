"""Lighthouse audit of every page: `make audit`.

Builds the site with `make site` for the address it is served at, serves it with the
project's own nginx/site.conf (real headers, precompressed files), and runs Lighthouse
(npm package, pinned in package-lock.json) in Debian's Chromium on every page with its
default form factor: mobile, with simulated slow 4G and a slowed CPU. Fails if any page
scores below: accessibility 100, best practices 100, SEO 100, performance 95.

Writes tests/output/lighthouse/<page>.json (the full reports) and summary.txt (the table).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.browser import CHROMIUM, CHROMIUM_ARGS, LIGHTHOUSE_CLI, require_tools
from harness.nginx import Nginx, free_port, server_conf
from harness.pages import PAGES
from harness.paths import ROOT
from harness.site import build

THRESHOLDS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
OUTPUT = ROOT / "tests" / "output" / "lighthouse"


def lighthouse(url: str, report: Path, tries: int = 3) -> dict:
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    for attempt in range(1, tries + 1):
        report.unlink(missing_ok=True)
        result = subprocess.run(
            ["node", str(LIGHTHOUSE_CLI), url, "--quiet", "--output=json", f"--output-path={report}",
             f"--only-categories={','.join(THRESHOLDS)}", f"--chrome-flags={flags}"],
            env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True, timeout=180,
        )
        data = json.loads(report.read_text()) if result.returncode == 0 and report.exists() else None
        # On a busy machine Lighthouse sometimes loses its trace (NO_NAVSTART, NO_FCP) and
        # says "Please run Lighthouse again": a run error, not a score, so it is retried.
        # A score is never retried.
        if data is not None and not data.get("runtimeError"):
            return data
        print(f"lighthouse run error on {url} (try {attempt} of {tries}):\n{result.stderr[-600:]}",
              file=sys.stderr)
    raise RuntimeError(f"lighthouse failed {tries} times on {url}")


def failing_audits(data: dict, category: str) -> list[str]:
    """The audits that cost points in a category: what to read when a score drops."""
    out = []
    for ref in data["categories"][category]["auditRefs"]:
        audit = data["audits"][ref["id"]]
        if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
            value = audit.get("displayValue", "")
            out.append(f"{ref['id']} {audit['score']:.2f} {value}".strip())
    return out


def audit(paths=None) -> tuple[bool, str]:
    require_tools(lighthouse=True)
    paths = list(PAGES) if paths is None else paths
    work = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    port = free_port()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    try:
        site = build(work / "site", env={"SITE_URL": f"http://127.0.0.1:{port}/"})
        server = Nginx(work / "nginx", server_conf(site), port=port)
        rows, ok = [], True
        header = f"{'page':16}" + "".join(f"{c:>16}" for c in THRESHOLDS)
        try:
            for path in paths:
                started = time.monotonic()
                name = path.strip("/") or "home"
                data = lighthouse(server.url("/" + path), OUTPUT / f"{name}.json")
                scores = {c: round(data["categories"][c]["score"] * 100) for c in THRESHOLDS}
                low = {c: s for c, s in scores.items() if s < THRESHOLDS[c]}
                ok &= not low
                rows.append(f"{'/' + path:16}" + "".join(f"{scores[c]:>16}" for c in THRESHOLDS)
                            + f"   ({time.monotonic() - started:.0f}s)" + ("   BELOW" if low else ""))
                for category in low:
                    rows += [f"    {category}: {line}" for line in failing_audits(data, category)]
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    minimum = "minimum " + ", ".join(f"{c} {t}" for c, t in THRESHOLDS.items())
    summary = "\n".join([f"Lighthouse (mobile, simulated throttling), {minimum}", header, *rows])
    (OUTPUT / "summary.txt").write_text(summary + "\n")
    return ok, summary


def main() -> int:
    ok, summary = audit(sys.argv[1:] or None)
    print(summary)
    print("audit passed" if ok else "audit FAILED: a page scored below the minimum")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
