"""Serving benchmark: wrk against real nginx running the project's own config on loopback.

Every figure is compared with /healthz (`return 204`: no file, no compression) measured
in the same nginx run, so what is reported is the cost of serving the file relative to
nginx doing nothing, which is steadier across machines than absolute numbers.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
from pathlib import Path

from harness.nginx import Nginx, fetch, server_conf

HERE = Path(__file__).resolve().parent
LUA = HERE / "report.lua"
# Bounded on purpose: two wrk threads (the machine has two cores, shared with nginx),
# 32 connections, a fixed duration; loopback only.
THREADS, CONNECTIONS = 2, 32


def ensure_wrk() -> str:
    """wrk from Debian, installed on first use like the Makefile's test packages."""
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True,
                       env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    return shutil.which("wrk")


def gzip_on_the_fly(config: str) -> str:
    """The same server block compressing per request: Debian's usual gzip setup, with the
    precompressed files ignored (gzip_static and brotli_static off)."""
    for old, new in (("gzip off;", "gzip on; gzip_comp_level 6;"),
                     ("gzip_static on;", "gzip_static off;"),
                     ("brotli_static on;", "brotli_static off;")):
        config, n = re.subn(rf"(?m)^(\s*){re.escape(old)}", lambda m, new=new: m.group(1) + new, config)
        assert n == 1, f"nginx/site.conf: expected one '{old}'"
    return config


def cpu_ns(pids: list[int]) -> int:
    """CPU time the processes have run, in ns: the scheduler's own count, system calls
    included (softirq work, such as loopback delivery, may be accounted apart)."""
    return sum(int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) for pid in pids)


def children_cpu_ns() -> int:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((usage.ru_utime + usage.ru_stime) * 1e9)


