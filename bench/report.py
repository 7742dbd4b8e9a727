"""bench/results/latest.md: the Markdown summary of latest.json."""

from __future__ import annotations

from bench import bisect, peers, search

# A page should serve at this share or more of the /healthz baseline's requests per second.
PAGE_TARGET = 0.80


def kb(n: int | None) -> str:
    return "—" if n is None else f"{n / 1024:,.1f} KiB" if n < 1024 ** 2 else f"{n / 1024 ** 2:,.1f} MiB"


def sec(n: float | None) -> str:
    return "—" if n is None else f"{n:.2f} s"


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def failed(part: dict) -> str | None:
    return part.get("error") if isinstance(part, dict) else None


def machine_md(m: dict) -> str:
    rows = [["CPUs (nproc)", m["nproc"]], ["CPU", m["cpu_model"]], ["RAM", f'{m["ram_gib"]} GiB'],
            ["OS / kernel", f'{m["os"]} / {m["kernel"]}'], ["nginx", m["nginx"]], ["wrk", m["wrk"]],
            ["Python", m["python"]], ["MkDocs", m["mkdocs"]], ["Material for MkDocs", m["mkdocs-material"]],
            ["pymdown-extensions / Markdown", f'{m["pymdown-extensions"]} / {m["Markdown"]}'],
            ["Zensical", m["zensical"] or "not available"],
            ["Load average (1/5/15 min) at start → end",
             f'{" ".join(f"{x:.2f}" for x in m["load_average_at_start"])} → '
             f'{" ".join(f"{x:.2f}" for x in m.get("load_average_at_end", []))}']]
    return table(["", ""], rows)


def source_md(src: dict) -> str:
    dirty = src.get("uncommitted_files", [])
    line = f"Commit `{src.get('commit')}` ({src.get('subject')})"
    if dirty:
        line += (f", plus {len(dirty)} uncommitted file(s) in the working tree at the time: "
                 + ", ".join(f"`{f}`" for f in dirty[:20]) + (" …" if len(dirty) > 20 else ""))
    return line + ".\n"


def cold_md(c: dict) -> str:
    if failed(c):
        return f"Failed: `{failed(c)}`\n"
    runs = ", ".join(sec(r["seconds"]) for r in c["runs"])
    cpu = sum(r["cpu_seconds"] for r in c["runs"]) / sum(r["seconds"] for r in c["runs"])
    return (f"**{sec(c['median_seconds'])}** median of {len(c['runs'])} ({runs}); CPU/wall {cpu:.2f}; "
            f"output {c['files']} files, {kb(c['bytes'])} (with the .br/.gz copies).\n")


