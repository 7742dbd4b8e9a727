"""One address against everyone else, on real nginx running the project's nginx.conf and
site.conf (harness/nginx.py): 127.0.0.1 floods, a reader on 127.0.0.2 reads at the same time.

nginx starts with the soft open-files limit a container gets by default (1024): the config
itself must raise it. Every flood is bounded in count and time, every socket closed at the
end. The figures are printed as [flood] lines; bench/decisions/flood-limits.md keeps them
with the reasoning."""

from __future__ import annotations

import brotli
import contextlib
import gzip
import http.client
import json
import re
import resource
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from harness.browser import PageWatch, focus_search, search
from harness.nginx import Nginx, server_conf
from harness.pages import PAGES
from harness.paths import MAIN_CONF, SITE_CONF
from harness.figures import figures

ATTACKER, READER = "127.0.0.1", "127.0.0.2"
CONTAINER_SOFT_NOFILE = 1024  # Docker's default soft limit for a container (containerd's)
HALF_SENT = 2100
# A request header that never ends (no empty line): nginx waits for the rest.
HALF_SENT_REQUEST = b"GET / HTTP/1.1\r\nHost: notes\r\nUser-Agent: flood\r\n"
FLOODERS, FLOOD_MAX, FLOOD_SECONDS = 8, 6000, 10
# What Chromium sends for a page; Sec-Fetch-Dest is set per request.
BROWSER = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "en-IN,en;q=0.9",
           "User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/120 Mobile Safari/537.36"}
FETCH_ERRORS = (OSError, http.client.HTTPException)


@pytest.fixture
def report(pytestconfig):
    return figures(pytestconfig, "flood")


@pytest.fixture
def fresh(site, tmp_path, server):
    """fresh(site_conf_text=None) -> a new nginx (empty limit zones) started under the
    container's default soft open-files limit; stopped by its PID at the end.

    `server` (the session's nginx) is started first: its port was picked at the start of
    the session, and a flood's thousands of connections from 127.0.0.1 could otherwise
    leave that port in use by one of their own ends before it is bound."""
    started: list[Nginx] = []

    def start(conf: str | None = None) -> Nginx:
        server = Nginx(tmp_path / f"nginx-{len(started)}", server_conf(site, conf=conf), nofile=CONTAINER_SOFT_NOFILE)
        started.append(server)
        return server

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # The test process holds the flood's sockets itself: up to its own hard limit.
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    try:
        yield start
    finally:
        for server in started:
            server.stop()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# --- a browser's requests, from a chosen source address ------------------------------------


class Client:
    """Keep-alive HTTP/1.1 connections from `source`, one per thread (a browser keeps up to
    six per host). Nothing is tried after `deadline`: a hung server cannot hold the test."""

    def __init__(self, port: int, source: str = READER, timeout: float = 3, deadline: float | None = None):
        self.port, self.source, self.timeout = port, source, timeout
        self.deadline = deadline or time.monotonic() + 60
        self.local, self.lock, self.open = threading.local(), threading.Lock(), []

    def get(self, path: str, dest: str = "empty", headers: dict | None = None, decode: bool = True):
        """(status, headers, decoded body); raises OSError/HTTPException on a failed exchange."""
        if time.monotonic() > self.deadline:
            raise TimeoutError("past the test's deadline")
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout,
                                              source_address=(self.source, 0))
            self.local.conn = conn
            with self.lock:
                self.open.append(conn)
        try:
            conn.request("GET", path, headers={**BROWSER, "Sec-Fetch-Dest": dest, **(headers or {})})
            response = conn.getresponse()
            body = response.read()
        except FETCH_ERRORS:
            conn.close()
            self.local.conn = None
            raise
        if response.will_close:
            conn.close()
            self.local.conn = None
        encoding = response.getheader("Content-Encoding") if decode else None
        if encoding == "br":
            body = brotli.decompress(body)
        elif encoding == "gzip":
            body = gzip.decompress(body)
        return response.status, response.headers, body

    def close(self) -> None:
        with self.lock:
            for conn in self.open:
                conn.close()


