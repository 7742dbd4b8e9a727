"""The image, built from the unchanged Dockerfile by a real Docker engine and run with
compose.yaml's settings (harness/engine.py), checked from outside the container: every
page and asset as a reader's browser would fetch it, the process's user and capabilities,
the read-only filesystem, the engine's own health checks, a graceful stop on SIGQUIT, and a
machine network left exactly as it was.

The engine is the machine's own Docker where it answers and has or can pull the base
images, else a private one with stand-in base images (harness/engine.py); the output says
which and why, and NOTES_DOCKER=machine|private overrides the choice. IMAGE_TEST_PROJECT=<dir>
tests a copy of the repository instead (for example a deliberately broken one)."""

from __future__ import annotations

import base64
import contextlib
import brotli
import gzip
import http.client
import json
import os
import re
import tarfile
import threading
import time
from collections import deque
from datetime import datetime
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup

from harness.context import base_images
from harness.engine import CACHE, MACHINE_CA_BUNDLE, POLICY_RC_D, RUN, Engine, run, tail
from harness.nginx import fetch
from harness.pages import discover, front_matter
from harness.paths import ROOT
from harness.figures import figures

PROJECT = Path(os.environ.get("IMAGE_TEST_PROJECT", ROOT)).resolve()
# The pages of the project under test, from its own mkdocs.yml nav ("" is the home page).
PAGES = discover(PROJECT)
SEARCHABLE = [path for path, (source, _, _) in PAGES.items()
              if not (front_matter(source, PROJECT).get("search") or {}).get("exclude")]
OUTPUT = ROOT / "tests" / "output" / "image"
SERVED_BY = ["docker run", "docker-compose up"]
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)""")
PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s+(.+?)\s+-----END CERTIFICATE-----", re.S)
MOZILLA_CAS = Path("/usr/share/ca-certificates/mozilla")


def network_state() -> dict[str, str]:
    """Links, addresses, routes, firewall rules and forwarding of the machine's namespace."""
    state = {"ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text()}
    for cmd in ("ip -br link", "ip -br addr", "ip -4 route show table all", "ip -6 route show table all",
                "iptables-save", "ip6tables-save"):
        # Comments carry a timestamp and chain policies packet counters: neither is state.
        state[cmd] = re.sub(r"\[\d+:\d+\]", "[-]", re.sub(r"(?m)^#.*\n", "", run(cmd.split(), check=False).stdout))
    return state


def footprint() -> dict[str, int]:
    """Modification times of what the private engine writes and of Docker's daemon config:
    the machine's Docker must leave every one as it was."""
    found = {}
    for top in (CACHE, RUN, Path("/etc/docker"), POLICY_RC_D):
        for path in (top, *top.glob("*"), *top.glob("*/*")):
            with contextlib.suppress(OSError):
                found[str(path)] = path.lstat().st_mtime_ns
    return found


@pytest.fixture(scope="module")
def report(pytestconfig):
    """Lines for the test output itself (not captured): which base images, times, sizes."""
    facts: list[str] = []
    show = figures(pytestconfig, "image")

    def write(message: str) -> None:
        facts.append(message)
        show(message)

    yield write
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "report.txt").write_text("\n".join(facts) + "\n")


@pytest.fixture(scope="module")
def before() -> dict:
    """What the test must leave as it was: the footprint before an engine is chosen, the
    network once the engine's tools are installed (the engine fixture adds it)."""
    return {"footprint": footprint()}


@pytest.fixture(scope="module")
def engine(report, before):
    start = time.monotonic()
    engine = Engine(PROJECT, log=report)
    report(f"engine: {engine.mode}, because {engine.why}; project {PROJECT}")
    before["network"] = network_state()
    try:
        yield engine
    finally:
        engine.close()
        report(f"whole image test: {time.monotonic() - start:.0f} s")


@pytest.fixture(scope="module")
def image(engine):
    try:
        built = engine.build()
    except AssertionError as failure:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        (OUTPUT / "build.log").write_text(str(failure))
        raise
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "build.log").write_text(built.log)
    return built


@pytest.fixture(scope="module")
def served(engine, image) -> dict[str, tuple[str, str]]:
    """Both ways of running it, started together so that their first health checks (30 s
    after start, the Dockerfile's interval) are waited out once: {how: (container, url)}."""
    engine.serve()
    return {"docker run": engine.run_hardened(), "docker-compose up": engine.compose_up()}


