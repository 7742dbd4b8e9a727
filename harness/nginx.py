"""Real nginx (Debian's, with the brotli module) running the project's own configuration:
nginx/nginx.conf as the main config and nginx/site.conf as the server, with only the paths,
`root` and `listen` rewritten for a test folder and a free loopback port."""

from __future__ import annotations

import os
import re
import resource
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from harness.paths import MAIN_CONF, SITE_CONF

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_conf(root: Path, port: int | str = "__PORT__", conf: str | None = None) -> str:
    """nginx/site.conf with only its `root` and `listen` directives rewritten.

    The default port is a placeholder that Nginx() fills with the free port it picked."""
    text = SITE_CONF.read_text() if conf is None else conf
    text, n_root = re.subn(r"(?m)^(\s*)root\s+[^;]+;", lambda m: f"{m.group(1)}root {root};", text)
    text, n_listen = re.subn(r"(?m)^(\s*)listen\s+[^;]+;", lambda m: f"{m.group(1)}listen 127.0.0.1:{port};", text)
    assert n_root == 1 and n_listen == 1, "site.conf must name the root and the port exactly once"
    return text


def main_conf(workdir: Path, extra_http: str = "") -> str:
    """The image's own main config (nginx/nginx.conf), moved into a test folder: its /tmp
    paths and logs go to `workdir`, and it includes the test's copy of site.conf."""
    text = MAIN_CONF.read_text()
    text = text.replace("/tmp/", f"{workdir}/")
    text = text.replace("access_log /dev/stdout ", f"access_log {workdir}/access.log ")
    text = text.replace("error_log stderr warn;", f"error_log {workdir}/error.log warn;")
    text, n = re.subn(r"include /etc/nginx/conf\.d/\*\.conf;", f"include {workdir}/site.conf;\n    {extra_http}", text)
    assert n == 1, "nginx/nginx.conf must include /etc/nginx/conf.d/*.conf once"
    if os.geteuid() == 0:
        # Started as root (CI), workers would drop to `nobody`, who cannot read pytest's
        # 0700 temp folders. Test harness only: the image runs nginx as a non-root user.
        text = "user root;\n" + text
    return text


class Nginx:
    """A real nginx process on a free loopback port; stop() ends it (by its PID)."""

    def __init__(self, workdir: Path, server_config: str, extra_http: str = "", port: int | None = None,
                 nofile: int | None = None):
        """nofile: the soft open-files limit nginx starts with (the hard limit stays), e.g.
        1024, the soft limit a container gets by default: nginx must raise it itself."""
        self.workdir = workdir
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "site.conf").write_text(server_config.replace("__PORT__", str(self.port)))
        (workdir / "nginx.conf").write_text(main_conf(workdir, extra_http))
        check = subprocess.run([NGINX, "-t", "-e", str(workdir / "early-error.log"),
                                "-c", str(workdir / "nginx.conf")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.stderr = open(workdir / "stderr.log", "wb")
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))) if nofile else None
        self.proc = subprocess.Popen([NGINX, "-e", str(workdir / "early-error.log"),
                                      "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
                                     stdout=self.stderr, stderr=self.stderr, preexec_fn=limit)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start")

    def url(self, path: str = "/") -> str:
        return self.base + path

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def open_files_limit(self, pid: int) -> tuple[int, int]:
        """(soft, hard) 'Max open files' of a process of this nginx, as the kernel holds it."""
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
        raise AssertionError(f"no open-files limit for {pid}")

    def error_log(self) -> str:
        return (self.workdir / "error.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.stderr.close()


def fetch(url: str, method: str = "GET", headers: dict | None = None):
    """(status, headers, body) without following redirects or raising on 4xx/5xx."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
