"""Serving bisect: where a page's requests/s go, from `return 204` to the production config.

A ladder of nginx configs, each adding one concern to the one before it and ending with
the project's own nginx/nginx.conf + nginx/site.conf, then variants of production with one
thing changed. Every config runs in its own nginx and is measured as a ratio to /healthz
(`return 204`, answered exactly as production answers it, so every config has the same
baseline) in that same nginx: /healthz, then (target, /healthz) `pairs` times, each target
run compared with the mean of the /healthz runs on either side of it. The whole set runs
`rounds` times, in a different order each round (rotated, every other round reversed),
so that no config is always measured while the machine is busy with something else.

Besides requests/s, each run records the CPU time per request of nginx's workers and of
wrk (bench/serve.py): on a shared machine requests/s move with the neighbours' load, the
CPU a request costs much less so. The two together attribute the cost.

`python -m bench.bisect` runs it alone (see --help); `make bench` runs it after the
serving benchmark (bench/run.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

from bench.serve import ensure_wrk, preflight, worker_pids, wrk
from harness.nginx import Nginx, main_conf, server_conf

# The main config of every ladder step but the last: nginx.conf's modules, workers and
# pcre_jit (the baseline's own maps use regexes too), but none of what the steps add one
# at a time (sendfile and tcp_nopush come in with step c2, in the server block). The
# access log is on by default, so it is off until its own step.
BARE_HTTP = """
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
"""

# Step (e): what decides whether and how a request is served: the other locations and
# error pages (as in site.conf; the maps and `location /` are read from site.conf itself).
SERVING_LOGIC = """
    server_tokens off;
    absolute_redirect off;
    error_page 404 /404.html;
    error_page 403 =404 /404.html;
    error_page 400 405 408 413 414 416 494 500 502 503 504 /500.html;
    location = /404.html {}
    location = /500.html {}
    location ~ /\\. { return 404; }
    location ~ "/[^/.]+$" {
        if ($method_allowed = 0) { return 405; }
        if (!-d $request_filename) { return 404; }
        return 301 $uri/$is_args$args;
    }