def serving(engine, served, how: str, seconds: float = 20) -> tuple[str, str]:
    """(container, url) once /healthz answers; fails at once, with the container's log,
    if the container is not running (nginx refused its config, say)."""
    container, url = served[how]
    deadline = time.monotonic() + seconds
    while True:
        try:
            if fetch(url + "/healthz")[0] == 204:
                return container, url
        except OSError:
            pass
        state = engine.inspect(container)["State"]
        if not state["Running"] or state["Restarting"] or time.monotonic() > deadline:
            logs = engine.docker("logs", container, check=False)
            pytest.fail(f"{how}: the container does not serve (status {state['Status']}, exit "
                        f"{state['ExitCode']}):\n{tail(logs.stdout + logs.stderr)}")
        time.sleep(0.2)


@pytest.fixture(scope="module", params=SERVED_BY)
def site(request, served, engine):
    return serving(engine, served, request.param)[1]


# --- what the build used --------------------------------------------------------------------


def test_base_images(engine, image):
    # Every image the Dockerfile starts from, under the exact tag it names (the output says
    # whether it is the registry's or a stand-in).
    assert list(image.bases) == [name for name, _ in base_images(PROJECT / "Dockerfile")]
    for name in image.bases:
        assert engine.docker("image", "inspect", name, check=False).returncode == 0, name


def certificates(pem_bundle: bytes) -> set[bytes]:
    return {re.sub(rb"\s+", b"", body) for body in PEM.findall(pem_bundle)}


def test_build_only_trust_is_not_in_the_final_image(engine, image, tmp_path):
    # The machine's own CAs (its bundle minus Debian's Mozilla set: here the TLS proxy's)
    # and any pip or npm config are for the build stage only.
    mozilla = set()
    for crt in MOZILLA_CAS.glob("*.crt"):
        mozilla |= certificates(crt.read_bytes())
    local = certificates(MACHINE_CA_BUNDLE.read_bytes()) - mozilla
    local_der = {base64.b64decode(cert) for cert in local}
    # The image's filesystem as a tar: docker create + export, nothing run.
    container, tar_path = engine.docker("create", image.tag).stdout.strip(), tmp_path / "final.tar"
    try:
        with open(tar_path, "wb") as out:
            engine.docker("export", container, stdout=out, capture_output=False)
    finally:
        engine.docker("rm", container, check=False)
    problems = []
    with tarfile.open(tar_path) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert "usr/sbin/nginx" in names and any(n.startswith("usr/share/nginx/html/") for n in names)
        for member in members:
            base = member.name.rsplit("/", 1)[-1]
            if base in ("pip.conf", "npmrc", ".npmrc") or "build-ca" in member.name:
                problems.append(f"{member.name}: build configuration in the final image")
            if member.isfile() and member.size < 5_000_000:
                data = tar.extractfile(member).read()
                if certificates(data) & local or any(der in data for der in local_der):
                    problems.append(f"{member.name}: holds one of the machine's own CA certificates")
    assert not problems, "\n".join(problems)


# --- from outside: what a reader's browser fetches ----------------------------------------


class Crawl:
    """Every page, stylesheet, script, image and the search files, from "/" on, as the
    browser would follow them; links to the address the image is built for (SITE_URL's
    default, http://localhost:8080/) are the same site."""

    def __init__(self, base: str, site_address: str = "http://localhost:8080/"):
        self.base = base.rstrip("/") + "/"
        self.site_address = site_address
        self.status: dict[str, int] = {}
        self.kind: dict[str, str] = {}
        self.problems: list[str] = []
        todo = deque([(self.base, "start")])
        seen = {self.base}
        while todo:
            url, referrer = todo.popleft()
            for found in self.visit(url, referrer):
                if found not in seen:
                    seen.add(found)
                    todo.append((found, url))

    def local(self, url: str, referrer: str) -> str | None:
        url = urldefrag(urljoin(referrer, url))[0]
        if url.startswith(self.site_address):
            url = self.base + url[len(self.site_address):]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not url.startswith(self.base):
            return None
        return url

    def visit(self, url: str, referrer: str) -> list[str]:
        status, headers, body = fetch(url)
        self.status[url] = status
        kind = (headers.get("Content-Type") or "").split(";")[0]
        self.kind[url] = kind
        if status != 200:
            self.problems.append(f"{status} {url} (linked from {referrer})")
            return []
        found = []
        if kind == "text/html":
            soup = BeautifulSoup(body, "html.parser")
            for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src")):
                for element in soup.find_all(tag):
                    if element.get(attr):
                        found.append(element[attr])
            config = soup.select_one("script#__config")
            if config:  # Material's search worker and index, relative to the site's base
                settings = json.loads(config.string)
                base = urljoin(url, settings["base"].rstrip("/") + "/")
                found += [urljoin(base, settings["search"]), urljoin(base, "search/search_index.json")]
        elif kind == "text/css":
            found += CSS_URL.findall(body.decode())
        return [u for u in (self.local(f, url) for f in found) if u]