def subresources(path: str, html: bytes) -> tuple[list[str], list[str]]:
    """(what a browser loads for the page, the site's pages it links to)."""
    base = "http://site" + path
    soup = BeautifulSoup(html, "html.parser")
    found, pages = [], []
    for tag, attr in (("link", "href"), ("script", "src"), ("img", "src")):
        for element in soup.find_all(tag):
            if element.get(attr) and (tag != "link" or {"stylesheet", "icon"} & set(element.get("rel", []))):
                found.append(element[attr])
    config = soup.select_one("script#__config")
    if config:  # Material's search worker and index, fetched when the reader first searches
        settings = json.loads(config.string)
        root = urljoin(base, settings["base"].rstrip("/") + "/")
        found += [urljoin(root, settings["search"]), urljoin(root, "search/search_index.json")]
    for link in soup.select("a[href]"):
        url = urldefrag(urljoin(base, link["href"]))[0]
        if url.startswith("http://site/") and url.endswith("/"):
            pages.append(urlsplit(url).path)
    local = [urlsplit(u).path for u in (urldefrag(urljoin(base, f))[0] for f in found) if u.startswith("http://site/")]
    return list(dict.fromkeys(local)), [p for p in dict.fromkeys(pages) if p != path]


def page_load(client: Client, path: str, navigations: int = 2) -> list[tuple[str, object]]:
    """A reader opening `path` cold: the page, then six at a time its stylesheet, scripts,
    icon, images and the search worker and index, then `navigations` pages it links to by
    Material's instant navigation (fetched, Sec-Fetch-Dest: empty), each with its images.
    [(path, status or the error's name)] for every request tried."""
    results: list[tuple[str, object]] = []

    def attempt(target: str, dest: str):
        try:
            status, headers, body = client.get(target, dest)
        except FETCH_ERRORS as error:
            results.append((target, type(error).__name__))
            return None
        results.append((target, status))
        return body if status == 200 else None

    with ThreadPoolExecutor(6) as six:
        html = attempt(path, "document")
        if html is None:
            return results
        assets, pages = subresources(path, html)
        list(six.map(lambda a: attempt(a, "script" if a.endswith(".js") else "image"), assets))
        for page in pages[:navigations]:
            fetched = attempt(page, "empty")
            if fetched is not None:
                images = [a for a in subresources(page, fetched)[0] if re.search(r"\.(?:png|webp|jpe?g|svg|gif)$", a)]
                list(six.map(lambda a: attempt(a, "image"), images))
    return results


def ok_share(results: list[tuple[str, object]]) -> float:
    return sum(status == 200 for _, status in results) / max(len(results), 1)


def failures(results: list[tuple[str, object]], limit: int = 8) -> str:
    bad = [f"{status} {path}" for path, status in results if status != 200]
    return f"{len(bad)} of {len(results)} failed: " + "; ".join(bad[:limit])


def worker_rss_kb(server: Nginx) -> int:
    total = 0
    for pid in server.worker_pids():
        status = open(f"/proc/{pid}/status").read()
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return total


# --- open files -------------------------------------------------------------------------------


def test_workers_may_open_the_files_their_connections_need(fresh):
    # Started under a soft limit of 1024, each worker raises its own (worker_rlimit_nofile)
    # to at least two files per connection plus the open-file cache, within the hard limit.
    server = fresh()
    connections = int(re.search(r"(?m)^\s*worker_connections\s+(\d+);", MAIN_CONF.read_text()).group(1))
    cached = int(re.search(r"(?m)^\s*open_file_cache\s+max=(\d+)", SITE_CONF.read_text()).group(1))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    workers = server.worker_pids()
    assert workers
    for pid in workers:
        soft, _ = server.open_files_limit(pid)
        assert 2 * connections + cached <= soft <= hard, (pid, soft, connections, cached)
    assert "setrlimit" not in server.error_log(), server.error_log()