def ratio_cell(part: dict) -> str:
    """The median of the per-round ratios to the plain build, and their range."""
    found = sorted(part.get("ratios_to_plain") or [])
    if not found:
        return "—"
    middle = found[len(found) // 2] if len(found) % 2 else (found[len(found) // 2 - 1] + found[len(found) // 2]) / 2
    spread = f", {found[0]:.1f}–{found[-1]:.1f}" if len(found) > 1 else ""
    return f"**{middle:.1f}×**{spread}"


def load_range(s: dict) -> str:
    loads = [run["load_average"] for part in ("mkdocs_plain", "mkdocs_hooks", "mkdocs_hooks_one_edit")
             for run in s.get(part, {}).get("runs", []) if "load_average" in run]
    return f"{min(loads):.1f}–{max(loads):.1f}" if loads else "—"


def scaling_md(scaling: list[dict]) -> str:
    times, sizes = [], []
    for s in scaling:
        n = s["pages_generated"]
        if failed(s):
            times.append([n, f"failed: `{failed(s)[:200]}`", "", "", "", ""])
            continue
        hooks, plain, zen = s["mkdocs_hooks"], s["mkdocs_plain"], s["zensical"]
        hooks_cell = ("skipped (see below)" if "skipped" in hooks else
                      f"failed: `{hooks['error'][:200]}`" if "error" in hooks else
                      f"{sec(hooks['median_seconds'])} ({ratio_cell(hooks)} plain, caches empty)")
        edit = s.get("mkdocs_hooks_one_edit", {})
        if edit.get("median_seconds"):
            hooks_cell += f"; one edit {sec(edit['median_seconds'])} ({ratio_cell(edit)})"
        zen_cell = (f"unavailable: `{zen['error'][:200]}`" if "runs" not in zen else sec(zen["median_seconds"]))
        ratio = s.get("ratio_zensical_to_mkdocs")
        runs = len(plain["runs"])
        times.append([n, plain.get("html_pages", "—"), hooks_cell, sec(plain["median_seconds"]), zen_cell,
                      "—" if ratio is None else f"**{ratio:.2f}**", runs, load_range(s)])
        visit = plain.get("first_visit", {})
        sizes.append([n, kb(plain.get("search_index_bytes")), kb(zen.get("search_index_bytes")),
                      kb(plain.get("note_html_bytes")), kb(zen.get("note_html_bytes")),
                      kb(plain.get("bytes")), kb(zen.get("bytes")), kb(visit.get("page_load_brotli_bytes")),
                      kb(visit.get("with_search_brotli_bytes"))])
    out = table(["Generated notes", "HTML pages (MkDocs)",
                 "MkDocs + hooks (`make site`, median; ratio to plain: median of the rounds, range)",
                 "MkDocs plain (median)", "Zensical plain (median)", "Zensical / MkDocs (plain)", "Rounds",
                 "Load average (1 min) during the builds"], times)
    out += "\n" + table(["Generated notes", "Search index, MkDocs (`search/search_index.json`)",
                         "Search index, Zensical (`search.json`)", "One note's HTML, MkDocs",
                         "One note's HTML, Zensical", "Site, MkDocs plain", "Site, Zensical",
                         "First visit to a note, page load (br, est.)", "… with search (br, est.)"], sizes)
    done = [s for s in scaling if not failed(s) and s["mkdocs_plain"].get("note_html_bytes")]
    if len(done) > 1:
        small, large = done[0], done[-1]
        out += (f"\nFrom {small['pages_generated']} to {large['pages_generated']} notes, one note's HTML grows "
                f"{large['mkdocs_plain']['note_html_bytes'] / small['mkdocs_plain']['note_html_bytes']:.1f}× "
                "(every page carries the top of the nav and its own section: navigation.prune), "
                "so the site's bytes grow a little faster than its page count.\n")
    skipped = [str(s["pages_generated"]) for s in scaling if "skipped" in s.get("mkdocs_hooks", {})]
    if skipped:
        out += f"\nMkDocs + hooks was not run at {', '.join(skipped)} notes (--hooks-max-pages).\n"
    return out


def serving_md(s: dict) -> str:
    if failed(s):
        return f"Failed: `{failed(s)}`\n"
    labels = {"page_br": ("production", f"page `{s['page']}`", "br (brotli_static)"),
              "js_bundle_br": ("production", f"JS bundle `{s['js_bundle']}`", "br (brotli_static)"),
              "page_gzip_static": ("production", f"page `{s['page']}`", "gzip (gzip_static)"),
              "page_gzip_on_the_fly": ("gzip on the fly", f"page `{s['page']}`", "gzip, level 6 per request")}
    rows = []
    for variant, run in s["runs"].items():
        b = run["baseline"]
        rows.append([variant.replace("_", " "), f'`/healthz` (204), {len(run["healthz"])} runs', "—",
                     f'{b["requests_per_second"]:,.0f} mean ({b["min"]:,.0f}–{b["max"]:,.0f})', "—", "—",
                     f'{b["latency_p99_ms"]:.2f}', "—", cpu(run["healthz"]), run["healthz"][0]["bytes_per_response"],
                     b["errors"]])
        for name, r in run["targets"].items():
            ratio = s["ratios"][name]
            config, target, encoding = labels[name]
            rows.append([config, target, encoding, f'{r["requests_per_second"]:,.0f}',
                         f'{ratio["baseline_rps"]:,.0f}', f'**{ratio["rps_ratio_to_healthz"]:.2f}**',
                         f'{r["latency_p99_ms"]:.2f}', f'{ratio["p99_ratio_to_healthz"]:.2f}', cpu([r]),
                         r["bytes_per_response"], f'{r["socket_errors"]} / {r["non_2xx"]}'])
    page = s["ratios"]["page_br"]
    verdict = ("met" if page["rps_ratio_to_healthz"] >= PAGE_TARGET and page["errors"] == 0 else "**not met**")
    spreads = ", ".join(f'{v.replace("_", " ")} {run["baseline"]["spread"]:.0%}' for v, run in s["runs"].items())
    return (table(["Config", "Target", "Encoding", "Requests/s", "Baseline req/s (/healthz next to it)",
                   "Ratio to baseline", "p99 ms", "p99 ratio", "CPU µs/request, nginx / wrk", "Bytes/response",
                   "Errors (socket / non-2xx)"], rows)
            + f"\nTarget, page at ≥ {PAGE_TARGET:.0%} of the baseline's requests/s with zero errors: {verdict} "
              f"({page['rps_ratio_to_healthz']:.0%}, {page['errors']} errors). "
              f"Spread of the /healthz runs, (max − min) / mean, a measure of how much the machine's load "
              f"moved during the run: {spreads}.\n")


def cpu(runs: list[dict]) -> str:
    """Mean CPU time per request of nginx's workers and of wrk over these runs."""
    if any(r.get("server_cpu_us_per_request") is None for r in runs):
        return "—"
    return (f'{sum(r["server_cpu_us_per_request"] for r in runs) / len(runs):.1f} / '
            f'{sum(r["client_cpu_us_per_request"] for r in runs) / len(runs):.1f}')


def header_bytes_md(s: dict) -> str:
    rows = [[h["kind"], f'`{h["path"]}`', h["status"], h["bytes"], ", ".join(h["fields"])]
            for h in s.get("header_bytes") or []]
    if not rows:
        return ""
    return ("\nResponse headers per kind of response, production config, asked for with "
            "`Accept-Encoding: br` (bytes from the status line to the blank line, as sent on HTTP/1.1):\n\n"
            + table(["Response", "Path", "Status", "Header bytes", "Fields"], rows))


def bisect_md(b: dict) -> str:
    if failed(b):
        return f"Failed: `{failed(b)}`\n"
    return bisect.markdown(b)


def weight_md(w: dict) -> str:
    if failed(w):
        return f"Failed: `{failed(w)}`\n"
    rows = [[f"`/{p['page']}`", kb(p["html_brotli_bytes"]), kb(p.get("frame_brotli_bytes")),
             kb(p.get("site_brotli_bytes")), kb(p["page_load_brotli_bytes"]),
             kb(p["with_search_brotli_bytes"]), kb(p["uncompressed_bytes"])] for p in w["pages"]]
    out = table(["Page", "HTML (br)", "Its frame (br)", "What the site adds: frame + shared files (br)",
                 "Page load: HTML + CSS + JS + icon + sitemap (br)", "With search: + worker + index (br)",
                 "All of it uncompressed"], rows)
    first = w["pages"][0]
    files = ", ".join(f'`{f["file"]}` {kb(f["brotli_bytes"])}' for f in first["files"][1:] + first["search_files"])
    when = ("only when search is first used (the page defers them)" if first["search_deferred"]
            else "at page load (Material's default)")
    return out + (f"\nFiles besides the HTML, the same for every page: {files}. The search worker and "
                  f"index are fetched {when}.\n")


def markdown(r: dict) -> str:
    m = r["machine"]
    parts = [
        "# Benchmark results\n",
        f"Run {r['started']}, {r['total_seconds']:.0f} s in all, by `make bench` (python -m bench.run). "
        "Reported, never asserted. Ratios are the figures to compare across runs; absolute times "
        "depend on the machine and on whatever else it runs: wrk, nginx and the builds share "
        f"{m['nproc']} cores here.\n",
        "## Machine\n", machine_md(m),
        "## Source measured\n", source_md(r.get("source", {})),
        "## Build: this site, cold `make site`\n",
        "The production build (strict, with the hooks of hooks/: checks, cards, previews, dates, "
        "diagrams, CSP, minified HTML, one purged stylesheet, precompressed copies of every text "
        "file; their caches in .cache/ as a developer has them), into a fresh SITE_DIR each time.\n\n" + cold_md(r.get("cold_make_site", {})),
        "## Build: scaling on generated notes, MkDocs vs Zensical\n",
        "A temporary copy of the project plus N generated notes (~6.6 kB of Hinglish Markdown each, "
        "shaped like docs/docker.md), listed in the nav in sections of ten. Each round builds, one after "
        "the other: the plain MkDocs build, the production `make site` (*MkDocs + hooks*) with the "
        "hooks' caches empty, `make site` again after a one-line edit of one note, and Zensical. The "
        "ratios of *MkDocs + hooks* compare each build with the plain build of its own round (the same "
        "load), and the table gives their median and range; the load average column says how busy "
        "the machine was. The like-for-like comparison gives both "
        "engines the same *plain* config: the project's mkdocs.yml without its `hooks:` and the git "
        "dates plugin (Zensical runs neither), strict, "
        "from cold (Zensical's cache cleared). The ratio is Zensical's median time over MkDocs'; "
        "below 1 means Zensical is faster.\n\n"
        + (f"Zensical could not be used: `{r['zensical_error']}`\n\n" if r.get("zensical_error") else "")
        + scaling_md(r.get("scaling", [])),
        "## Serving: nginx with the project's config, wrk on loopback\n",
        (lambda s: f"wrk {s['threads']} threads, {s['connections']} connections, {s['duration_seconds']} s per "
                   f"target after a {s['warmup_seconds']} s warm-up; real nginx with nginx/nginx.conf + "
                   f"nginx/site.conf (only paths, root and listen rewritten), "
                   f"{next(iter(s['runs'].values()))['nginx_workers']} workers; 127.0.0.1 only. "
                   "Each ratio is to `/healthz` (`return 204`, no file) in the same nginx run: the mean of "
                   "the /healthz runs just before and just after that target. *gzip on the fly* is a copy of the config "
                   "with `gzip on; gzip_comp_level 6;` and gzip_static/brotli_static off. CPU µs/request: "
                   "the CPU time of nginx's workers and of wrk during the run, per request; on a shared "
                   "machine it moves much less with the neighbours' load than requests/s do.\n\n")(r["serving"])
        if "runs" in r.get("serving", {}) else "",
        serving_md(r.get("serving", {})) + header_bytes_md(r.get("serving", {})),
        "## Serving bisect: where a page's cost over `/healthz` goes (bench/bisect.py)\n",
        "A ladder of nginx configs from `return 204` to production, one concern per step, then "
        "production with one thing changed (h-…). Each config runs in its own nginx; each target "
        "run is a ratio to the `/healthz` runs (answered exactly as production answers it) just "
        "before and after it, in the same nginx. Configs run in a different order each round.\n\n"
        + (bisect_md(r["serving_bisect"]) if "serving_bisect" in r else "Not run.\n"),
        "## Page weight: first visit, per page (estimate)\n",
        "Sum of the brotli sizes on disk of what a first visit with an empty cache fetches: the HTML, "
        "its stylesheets, scripts and icon and sitemap.xml, then the search worker and index. "
        "From the files, not a browser; the in-browser budget test lives in tests/.\n\n"
        + weight_md(r.get("page_weight", {})),
        "## Search: its cost as the notes grow, and the query set (bench/search.py)\n",
        search.markdown(r["search"]) if "search" in r else "Not run.\n",
        "## Page weight against peers: the same notes in Starlight and VitePress (bench/peers.py)\n",
        (f"Failed: `{r['peers']['error']}`\n" if failed(r["peers"]) else peers.markdown(r["peers"]))
        if "peers" in r else "Not run.\n",
    ]
    return "\n".join(parts)