def wrk(url: str, encoding: str, duration: int, warmup: int, log: Path, server_pids: list[int] = ()) -> dict:
    """One wrk run. Besides requests/s, the CPU time per request of nginx's workers and of
    wrk itself: on a shared machine the requests/s move with the neighbours' load, the CPU
    each request costs much less so (bench/README.md)."""
    header = ["-H", f"Accept-Encoding: {encoding}"]
    base = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), *header]
    # Warm-up first (discarded): page cache, nginx's open files, TCP connections.
    subprocess.run([*base, "-d", f"{warmup}s", url], capture_output=True, timeout=warmup + 30, check=True)
    server_before, client_before = cpu_ns(server_pids), children_cpu_ns()
    done = subprocess.run([*base, "-d", f"{duration}s", "--latency", "-s", str(LUA), url],
                          capture_output=True, text=True, timeout=duration + 30, check=True)
    server_cpu, client_cpu = cpu_ns(server_pids) - server_before, children_cpu_ns() - client_before
    log.write_text(done.stdout + done.stderr)
    stats = json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])
    seconds = stats["duration_us"] / 1e6
    errors = sum(stats[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {"url": url, "accept_encoding": encoding, "requests": stats["requests"],
            "requests_per_second": round(stats["requests"] / seconds, 1),
            "bytes_per_response": round(stats["bytes"] / max(stats["requests"], 1)),
            "latency_p50_ms": stats["latency_p50_us"] / 1000, "latency_p99_ms": stats["latency_p99_us"] / 1000,
            "latency_mean_ms": round(stats["latency_mean_us"] / 1000, 3),
            "socket_errors": errors, "non_2xx": stats["status_errors"],
            "server_cpu_us_per_request": round(server_cpu / 1e3 / max(stats["requests"], 1), 3) if server_pids else None,
            "client_cpu_us_per_request": round(client_cpu / 1e3 / max(stats["requests"], 1), 3)}


def preflight(server: Nginx, path: str, encoding: str, expect_status: int, expect_encoding: str | None) -> dict:
    """One request before the load: the URL answers as expected (status, encoding), so the
    benchmark measures the response it means to measure."""
    status, headers, body = fetch(server.url(path), headers={"Accept-Encoding": encoding})
    got = headers.get("Content-Encoding")
    if status != expect_status or got != expect_encoding:
        raise RuntimeError(f"{path} with Accept-Encoding {encoding}: got {status} / Content-Encoding "
                           f"{got}, expected {expect_status} / {expect_encoding}")
    return {"status": status, "content_encoding": got, "body_bytes": len(body)}


def worker_pids(server: Nginx) -> list[int]:
    out = subprocess.run(["ps", "--ppid", str(server.proc.pid), "--no-headers", "-o", "pid"],
                         capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]



def serving(site: Path, workdir: Path, duration: int, warmup: int, page: str = "/docker/") -> dict:
    bundle = next((site / "assets" / "javascripts").glob("bundle.*.min.js"))
    js = "/" + str(bundle.relative_to(site))
    runs: dict = {}
    ratios: dict = {}
    # Per config: name -> (path, Accept-Encoding, status and Content-Encoding expected).
    # /healthz runs before the first target, between targets and after the last: each
    # target is compared with the mean of the two /healthz runs next to it, which follows
    # the machine's load (shared cores) better than one baseline for the whole run.
    healthz = ("/healthz", "br", 204, None)
    plan = {
        "production": {"page_br": (page, "br", 200, "br"),
                       "js_bundle_br": (js, "br", 200, "br"),
                       "page_gzip_static": (page, "gzip", 200, "gzip")},
        "gzip_on_the_fly": {"page_gzip_on_the_fly": (page, "gzip", 200, "gzip")},
    }
    # variant -> (server block, extra directives for the http context)
    configs = {"production": (server_conf(site), ""),
               "gzip_on_the_fly": (gzip_on_the_fly(server_conf(site)), "")}

    def measure(server: Nginx, variant: str, name, path, encoding, status, content_encoding):
        check = preflight(server, path, encoding, status, content_encoding)
        result = wrk(server.url(path), encoding, duration, warmup, workdir / f"wrk-{variant}-{name}.txt",
                     worker_pids(server))
        return {**result, "preflight": check}

    headers = None
    for variant, targets in plan.items():
        server = Nginx(workdir / variant, *configs[variant])
        try:
            if variant == "production":
                headers = header_bytes(server, site)
            pids = worker_pids(server)
            run = runs[variant] = {"nginx_workers": len(pids), "load_average": os.getloadavg(),
                                   "healthz": [measure(server, variant, "healthz-0", *healthz)], "targets": {}}
            for i, (name, target) in enumerate(targets.items(), start=1):
                run["targets"][name] = measure(server, variant, name, *target)
                run["healthz"].append(measure(server, variant, f"healthz-{i}", *healthz))
        finally:
            server.stop()
        rps = [h["requests_per_second"] for h in run["healthz"]]
        mean = sum(rps) / len(rps)
        run["baseline"] = {"requests_per_second": round(mean, 1), "min": min(rps), "max": max(rps),
                           "spread": round((max(rps) - min(rps)) / mean, 3),
                           "latency_p99_ms": round(sum(h["latency_p99_ms"] for h in run["healthz"]) / len(rps), 3),
                           "errors": sum(h["socket_errors"] + h["non_2xx"] for h in run["healthz"])}
        for i, (name, result) in enumerate(run["targets"].items()):
            before, after = run["healthz"][i], run["healthz"][i + 1]
            base_rps = (before["requests_per_second"] + after["requests_per_second"]) / 2
            base_p99 = (before["latency_p99_ms"] + after["latency_p99_ms"]) / 2
            ratios[name] = {
                "config": variant,
                "baseline_rps": round(base_rps, 1),
                "baseline_p99_ms": round(base_p99, 3),
                "rps_ratio_to_healthz": round(result["requests_per_second"] / base_rps, 3),
                "p99_ratio_to_healthz": round(result["latency_p99_ms"] / base_p99, 3) if base_p99 else None,
                "errors": result["socket_errors"] + result["non_2xx"],
            }
    return {"page": page, "js_bundle": js, "threads": THREADS, "connections": CONNECTIONS,
            "duration_seconds": duration, "warmup_seconds": warmup, "runs": runs, "ratios": ratios,
            "header_bytes": headers}


def header_bytes(server: Nginx, site: Path) -> list[dict]:
    """The bytes of the response headers (status line to the blank line, as sent on
    HTTP/1.1) per kind of response, asked for as a browser would (Accept-Encoding: br):
    every response's headers count in what a visit downloads."""
    def first(folder, pattern):
        return "/" + str(next((site / folder).glob(pattern)).relative_to(site))

    kinds = [("page", "/docker/", {"Sec-Fetch-Dest": "document"}),
             ("page, instant navigation", "/docker/", {"Sec-Fetch-Dest": "empty"}),
             ("stylesheet (fingerprinted)", first("assets/stylesheets", "*.min.css"), {}),
             ("JS bundle (fingerprinted)", first("assets/javascripts", "bundle.*.min.js"), {}),
             ("search worker (fingerprinted)", first("assets/javascripts/workers", "search.*.min.js"), {}),
             ("search index", "/search/search_index.json", {}),
             ("icon, SVG", "/assets/favicon.svg", {}),
             ("icon, PNG", "/assets/images/favicon.png", {}),
             ("diagram, SVG", first("assets/diagrams", "*.svg"), {}),
             ("sitemap.xml", "/sitemap.xml", {}),
             ("404 page", "/no-such-page/", {}),
             ("redirect to the folder", "/docker", {}),
             ("304 of a page", "/docker/", {"If-None-Match": "ETAG"})]
    out = []
    for kind, path, extra in kinds:
        if extra.get("If-None-Match") == "ETAG":
            extra = {"If-None-Match": fetch(server.url(path), headers={"Accept-Encoding": "br"})[1]["ETag"]}
        request = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"127.0.0.1:{server.port}",
                                                        "Accept-Encoding": "br", **extra}.items())
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\n{request}Connection: close\r\n\r\n".encode())
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        head = data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        # Connection: close is the measuring request's own; a browser keeps the connection
        # (nginx then sends Connection: keep-alive, 5 bytes more).
        lines = head.decode("latin-1").split("\r\n")
        out.append({"kind": kind, "path": path, "status": int(lines[0].split()[1]),
                    "bytes": len(head) + (5 if "Connection: close" in lines else 0),
                    "fields": [line.split(":", 1)[0] for line in lines[1:] if line]})
    return out