# --- half-sent requests ---------------------------------------------------------------------


def hold_half_sent(port: int, count: int, held: list[socket.socket], seconds: float = 6) -> int:
    """Open up to `count` connections from ATTACKER, each with a header that never ends,
    into `held` (the caller closes them); stops at `seconds`. Returns the failed connects."""
    failed, deadline = 0, time.monotonic() + seconds
    while len(held) < count and time.monotonic() < deadline and failed < count:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=1, source_address=(ATTACKER, 0))
        except OSError:
            failed += 1
            continue
        held.append(conn)
        with contextlib.suppress(OSError):
            conn.sendall(HALF_SENT_REQUEST)
    return failed


def still_open(conn: socket.socket) -> bool:
    """Neither closed nor reset by the server (nothing is ever sent back to a held request)."""
    conn.setblocking(False)
    try:
        return conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except (BlockingIOError, InterruptedError):
        return True
    except OSError:
        return False


def test_half_sent_requests_from_one_address_leave_room_for_a_reader(fresh, report):
    server = fresh()
    rss_before = worker_rss_kb(server)
    held: list[socket.socket] = []
    client = None
    try:
        start = time.monotonic()
        failed = hold_half_sent(server.port, HALF_SENT, held)
        opened = time.monotonic() - start
        time.sleep(0.3)  # nginx accepts what is in its listen queue
        # The reader, well inside the header timeout the held requests wait for.
        client = Client(server.port, READER, timeout=2, deadline=time.monotonic() + 7)
        results = []
        for path in ("/", "/docker/", "/jwt/"):
            results += page_load(client, path)
        held_now = sum(still_open(conn) for conn in held)
        rss_during = worker_rss_kb(server)
    finally:
        if client:
            client.close()
        for conn in held:  # with a reset: thousands of ports of 127.0.0.1 not left in TIME_WAIT
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
    errors = server.error_log()
    report(f"half-sent: {len(held)} held from {ATTACKER} in {opened:.2f} s ({failed} connects failed), "
           f"{held_now} still open after the reader; reader from {READER}: {ok_share(results):.0%} of "
           f"{len(results)} requests 200; worker RSS {rss_before} -> {rss_during} kB")
    assert len(held) == HALF_SENT and failed == 0
    assert ok_share(results) == 1, failures(results)
    assert held_now == HALF_SENT, "nginx dropped held connections instead of holding them"
    assert "Too many open files" not in errors and "worker_connections are not enough" not in errors, errors[-2000:]


# --- complete requests, as fast as one address can send them --------------------------------