"""
ACCESS_LOG = "access_log {workdir}/access.log combined buffer=64k flush=1s;"
# The serving path before this bisect (kept as a variant, to show what changed).
OLD_TRY_FILES = "try_files $uri $uri/ =404;"


def site_conf_part(pattern: str) -> str:
    """A part of the real nginx/site.conf, so that the steps add exactly what it has."""
    found = re.findall(pattern, server_conf(Path("/")), flags=re.M | re.S)
    assert found, f"nginx/site.conf: nothing matches {pattern!r}"
    return "\n".join(found)


def method_map() -> str:
    return site_conf_part(r"^map \$request_method \$method_allowed .*?^\}")


def servable_map() -> str:
    """The allow-list: `$servable` of each file kind (the kinds are a header map's too)."""
    return site_conf_part(r"^map \$file_kind \$servable .*?^\}")


def header_maps() -> str:
    """site.conf's maps that the add_header set reads (response kind, policies, caching)."""
    return "\n".join(m for m in re.findall(r"^map .*?^\}", server_conf(Path("/")), flags=re.M | re.S)
                     if not re.match(r"map \$(?:request_method|file_kind \$servable)", m))


def add_headers() -> str:
    return site_conf_part(r"^\s*add_header [^\n]*$")


def site_location() -> str:
    """The body of site.conf's `location /`: the method and allow-list checks, try_files."""
    return site_conf_part(r"^    location / \{\n(.*?)\n    \}")


def body_vars(size: int) -> tuple[str, str]:
    """A body of `size` bytes for `return 200`: nginx takes at most 4 kB per config token,
    so it is spread over constant map variables and joined (one copy per response, as the
    static module's read of a file would be)."""
    chunks = [min(3000, size - start) for start in range(0, size, 3000)]
    maps = "".join(f'map $host $body{i} {{ default "{"x" * n}"; }}\n' for i, n in enumerate(chunks))
    return maps, "".join(f"$body{i}" for i in range(len(chunks)))


def bare_main(workdir: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""  # as harness.nginx.main_conf: 0700 temp folders
    return (f"{user}include /etc/nginx/modules-enabled/*.conf;\nworker_processes auto;\npcre_jit on;\n"
            f"pid {workdir}/nginx.pid;\nerror_log {workdir}/error.log warn;\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{\n{BARE_HTTP}\n    include {workdir}/site.conf;\n}}\n")


def server(root: Path, body: str = "", location: str = "", http: str = "", server_headers: bool = False) -> str:
    """A ladder step's server block. Its /healthz answers exactly as production's does (the
    method check, the same add_header set, so the same 204 bytes), whatever the step, so
    every step has the same baseline; a map is only evaluated where it is used."""
    healthz_headers = "" if server_headers else add_headers()
    return (f"{method_map()}\n{header_maps()}\n{http}\nserver {{\n    listen 127.0.0.1:__PORT__;\n"
            f"    server_name _;\n    root {root};\n{add_headers() if server_headers else ''}\n{body}\n"
            f"    location = /healthz {{\n        access_log off;\n{healthz_headers}\n"
            f"        if ($method_allowed = 0) {{ return 405; }}\n        return 204;\n    }}\n"
            f"    location / {{\n{location}\n    }}\n}}\n")


def production(transform=None, main_transform=None) -> dict:
    """Production, optionally changed: transform edits site.conf's text, main_transform
    nginx.conf's (as harness.nginx.main_conf renders it for a test folder)."""
    return {"server": (transform or (lambda t: t))(server_conf(Path("__ROOT__"))),
            "main": (lambda work: main_transform(main_conf(work))) if main_transform else None}


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"nginx config: expected one {old!r}"
    return text.replace(old, new)


def steps(site: Path, page: str) -> list[dict]:
    """The ladder, from `return 204` to production, one concern per step."""
    size = (site / page.strip("/") / "index.html.br").stat().st_size
    precompressed = "    charset utf-8;\n    gzip off;\n    gzip_static on;\n    brotli_static on;\n    gzip_vary on;\n"
    folder = precompressed + "    index index.html;\n"
    body_maps, body = body_vars(size)
    healthz_like = add_headers() + "\n        if ($method_allowed = 0) { return 405; }\n        return 204;"
    file_io = ("    sendfile on;\n    tcp_nopush on;\n" + site_conf_part(r"^\s*open_file_cache[^\n]*$") + "\n")
    logic = {"body": file_io + folder + SERVING_LOGIC, "location": site_location(), "http": servable_map()}

    def bare(**kw):
        return {"server": server(site, **kw), "main": bare_main}

    rows = [
        ("a", "`return 204` at the page's URL, answered as /healthz is (noise check: the baseline's own work)",
         bare(location=healthz_like), page, 204, None),
        ("b", f"`return 200` with a body of the page's brotli size ({size:,} bytes) from memory, no file, "
              "no headers added", bare(location=f'        default_type text/html;\n        return 200 "{body}";',
                                       http=body_maps), page, 200, None),
        ("c", "bare `location / {}` serving the page's .br file by its own name (open, fstat, read, close "
              "per request)", bare(), page + "index.html.br", 200, None),
        ("c2", "+ production's file I/O: sendfile, tcp_nopush (nginx.conf), open_file_cache (site.conf)",
         bare(body=file_io), page + "index.html.br", 200, None),
        ("d", "+ charset, gzip_static/brotli_static: `/…/index.html` answered with its .br",
         bare(body=file_io + precompressed), page + "index.html", 200, "br"),
        ("d2", "+ the folder URL through `index index.html` (an internal redirect to index.html)",
         bare(body=file_io + folder), page, 200, "br"),
        ("e", "+ site.conf's serving logic: method and allow-list maps and their `if`s, try_files (the folder's "
              "index.html in place), error pages, the other locations", bare(**logic), page, 200, "br"),
        ("f", "+ the add_header set (maps by response type: CSP and the page policies, Vary, Cache-Control, Allow)",
         bare(**logic, server_headers=True), page, 200, "br"),
        ("g", "+ access log (nginx.conf's: combined, buffer=64k flush=1s; to a file here)",
         bare(**{**logic, "body": logic["body"] + "\n    " + ACCESS_LOG}, server_headers=True), page, 200, "br"),
        ("h", "= production: nginx.conf + site.conf as they are (adds the limits and timeouts, keepalive "
              "settings, types_hash_max_size, temp paths)", production(), page, 200, "br"),
    ]
    return [{"key": k, "adds": adds, **conf, "path": path, "status": status, "encoding": enc}
            for k, adds, conf, path, status, enc in rows]


def variants(site: Path, page: str) -> list[dict]:
    """Production with one thing changed: what a feature costs where it stands."""
    def drop(pattern):
        def transform(text):
            text, n = re.subn(pattern, "", text, flags=re.M)
            assert n, f"nginx config: nothing matches {pattern!r}"
            return text
        return transform

    def no_jit(text):
        return edit(text, "pcre_jit on;", "pcre_jit off;")

    def redirect(text):
        return re.sub(r"(?m)^(\s*)try_files \$\{uri\}index\.html \$uri =404;", r"\1" + OLD_TRY_FILES, text)

    rows = [
        ("h-log", "production without the access log for pages (diagnostic: the image needs its log)",
         production(lambda t: re.sub(r"(?m)^(\s*)(try_files [^\n]*)", r"\1\2\n\1access_log off;", t))),
        ("h-headers", "production without the add_header set (diagnostic: documents need it)",
         production(drop(r"^\s*add_header [^\n]*$"))),
        ("h-ofc", "production without open_file_cache", production(drop(r"^\s*open_file_cache[^\n]*$"))),
        ("h-sendfile", "production with sendfile off (nginx reads the file and writes it with the headers)",
         production(main_transform=lambda t: edit(t, "sendfile on;", "sendfile off;"))),
        ("h-jit", "production with pcre_jit off (as before this bisect)", production(main_transform=no_jit)),
        ("h-redirect", f"production with `{OLD_TRY_FILES}` (folder URLs through the index internal redirect, "
                       "as before this bisect)", production(redirect)),
        ("h-before", "pcre_jit off and `try_files $uri $uri/ =404;` together: the serving path as it was "
                     "before this bisect",
         production(redirect, no_jit)),
    ]
    return [{"key": k, "adds": adds, **conf, "path": page, "status": 200, "encoding": "br"} for k, adds, conf in rows]


LADDER_KEYS = ("a", "b", "c", "c2", "d", "d2", "e", "f", "g", "h")


def run_step(step: dict, site: Path, workdir: Path, duration: int, warmup: int, tag: str, pairs: int = 1) -> list[dict]:
    """One nginx for one config: /healthz, then (the target, /healthz) `pairs` times. One
    sample per target run, compared with the /healthz runs on either side of it."""
    work = workdir / f"{step['key']}-{tag}"
    work.mkdir(parents=True, exist_ok=True)
    config = step["server"].replace("{workdir}", str(work)).replace("__ROOT__", str(site))
    nginx = Nginx(work, config, main_config=step["main"](work) if step["main"] else None)
    try:
        pids = worker_pids(nginx)

        def measure(name, path, status, encoding):
            check = preflight(nginx, path, "br", status, encoding)
            return {**wrk(nginx.url(path), "br", duration, warmup, work / f"wrk-{name}.txt", pids), "preflight": check}
        healthz = [measure("healthz-0", "/healthz", 204, None)]
        targets = []
        for i in range(pairs):
            targets.append(measure(f"target-{i}", step["path"], step["status"], step["encoding"]))
            healthz.append(measure(f"healthz-{i + 1}", "/healthz", 204, None))
    finally:
        nginx.stop()
    samples = []
    for i, target in enumerate(targets):
        before, after = healthz[i], healthz[i + 1]
        base = (before["requests_per_second"] + after["requests_per_second"]) / 2
        sample = {"target": target, "baseline_rps": round(base, 1), "ratio": round(target["requests_per_second"] / base, 4),
                  "nginx_workers": len(pids), "load_average": os.getloadavg()}
        for side in ("server", "client"):
            sample[f"healthz_{side}_cpu_us_per_request"] = round(
                (before[f"{side}_cpu_us_per_request"] + after[f"{side}_cpu_us_per_request"]) / 2, 3)
        samples.append(sample)
    return samples


def summarize(step: dict, samples: list[dict]) -> dict:
    def median(key):
        return statistics.median(s[key] for s in samples)

    def target_median(key):
        return statistics.median(s["target"][key] for s in samples)

    ratios = [s["ratio"] for s in samples]
    return {"key": step["key"], "adds": step["adds"], "path": step["path"], "samples": len(samples),
            "ratio_median": round(statistics.median(ratios), 3), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "rps_median": round(target_median("requests_per_second")),
            "baseline_rps_median": round(median("baseline_rps")),
            "server_cpu_us_per_request": round(target_median("server_cpu_us_per_request"), 2),
            "client_cpu_us_per_request": round(target_median("client_cpu_us_per_request"), 2),
            "healthz_server_cpu_us_per_request": round(median("healthz_server_cpu_us_per_request"), 2),
            "healthz_client_cpu_us_per_request": round(median("healthz_client_cpu_us_per_request"), 2),
            "bytes_per_response": samples[0]["target"]["bytes_per_response"],
            "errors": sum(s["target"]["socket_errors"] + s["target"]["non_2xx"] for s in samples)}


def bisect(site: Path, workdir: Path, duration: int = 2, warmup: int = 1, rounds: int = 3, pairs: int = 1,
           page: str = "/docker/", only: list[str] | None = None) -> dict:
    configs = [c for c in steps(site, page) + variants(site, page) if not only or c["key"] in only]
    samples: dict = {c["key"]: [] for c in configs}
    for r in range(rounds):
        order = configs[r % len(configs):] + configs[:r % len(configs)]
        if r % 2:
            order.reverse()
        for config in order:
            new = run_step(config, site, workdir, duration, warmup, f"round{r}", pairs)
            samples[config["key"]] += new
            print(f"[bisect] round {r + 1}/{rounds} {config['key']}: ratio "
                  f"{', '.join(format(s['ratio'], '.3f') for s in new)}", flush=True)
    table = [summarize(c, samples[c["key"]]) for c in configs]
    rows = {row["key"]: row for row in table}
    previous = None
    for row in table:
        # A ladder step against the step before it; a variant against production.
        if row["key"] in LADDER_KEYS:
            reference, previous = previous, row
        else:
            reference = rows.get("h")
        for field, value in (("delta_ratio", "ratio_median"), ("delta_server_cpu_us", "server_cpu_us_per_request"),
                             ("delta_client_cpu_us", "client_cpu_us_per_request")):
            row[field] = None if reference is None else round(row[value] - reference[value], 3)
    return {"page": page, "duration_seconds": duration, "warmup_seconds": warmup, "rounds": rounds, "pairs": pairs,
            "table": table, "samples": samples}


def markdown(b: dict) -> str:
    def signed(value, fmt):
        return "—" if value is None else format(value, "+" + fmt)

    lines = ["| Step | Adds | Target | Requests/s (median) | /healthz req/s (median) | Ratio, median (min–max) "
             "| Δ ratio | nginx CPU µs/request (Δ) | wrk CPU µs/request (Δ) | Bytes/response |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in b["table"]:
        lines.append(f"| {row['key']} | {row['adds']} | `{row['path']}` | {row['rps_median']:,} | "
                     f"{row['baseline_rps_median']:,} | **{row['ratio_median']:.2f}** "
                     f"({row['ratio_min']:.2f}–{row['ratio_max']:.2f}) | {signed(row['delta_ratio'], '.2f')} | "
                     f"{row['server_cpu_us_per_request']:.1f} ({signed(row['delta_server_cpu_us'], '.1f')}) | "
                     f"{row['client_cpu_us_per_request']:.1f} ({signed(row['delta_client_cpu_us'], '.1f')}) | "
                     f"{row['bytes_per_response']:,} |")
    healthz = [(r["healthz_server_cpu_us_per_request"], r["healthz_client_cpu_us_per_request"]) for r in b["table"]]
    lines.append("")
    lines.append(f"/healthz itself: nginx {statistics.median(h[0] for h in healthz):.1f} µs, wrk "
                 f"{statistics.median(h[1] for h in healthz):.1f} µs of CPU per request (median over all configs). "
                 f"{b['rounds']} rounds × {b['pairs']} target run(s) of {b['duration_seconds']} s per config "
                 "(min–max: the spread over those samples). Δ: a ladder step against the step above it, a variant "
                 "(h-…) against h.")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=Path("site"), help="a built site (default: site/)")
    parser.add_argument("--duration", type=int, default=2, help="seconds per wrk run (default: 2)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of wrk warm-up per run (default: 1)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over all configs (default: 3)")
    parser.add_argument("--pairs", type=int, default=1, help="target runs per nginx start (default: 1)")
    parser.add_argument("--only", default="", help="comma-separated config keys (default: all)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="bisect-") as tmp:
        result = bisect(args.site.resolve(), Path(tmp), args.duration, args.warmup, args.rounds, args.pairs,
                        only=[k for k in args.only.split(",") if k] or None)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
