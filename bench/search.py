"""Search cost and quality as the notes grow (issue 12). Reported, never asserted.

In Debian's Chromium against real nginx with the project's nginx/site.conf:

* **Cost**, for the site's own notes and with 100 and 1,000 generated notes (bench/notes.py)
  added: the bytes received from the first search keystroke (`/`, then the query typed)
  until the first results show, and the time to first results, as is and with the page's
  CPU throttled 4x (DevTools' Emulation.setCPUThrottlingRate). Chromium throttles only a
  page's main thread (for a worker it answers "only supported for pages, not workers") and
  Material builds its index in a worker, so the worker's own time (index build, first
  answer) is measured apart too, unthrottled.
* **Quality**: the query set of tests/test_search.py (top-3 and first-place hits per kind)
  for Material's worker as shipped, the site's worker with each of its parts turned off
  and the site's worker, on the site's own notes.

The builds here run only the hook that makes the search worker (hooks/material9/scripts.py,
with hooks/dates.py), not the post-build step, and precompress only what search fetches: the
rest of the build (previews, minifying, compressing every page) would take most of the time
at 1,000 notes and changes nothing that search fetches.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import brotli

from bench import build, notes
from bench.report import kb, ms, table, write
from hooks.material9.scripts import PRELUDE, SOURCE_MAP
from harness.browser import focus_search, launch
from harness.nginx import Nginx, free_port, server_conf
from harness.paths import ROOT
QUERY = "docker"  # the query typed for the cost measurements
THROTTLE = 4
WORKERS = "assets/javascripts/workers"

# The site's worker with one of its parts turned off: (name, text in its prelude,
# replacement). A part that no longer matches is reported, not guessed at.
ABLATIONS = [
    ("without filler-word handling", "const content = parsed.filter(({ word }) => !FILLER.has(word));",
     "const content = parsed;"),
    ("without misspelling correction", "const nearest = corrections(word);", "const nearest = [];"),
    ("without ranking by the query's words a page has", "b.covered - a.covered || ", ""),
    ("without re-ranking pages (words a page has, then the sum)",
     "message.type === RESULT ? ranked(message) : message", "message"),
]


def query_set():
    """tests/test_search.py, loaded from its path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("test_search", ROOT / "tests" / "test_search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------
# Building

def search_config(text: str) -> str:
    """mkdocs.yml with only the hook that makes the search worker, and the dates hook (without it the git-date
    plugin fails outside a git work tree, as in these copies)."""
    text, n = re.subn(r"(?ms)^hooks:\n.*?(?=^\S)", "hooks:\n  - hooks/dates.py\n  - hooks/material9/scripts.py\n", text)
    assert n == 1, "mkdocs.yml: expected one top-level hooks: block"
    return text


def built_site(workdir: Path, count: int) -> tuple[Path, dict]:
    """The working tree with `count` generated notes, built with the search worker's hook
    alone; the index and worker precompressed with brotli, as the build does."""
    project = workdir / f"search-project-{count}"
    config = build.checkout(project, None)["config"]
    if count:
        config = notes.with_nav(config, notes.generate(project / "docs", count))
    (project / "search.yml").write_text(search_config(config), encoding="utf-8")
    site = workdir / f"search-site-{count}"
    start = time.monotonic()
    done = subprocess.run([str(build.VENV / "bin" / "mkdocs"), "build", "--strict", "--quiet", "-f", "search.yml",
                           "--site-dir", str(site)], cwd=project, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    seconds = round(time.monotonic() - start, 1)
    shutil.rmtree(project, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(f"build with {count} notes failed: {(done.stderr or done.stdout)[-2000:]}")
    index = site / "search" / "search_index.json"
    for path in [index, *(site / WORKERS).glob("search.*.min.js")]:
        path.with_name(path.name + ".br").write_bytes(brotli.compress(path.read_bytes(), quality=11))
    docs = json.loads(index.read_text(encoding="utf-8"))["docs"]
    words = sum(len(re.sub(r"<[^>]+>", " ", d["title"] + " " + d["text"]).split()) for d in docs)
    return site, {"build_seconds": seconds, "html_pages": sum(1 for _ in site.rglob("index.html")),
                  "index_words": words, "index_bytes": index.stat().st_size,
                  "index_brotli_bytes": index.with_name(index.name + ".br").stat().st_size}


# ---------------------------------------------------------------------------------------
# Measuring

class Wire:
    """Bytes received per request (response headers and body as sent, compressed), the
    workers' requests included, from Playwright's network events."""

    def __init__(self, page):
        self.finished: list = []
        page.on("requestfinished", lambda request: self.finished.append(request))

    def mark(self) -> int:
        return len(self.finished)

    def since(self, mark: int, base: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for request in self.finished[mark:]:
            sizes = request.sizes()
            # A worker's own script comes with no body size: nginx's Content-Length says it.
            body = sizes["responseBodySize"] or int(request.response().headers.get("content-length", 0))
            url = request.url.replace(base, "/")
            out[url] = out.get(url, 0) + sizes["responseHeadersSize"] + body
        return out


# Times the reader's first keystroke and the first result drawn, in the page's own clock.
TIMER = """() => {
  window.__bench = {};
  document.addEventListener("keydown", () => { window.__bench.t0 ??= performance.now(); }, true);
  new MutationObserver(() => {
    if (document.querySelector("li.md-search-result__item")) window.__bench.t1 ??= performance.now();
  }).observe(document.body, {childList: true, subtree: true});
}"""


def on_home_page(browser, base: str, throttle: int, act) -> tuple[object, dict[str, int]]:
    """Open the home page (load finished, then the CPU throttled), run `act(page)` and
    return its answer and the bytes fetched from then on."""
    context = browser.new_context()
    page = context.new_page()
    wire = Wire(page)
    page.goto(base)
    page.wait_for_load_state("networkidle")
    if throttle > 1:
        context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    mark = wire.mark()
    answer = act(page)
    page.wait_for_timeout(300)
    fetched = wire.since(mark, base)
    context.close()
    return answer, fetched


def material_cost(browser, base: str, throttle: int) -> dict:
    """From `/` and the query typed on the home page to the first result drawn."""
    def act(page):
        page.evaluate(TIMER)
        page.keyboard.press("/")
        page.keyboard.type(QUERY)
        page.wait_for_function("() => window.__bench.t1 !== undefined", timeout=600_000, polling=100)
        return page.evaluate("() => window.__bench")

    bench, fetched = on_home_page(browser, base, throttle, act)
    return {"ms": round(bench["t1"] - bench["t0"]), "bytes": sum(fetched.values()), "files": fetched}


# The site's worker on its own index, timed: the index fetched and parsed (main thread, as
# Material does), then index build (worker) and first answer (worker).
WORKER_TIMES = """async ([worker, query]) => {
  const t0 = performance.now();
  const index = await (await fetch(new URL("search/search_index.json", document.baseURI))).json();
  const w = new Worker(worker);
  const next = () => new Promise(resolve => w.addEventListener("message", e => resolve(e.data), {once: true}));
  const t1 = performance.now();
  w.postMessage({type: 0, data: {config: index.config, docs: index.docs, options: {suggest: true}}});
  await next();
  const t2 = performance.now();
  w.postMessage({type: 2, data: query});
  await next();
  const t3 = performance.now();
  return {fetch_parse_ms: t1 - t0, index_build_ms: t2 - t1, first_answer_ms: t3 - t2};
}"""


def worker_times(browser, base: str) -> dict:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base)
    focus_search(page)  # the lazy search loader creates workers once search is wanted
    worker = page.evaluate("() => new URL(JSON.parse(document.getElementById('__config').textContent).search,"
                           " document.baseURI).href")
    times = page.evaluate(WORKER_TIMES, [worker, QUERY])
    context.close()
    return {k: round(v) for k, v in times.items()}


# ---------------------------------------------------------------------------------------
# Quality: the query set

def hits(rows: list[tuple]) -> dict:
    """Per kind: queries, top-3 hits, first-place hits."""
    out: dict = {}
    for _, _, kind, rank in rows:
        k = out.setdefault(kind, {"queries": 0, "top3": 0, "first": 0})
        k["queries"] += 1
        k["top3"] += bool(rank and rank <= 3)
        k["first"] += rank == 1
    return out


def ranked_rows(table, results: list[list[str]]) -> list[tuple]:
    return [(q, want, kind, got.index(want) + 1 if want in got else None)
            for (q, want, kind), got in zip(table, results, strict=True)]


def material_worker() -> Path:
    import material
    (worker,) = (Path(material.__file__).parent / "templates" / WORKERS).glob("search.*.min.js")
    return worker


def lunr_quality(browser, site: Path, base: str) -> dict:
    """The query set through Material's worker as shipped, the site's worker with each of
    its parts turned off, and the site's worker."""
    module = query_set()
    table = module.SEARCH_TABLE
    folder = site / WORKERS
    (site_worker,) = folder.glob("search.*.min.js")
    # The ablations edit the prelude's source (the site's worker is minified) and put it in
    # front of Material's worker as the preview does, unminified: the same code, in more bytes.
    prelude = PRELUDE.read_text(encoding="utf-8")
    material = material_worker()
    shutil.copy(material, folder / "material-as-shipped.js")
    variants = {"Material 9.8 as shipped (lunr)": "material-as-shipped.js"}
    errors = {}
    for i, (name, old, new) in enumerate(ABLATIONS):
        if prelude.count(old) != 1:
            errors[name] = f"{PRELUDE.name} no longer has {old!r}: update bench/search.py ABLATIONS"
            continue
        script = prelude.replace(old, new) + "\n" + SOURCE_MAP.sub("\n", material.read_text(encoding="utf-8"))
        (folder / f"ablation-{i}.js").write_text(script, encoding="utf-8")
        variants[f"this site's worker {name}"] = f"ablation-{i}.js"
    variants["this site's worker"] = site_worker.name
    out: dict = {"queries": len(table), "variants": {}, "errors": errors}
    context = browser.new_context()
    page = context.new_page()
    page.goto(base)
    focus_search(page)
    queries = [q for q, _, _ in table]
    for name, file in variants.items():
        answers = page.evaluate(module.WORKER_QUERIES, [f"{base}{WORKERS}/{file}", None, queries])
        out["variants"][name] = hits(ranked_rows(table, [[r["page"] for r in a] for a in answers]))
    context.close()
    return out


# ---------------------------------------------------------------------------------------

def run(workdir: Path, counts: list[int]) -> dict:
    """The search bench: cost per note count (0 = the site's own notes), then quality."""
    results: dict = {"query": QUERY, "throttle": THROTTLE, "cost": []}
    with launch() as browser:
        for count in counts:
            site, sizes = built_site(workdir, count)
            entry: dict = {"generated_notes": count, **sizes}
            server = Nginx(workdir / f"nginx-search-{count}", server_conf(site), port=free_port())
            try:
                base = server.url("/")
                entry["material"] = {"as_is": material_cost(browser, base, 1),
                                     "throttled": material_cost(browser, base, THROTTLE),
                                     "worker": worker_times(browser, base)}
                entry["material"]["worker_bytes"] = sum(n for url, n in entry["material"]["as_is"]["files"].items()
                                                        if "/workers/" in url)
                if count == 0:
                    results["quality"] = lunr_quality(browser, site, base)
            finally:
                server.stop()
            shutil.rmtree(site, ignore_errors=True)
            results["cost"].append(entry)
            print(f"[bench] search, +{count} notes: index {entry['index_brotli_bytes']} bytes (br)", flush=True)
    return results


def markdown(r: dict) -> str:
    rows = []
    for c in r["cost"]:
        m = c["material"]
        rows.append(["the site's own" if not c["generated_notes"] else f"+{c['generated_notes']} generated",
                     c["html_pages"], kb(c["index_bytes"]), kb(c["index_brotli_bytes"]),
                     f"**{kb(m['as_is']['bytes'])}**", ms(m["as_is"]["ms"]), ms(m["throttled"]["ms"]),
                     f"{ms(m['worker']['index_build_ms'])} + {ms(m['worker']['first_answer_ms'])}"])
    out = [f"Query typed: `{r['query']}`. Bytes: everything received from the first keystroke (`/`) until "
           "the first result is drawn (headers and brotli bodies). Throttled: the page's CPU at "
           f"{r['throttle']}x (Chromium does not throttle workers, so the worker's own time is in its own "
           "column, unthrottled: multiply by the throttle for a slow phone).\n",
           table(["Notes", "Pages", "Index", "Index (br)", "Bytes to first results", "Time to first results",
                  f"… page CPU {r['throttle']}x", "Worker: index build + first answer"], rows)]
    real = next((c for c in r["cost"] if not c["generated_notes"]), None)
    if real:
        rate = real["index_brotli_bytes"] / real["index_words"]
        lines = [f"The generated notes repeat a small pool of sentences, so their index compresses far better "
                 f"than real notes: this site's own index is {kb(real['index_brotli_bytes'])} (br) for "
                 f"{real['index_words']:,} words, {rate * 1000:.0f} bytes per 1,000 words."]
        for c in r["cost"]:
            if c["generated_notes"]:
                estimate = c["material"]["worker_bytes"] + rate * c["index_words"]
                lines.append(f"With {c['generated_notes']} generated notes ({c['index_words']:,} words) it is "
                             f"{c['index_brotli_bytes'] / c['index_words'] * 1000:.0f} bytes per 1,000 words; "
                             f"notes as varied as the real ones would cost about **{kb(estimate)}** to first "
                             "results (estimate: the worker plus the real notes' rate).")
        out.append(" ".join(lines) + "\n")
    q = r.get("quality")
    if q:
        kinds = ["notes", "reader", "question", "typo"]
        out.append(f"The query set of tests/test_search.py ({q['queries']} queries), on the site's own notes: "
                   "the target page in the top three results (and in first place):\n")
        out.append(table(["Search", *kinds], [[name] + [f"{v[k]['top3']}/{v[k]['queries']} ({v[k]['first']} first)"
                                                        for k in kinds] for name, v in q["variants"].items()]))
        out += [f"- {name}: {error}" for name, error in q.get("errors", {}).items()]
    return "\n".join(out)


if __name__ == "__main__":  # python -m bench.search [counts]: this part alone
    import tempfile
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        found = run(work, [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else "0,100,1000").split(",")])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write("search", found, markdown(found))
    print(markdown(found))