def test_a_flood_of_requests_meets_429_and_a_reader_does_not(fresh, report):
    server = fresh()
    statuses: list[int] = []
    problems: list[str] = []
    lock, stop = threading.Lock(), threading.Event()
    deadline = time.monotonic() + FLOOD_SECONDS
    flood = Client(server.port, ATTACKER, timeout=3, deadline=deadline)

    def flooder():
        while not stop.is_set() and time.monotonic() < deadline:
            with lock:
                if len(statuses) >= FLOOD_MAX:
                    return
            try:
                # A new X-Forwarded-For each time: from an address that is not a known
                # proxy's, it must not make the flood look like many readers.
                status = flood.get("/", "document", decode=False,
                                   headers={"X-Forwarded-For": f"198.51.100.{len(statuses) % 250 + 1}"})[0]
            except FETCH_ERRORS as error:
                problems.append(type(error).__name__)
                return
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=flooder, daemon=True) for _ in range(FLOODERS)]
    start = time.monotonic()
    client = Client(server.port, READER, timeout=3, deadline=deadline)
    try:
        for thread in threads:
            thread.start()
        while 429 not in statuses and time.monotonic() < start + 6 and any(t.is_alive() for t in threads):
            time.sleep(0.02)
        limited_after = time.monotonic() - start
        # The reader reads while the flood goes on, and is already being refused.
        results = []
        for path in ("/", "/docker/", "/jwt/"):
            results += page_load(client, path)
        # The flooder's answer, while it floods: 429, on the site's own page, saying when to
        # come back; also for requests nginx answers on the way to an error page (a name
        # that is not served, a POST). Probes from the same address are not limited.
        # (The rate frees a place now and then, which one of these may take: a few tries.)
        answers = []
        for method, path in (("GET", "/jwt/"), ("GET", "/notes.bak"), ("POST", "/")):
            for _ in range(5):
                answer = flood.get(path, "document") if method == "GET" else post(server.port, path)
                if answer[0] == 429:
                    break
            answers.append((path, *answer))
        health = flood.get("/healthz")[0]
        flooding = any(t.is_alive() for t in threads)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        client.close()
        flood.close()
    elapsed = time.monotonic() - start
    with lock:
        answered = list(statuses)
    first = answered.index(429) if 429 in answered else None
    after = answered[first:] if first is not None else []
    report(f"complete-request flood from {ATTACKER}: {len(answered)} answered in {elapsed:.1f} s "
           f"({len(answered) / elapsed:.0f}/s), first 429 after {first} requests ({limited_after:.2f} s), "
           f"then {after.count(429)} of {len(after)} refused; reader from {READER} meanwhile: "
           f"{ok_share(results):.0%} of {len(results)} requests 200")
    assert not problems, problems[:5]
    assert first is not None, f"no 429 in {len(answered)} requests: {sorted(set(answered))}"
    assert first >= 500, "a limit that a few readers' page loads would meet"
    assert after.count(429) / len(after) > 0.5
    assert flooding, "the reader and the checks must have run while the flood went on"
    assert ok_share(results) == 1, failures(results)
    for path, status, headers, body in answers:
        assert status == 429 and headers["Content-Type"].startswith("text/html"), (path, status)
        assert BeautifulSoup(body, "html.parser").select_one("article h1"), body[-300:]
        assert not re.search(rb"<center>\s*nginx", body) and headers["Retry-After"], headers
    assert health == 204


def post(port: int, path: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3, source_address=(ATTACKER, 0))
    try:
        conn.request("POST", path, body=b"", headers=BROWSER)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.getheader("Content-Encoding") == "br":
        body = brotli.decompress(body)
    elif response.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return response.status, response.headers, body


# --- requests held open by reading slowly --------------------------------------------------

SLOW_READERS = 300


def test_slow_readers_from_one_address_meet_the_request_limit(fresh, report):
    # Requests whose answers are read slowly stay in progress: the search index (the largest
    # file) to a tiny receive window and a small segment size, as a slow link would take
    # it. Past the per-address count, 429; a reader on another address is served.
    server = fresh()
    held: list[socket.socket] = []
    statuses: list[bytes] = []
    client = None
    deadline = time.monotonic() + 15
    try:
        while len(held) < SLOW_READERS and time.monotonic() < deadline:
            conn = socket.socket()
            held.append(conn)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
            conn.bind((ATTACKER, 0))
            conn.settimeout(3)
            conn.connect(("127.0.0.1", server.port))
            conn.sendall(b"GET /search/search_index.json HTTP/1.1\r\nHost: notes\r\n\r\n")
            statuses.append(conn.recv(12)[9:12])
        client = Client(server.port, READER, timeout=3, deadline=time.monotonic() + 10)
        results = page_load(client, "/docker/")
    finally:
        if client:
            client.close()
        for conn in held:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
    in_progress = statuses.index(b"429") if b"429" in statuses else None
    report(f"{len(statuses)} slow readers of the search index on {ATTACKER}: "
           f"{statuses.count(b'200')} served, {statuses.count(b'429')} refused (the first at {in_progress}); "
           f"reader from {READER} meanwhile: {ok_share(results):.0%} of {len(results)} requests 200")
    assert len(statuses) == SLOW_READERS
    limit = int(re.search(r"(?m)^\s*limit_conn\s+\S+\s+(\d+);", SITE_CONF.read_text()).group(1)) \
        if re.search(r"(?m)^\s*limit_conn\s", SITE_CONF.read_text()) else None
    # Refused once `limit` are in progress; one of them may finish now and then, freeing a place.
    assert limit and in_progress is not None and limit <= in_progress <= limit + 5, (limit, in_progress)
    assert statuses[in_progress:].count(b"429") >= 0.9 * (SLOW_READERS - in_progress), statuses[in_progress:]
    assert ok_share(results) == 1, failures(results)