@pytest.fixture(scope="module")
def crawl(site):
    return Crawl(site)


def test_every_page_and_asset_answers(crawl, site):
    assert not crawl.problems, "\n".join(crawl.problems)
    paths = {url[len(crawl.base) - 1:]: kind for url, kind in crawl.kind.items()}
    for page in PAGES:
        assert paths.get("/" + page) == "text/html", f"page /{page} not reached from the home page"
    assert any(p.endswith(".css") and kind == "text/css" for p, kind in paths.items()), "no stylesheet"
    assert any(re.search(r"/bundle\.[0-9a-f]{8}\.min\.js$", p) for p in paths), "no script bundle"
    assert any(re.search(r"/workers/search\.[0-9a-f]{8}\.min\.js$", p) for p in paths), "no search worker"


def test_search_index_lists_every_page(crawl, site):
    status, headers, body = fetch(site + "/search/search_index.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    locations = {doc["location"].split("#")[0] for doc in json.loads(body)["docs"]}
    assert set(SEARCHABLE) <= locations


def test_pages_carry_their_policies_and_the_published_address(crawl, site):
    for url, kind in crawl.kind.items():
        if kind == "text/html":
            _, headers, body = fetch(url)
            assert headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff", url
            # Built without SITE_URL: canonical links name the address compose publishes.
            canonical = BeautifulSoup(body, "html.parser").select_one('link[rel="canonical"]')["href"]
            assert canonical == crawl.site_address + url[len(crawl.base):], url


@pytest.mark.parametrize("path", ["/does-not-exist/", "/jwt/missing.html", "/a/b/c/d"])
def test_styled_404(site, path):
    status, headers, body = fetch(site + path)
    soup = BeautifulSoup(body, "html.parser")
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert "404" in soup.select_one("article h1").get_text()
    stylesheets = [link["href"] for link in soup.select('link[rel="stylesheet"]')]
    assert stylesheets and all(href.startswith("/") for href in stylesheets)
    for href in stylesheets:  # the styles load from whatever depth the 404 happened at
        assert fetch(site + href)[0] == 200, href


def test_brotli_and_gzip_where_asked(crawl, site):
    targets = ["/", "/search/search_index.json", "/sitemap.xml"]
    targets += [urlsplit(u).path for u, kind in crawl.kind.items()
                if kind in ("text/css", "text/javascript", "application/javascript")]
    for path in targets:
        _, plain_headers, plain = fetch(site + path)
        assert plain_headers["Content-Encoding"] is None, path
        _, headers, body = fetch(site + path, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert headers["Content-Encoding"] == "br" and brotli.decompress(body) == plain, path
        _, headers, body = fetch(site + path, headers={"Accept-Encoding": "gzip"})
        assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == plain, path


def test_healthz(site):
    assert fetch(site + "/healthz")[0] == 204


# --- the process and its filesystem ---------------------------------------------------------


@pytest.mark.parametrize("how", SERVED_BY)
def test_runs_as_10001_without_capabilities(engine, served, how):
    container, _ = serving(engine, served, how)
    statuses = engine.process_status(container)
    assert len(statuses) >= 2, "nginx master and at least one worker"
    for status in statuses:
        assert status["Uid"].split() == ["10001"] * 4 and status["Gid"].split() == ["10001"] * 4, status["Name"]
        assert int(status["CapEff"], 16) == 0 and int(status["CapPrm"], 16) == 0, status["Name"]
        assert int(status["CapBnd"], 16) == 0, status["Name"]  # cap_drop ALL
        assert status["NoNewPrivs"] == "1", status["Name"]


@pytest.mark.parametrize("how", SERVED_BY)
def test_only_tmp_is_writable(engine, served, how):
    container, _ = serving(engine, served, how)
    # As the image's user, and even as root inside it: the root filesystem is read-only.
    for user in ([], ["--user", "0"]):
        for path in ("/x", "/etc/x", "/usr/share/nginx/html/x", "/var/x", "/var/lib/nginx/x", "/nonexistent"):
            result = engine.docker("exec", *user, container, "sh", "-c", f"echo x > {path}", check=False)
            assert result.returncode != 0, f"{how}: {path} was writable ({user or 'image user'})"
        result = engine.docker("exec", *user, container, "sh", "-c", "echo x > /etc/x", check=False)
        assert "Read-only file system" in result.stderr, result.stderr
    write = engine.docker("exec", container, "sh", "-c", "echo x > /tmp/probe && cat /tmp/probe && rm /tmp/probe")
    assert write.stdout == "x\n"
    mounts = engine.docker("exec", container, "cat", "/proc/mounts").stdout
    assert re.search(r"^\S+ /tmp tmpfs \S*size=16384k", mounts, re.M), mounts
    assert re.search(r"^overlay / overlay ro[,\s]", mounts, re.M), mounts


# --- what the container may take, and where it is published --------------------------------

SIZE = re.compile(r"(\d+)([kmg]?)b?$", re.I)


def compose_service() -> dict:
    ((_, spec),) = yaml.safe_load((PROJECT / "compose.yaml").read_text())["services"].items()
    return spec


def size_bytes(value) -> int:
    number, unit = SIZE.match(str(value)).groups()
    return int(number) * 1024 ** " kmg".index(unit.lower() or " ")


def cgroup_value(engine, container: str, v2: str, v1: str) -> str:
    """A limit as the kernel holds it for the container: its cgroup file (v2, else v1)."""
    read = engine.docker("exec", container, "sh", "-c", f"cat /sys/fs/cgroup/{v2} 2>/dev/null || cat /sys/fs/cgroup/{v1}")
    return read.stdout.strip()


@pytest.mark.parametrize("how", SERVED_BY)
def test_memory_cpu_and_process_limits_are_applied(engine, served, how, report):
    # docker-compose 1.x ignores deploy.resources without --compatibility: what counts is
    # what the engine was asked for (HostConfig) and what the kernel enforces (the cgroup).
    container, _ = serving(engine, served, how)
    spec, host = compose_service(), engine.inspect(container)["HostConfig"]
    assert {"mem_limit", "cpus", "pids_limit"} <= set(spec), "compose.yaml must set mem_limit, cpus and pids_limit"
    memory, nano_cpus, pids = size_bytes(spec["mem_limit"]), int(float(spec["cpus"]) * 1e9), int(spec["pids_limit"])
    assert (host["Memory"], host["NanoCpus"], host["PidsLimit"]) == (memory, nano_cpus, pids), host
    kernel_memory = cgroup_value(engine, container, "memory.max", "memory/memory.limit_in_bytes")
    kernel_pids = cgroup_value(engine, container, "pids.max", "pids/pids.max")
    quota = cgroup_value(engine, container, "cpu.max", "cpu/cpu.cfs_quota_us").split()[0]
    period = cgroup_value(engine, container, "cpu.max", "cpu/cpu.cfs_period_us").split()[-1]
    report(f"{how}: Memory {host['Memory']}, NanoCpus {host['NanoCpus']}, PidsLimit {host['PidsLimit']}; "
           f"cgroup memory {kernel_memory}, pids {kernel_pids}, cpu {quota}/{period}")
    assert (int(kernel_memory), int(kernel_pids)) == (memory, pids)
    assert int(quota) * 1_000_000_000 // int(period) == nano_cpus


@pytest.mark.parametrize("how", SERVED_BY)
def test_nginx_raises_its_own_open_files_limit(engine, served, how):
    # The container starts with compose.yaml's soft limit; nginx's workers, non-root, raise
    # theirs to worker_rlimit_nofile, which must fit under the hard limit compose sets.
    container, _ = serving(engine, served, how)
    nofile = compose_service()["ulimits"]["nofile"]
    wanted = int(re.search(r"(?m)^worker_rlimit_nofile\s+(\d+);", (PROJECT / "nginx/nginx.conf").read_text()).group(1))
    assert {"Name": "nofile", "Soft": nofile["soft"], "Hard": nofile["hard"]} in \
        engine.inspect(container)["HostConfig"]["Ulimits"]
    statuses = {int(s["Pid"]): s for s in engine.process_status(container)}
    limits = engine.process_limits(container)
    masters = [pid for pid, s in statuses.items() if int(s["PPid"]) not in statuses]
    workers = [pid for pid, s in statuses.items() if int(s["PPid"]) in masters]
    assert len(masters) == 1 and workers, statuses
    assert limits[masters[0]] == (str(nofile["soft"]), str(nofile["hard"]))
    for pid in workers:
        assert statuses[pid]["Uid"].split()[0] == "10001"
        assert limits[pid] == (str(wanted), str(wanted)), (pid, limits[pid])
    logs = engine.docker("logs", container)
    assert "setrlimit" not in logs.stdout + logs.stderr


def test_compose_publishes_on_loopback_only(engine, served, report):
    # In the namespace where compose runs (the engine's), the published port answers on
    # 127.0.0.1 and on no other address of it (the engine's bridges, any interface).
    serving(engine, served, "docker-compose up")
    port, addresses = engine.service.published, engine.addresses()
    others = [a for a in addresses if not a.startswith("127.")]
    assert others, f"no address but loopback to try: {addresses}"
    answers = {address: engine.probe(address, port) for address in ["127.0.0.1", *others]}
    report(f"docker-compose up, port {port}: {answers}")
    assert answers["127.0.0.1"].startswith("HTTP/1.1 204"), answers
    for address in others:
        assert not answers[address].startswith("HTTP/"), f"{address}:{port} answers: {answers[address]}"


def flood_until_refused(url: str, forwarded_for: str, most: int = 4000, seconds: float = 20) -> int | None:
    """GET / with X-Forwarded-For, four keep-alive connections at once, until the first 429:
    how many requests were answered before it (None if none came)."""
    parts, answered, refused, stop = urlsplit(url), [], [], threading.Event()
    deadline = time.monotonic() + seconds

    def one():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            while not stop.is_set() and len(answered) < most and time.monotonic() < deadline:
                conn.request("GET", "/", headers={"X-Forwarded-For": forwarded_for, "Accept-Encoding": "br"})
                response = conn.getresponse()
                response.read()
                if response.status == 429:
                    refused.append(len(answered))
                    stop.set()
                answered.append(response.status)
        finally:
            conn.close()

    threads = [threading.Thread(target=one, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 10)
    return min(refused) if refused else None


def test_readers_behind_the_host_proxy_are_limited_each_on_their_own(engine, served, report):
    # compose publishes on 127.0.0.1 for a proxy on the host: every connection then comes
    # from Docker's port proxy, and the reader is who X-Forwarded-For names. One reader
    # flooding meets 429; another, and the proxy's own address, do not.
    _, url = serving(engine, served, "docker-compose up")
    first = flood_until_refused(url, "198.51.100.7")
    status_other = fetch(url + "/", headers={"X-Forwarded-For": "198.51.100.8"})[0]
    status_proxy = fetch(url + "/")[0]
    report(f"docker-compose up behind a host proxy: X-Forwarded-For 198.51.100.7 refused after {first} requests; "
           f"then 198.51.100.8 {status_other}, no header {status_proxy}")
    assert first is not None and first >= 500, first
    assert (status_other, status_proxy) == (200, 200)


# --- health and stop ------------------------------------------------------------------------


def wait_healthy(engine, container: str, timeout: float = 120) -> tuple[str, float, list]:
    """Wait for the engine's own health status: (status, seconds since start, probe log)."""
    deadline = time.monotonic() + timeout
    while True:
        state = engine.inspect(container)["State"]
        health = state.get("Health") or {}
        status = health.get("Status", "none")
        if status in ("healthy", "unhealthy") or not state["Running"] or time.monotonic() > deadline:
            since = time.time() - datetime.fromisoformat(state["StartedAt"]).timestamp()
            return status, since, health.get("Log", [])
        time.sleep(1)


def test_the_images_own_healthcheck_reports_healthy(engine, served, report):
    container, _ = served["docker run"]
    healthcheck = engine.inspect(container)["Config"]["Healthcheck"]
    # No override: the check docker runs is the image's (the Dockerfile's) own.
    assert healthcheck == engine.inspect(engine.service.image)["Config"]["Healthcheck"]
    status, seconds, log = wait_healthy(engine, container)
    report(f"docker run: {status} {seconds:.0f} s after start (HEALTHCHECK interval "
           f"{healthcheck['Interval'] / 1e9:.0f} s)")
    assert status == "healthy", json.dumps(log, indent=1)
    # ...and the same command can say no: pointed at a port where nothing listens, it fails.
    kind, *command = healthcheck["Test"]
    assert kind == "CMD"
    assert engine.docker("exec", container, *command, check=False).returncode == 0
    dead = [part.replace("8080", "8081") for part in command]
    assert dead != command and engine.docker("exec", container, *dead, check=False).returncode != 0


def test_docker_compose_up_reports_healthy(engine, served, report):
    container, _ = served["docker-compose up"]
    deadline = time.monotonic() + 120
    while True:
        listing = engine.compose("ps").stdout
        state = engine.inspect(container)["State"]
        if re.search(r"\((un)?healthy\)", listing) or state["Restarting"] or not state["Running"] \
                or time.monotonic() > deadline:
            break
        time.sleep(1)
    status, seconds, log = wait_healthy(engine, container, timeout=1)
    report(f"docker-compose up: {status} {seconds:.0f} s after start")
    assert "(healthy)" in listing, listing + json.dumps(log, indent=1)
    # compose.yaml states the check again (so `docker compose ps` shows it): the image's own.
    image_check = engine.inspect(engine.service.image)["Config"]["Healthcheck"]["Test"]
    assert engine.inspect(container)["Config"]["Healthcheck"]["Test"] == image_check


def test_sigquit_stops_it_gracefully(engine, served, report):
    assert engine.inspect(engine.service.image)["Config"]["StopSignal"] == "SIGQUIT"  # what `docker stop` sends
    container, _ = serving(engine, served, "docker run")
    start = time.monotonic()
    engine.docker("kill", "--signal", "SIGQUIT", container)
    exit_code = int(engine.docker("wait", container, timeout=30).stdout)
    quit_seconds = time.monotonic() - start
    # compose stop sends the image's stop signal and would SIGKILL (exit 137) after 10 s.
    compose_container, _ = serving(engine, served, "docker-compose up")
    start = time.monotonic()
    engine.compose("stop", timeout=60)
    compose_seconds = time.monotonic() - start
    compose_exit = engine.inspect(compose_container)["State"]["ExitCode"]
    report(f"SIGQUIT: docker run stopped in {quit_seconds:.1f} s (exit {exit_code}); "
           f"docker-compose stop in {compose_seconds:.1f} s (exit {compose_exit})")
    assert exit_code == 0 and quit_seconds < 5
    assert compose_exit == 0 and compose_seconds < 8


def test_engine_stops_and_machine_network_is_unchanged(engine, image, before, report):
    engine.close()
    after = network_state()
    for pid in engine.started_pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            assert b"dockerd" not in command and b"unshare" not in command, f"{pid} still runs: {command}"
    network = before["network"]
    if engine.mode == "machine":
        # Nothing of the private engine's, no daemon config: the machine's Docker was used as it is.
        assert footprint() == before["footprint"]
        # The machine's own Docker networks by design: what must not stay behind is a link,
        # route or rule of ours. Its docker0 may come up (and get an IPv6 link-local address)
        # the first time a container uses it.
        for state in (network, after):
            state["ip -br link"] = sorted(line.split()[0] for line in state["ip -br link"].splitlines())
            for name in ("ip -br addr", "ip -6 route show table all"):
                state.pop(name)
    for name in network:
        assert after[name] == network[name], f"{name} changed:\nbefore:\n{network[name]}\nafter:\n{after[name]}"
    report(f"image {image.tag}: {image.size / 1e6:.1f} MB, built in {image.seconds:.0f} s; "
           f"machine network unchanged ({', '.join(network)})")