# --- readers never meet the limits ------------------------------------------------------------

READERS_AT_ONCE = 30  # readers behind one carrier-grade NAT address, all opening a page at once


def many_readers(port: int) -> list[tuple[str, object]]:
    """READERS_AT_ONCE readers on one address, each opening a different page cold at the same
    moment, loading everything it needs, then two pages by instant navigation."""
    paths = ["/" + p for p in PAGES]
    results: list[tuple[str, object]] = []
    clients = [Client(port, READER, timeout=5) for _ in range(READERS_AT_ONCE)]
    try:
        with ThreadPoolExecutor(READERS_AT_ONCE) as pool:
            for done in pool.map(lambda i: page_load(clients[i], paths[i % len(paths)]), range(READERS_AT_ONCE)):
                results += done
    finally:
        for client in clients:
            client.close()
    return results


def test_readers_behind_one_address_never_meet_a_limit(fresh, report):
    server = fresh()
    start = time.monotonic()
    results = many_readers(server.port)
    report(f"{READERS_AT_ONCE} readers on {READER} at once: {len(results)} requests in "
           f"{time.monotonic() - start:.1f} s, {ok_share(results):.0%} 200")
    assert ok_share(results) == 1, failures(results)


def tightened(conf: str) -> str:
    """site.conf with its per-address request limit cut to what one page load exceeds."""
    conf, n = re.subn(r"(limit_req_zone\s[^;]*rate=)\d+r/s", r"\g<1>1r/s", conf)
    conf, m = re.subn(r"(limit_req\s[^;]*burst=)\d+", r"\g<1>5", conf)
    assert n == 1 and m == 1, "site.conf must have one limit_req_zone with a rate and one limit_req with a burst"
    return conf


def test_the_reader_check_can_fail(fresh):
    server = fresh(tightened(SITE_CONF.read_text()))
    results = many_readers(server.port)
    assert any(status == 429 for _, status in results), failures(results)


def wait_for_h1(page, text: str) -> None:
    """Instant navigation changes the address first and the content a moment later."""
    try:
        page.wait_for_function(
            "text => { const h = document.querySelector('article h1');"
            "          return h && h.innerText.replace('¶', '').trim() === text; }", arg=text, timeout=10_000)
    except Exception as error:
        shown = page.evaluate("() => document.querySelector('article h1')?.innerText")
        raise AssertionError(f"{page.url}: waited for {text!r}, the page shows {shown!r}") from error


def test_a_real_browser_session_meets_no_limit(browser, server, report):
    # Chromium from 127.0.0.1, no flood: the home page, every page by Material's instant
    # navigation (`n`) and back (`p`), then a search (worker and index). Any 4xx is an error
    # to the watch.
    origin = server.url("")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        watch = PageWatch(origin).attach(page)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(server.url("/"))
        paths = list(PAGES)
        for expected in paths[1:]:
            page.keyboard.press("n")
            page.wait_for_url(server.url("/" + expected))
            wait_for_h1(page, PAGES[expected][1])
        for expected in reversed(paths[:-1]):
            page.keyboard.press("p")
            page.wait_for_url(server.url("/" + expected))
            wait_for_h1(page, PAGES[expected][1])
        focus_search(page)
        assert "docker/" in search(page, "docker", server.url("/"))
        page.wait_for_load_state("networkidle")
        errors = watch.take()
    finally:
        context.close()
    report(f"Chromium session: {len(requests)} requests, {len(paths) * 2 - 2} instant navigations, no 4xx: {not errors}")
    assert not errors, errors
