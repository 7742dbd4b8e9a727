"""The preview with Python alone (README, "Set up"): an author who edits notes runs
`pip install -r requirements.txt && mkdocs serve`, or `make serve`, on a machine without
Node, the npm packages or Chromium, and gets a working preview that says what it leaves out:

* every page answers; a ```mermaid fence shows as its code in a box saying `make site`
  draws it and what to install to see it drawn (hooks/diagrams.py);
* the pages load Material's page script and stylesheets as Material ships them (the search
  prelude still in front of the script, hooks/material9/), and those files are served;
* one INFO line at startup lists what the preview skips and why (hooks/preview.py), with
  no warning (`--strict`, which `make serve` passes, would stop on one) and no traceback;
* `mkdocs build --strict` in the same place fails, naming what to install: only the preview
  degrades.

Real commands on a free port, in a copy of the project without node_modules, with a PATH
holding every program of this machine's but Node's and CHROMIUM naming no file; every
process started is stopped by its id, whatever happens.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import material
import pytest
from bs4 import BeautifulSoup
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError

from harness.context import copy_context
from harness.lifecycle import stopped_at_end
from harness.nginx import free_port
from harness.pages import discover
from harness.paths import ROOT
from hooks import diagrams, social
from hooks import preview as preview_hook
from hooks.material9 import scripts

NODE = {"node", "nodejs", "npm", "npx", "corepack"}
MATERIAL = Path(material.__file__).parent / "templates" / "assets"
LINE_START = preview_hook.LINE.split("{")[0]  # "Preview (mkdocs serve), unlike `make site`: "
NO_NODE = "no `node` on PATH"


def path_without_node(folder: Path) -> str:
    """A PATH of one folder holding a link to every program on this machine's PATH but Node's."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            program = Path(directory) / name
            link = folder / name
            if name in NODE or link.is_symlink() or not (program.is_file() and os.access(program, os.X_OK)):
                continue
            link.symlink_to(program)
    return str(folder)


@pytest.fixture(scope="module")
def python_only(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A copy of the project without node_modules, and an environment without Node or Chromium."""
    base = tmp_path_factory.mktemp("preview")
    project = copy_context(base / "project")
    modules = project / "node_modules"
    if modules.is_symlink():
        modules.unlink()  # the link alone: the project's own node_modules stays as it is
    assert not modules.exists()
    temp = base / "tmp"  # mkdocs serve's own site folder goes here
    temp.mkdir()
    env = {**os.environ, "PATH": path_without_node(base / "bin"), "CHROMIUM": str(base / "no-chromium"),
           "TMPDIR": str(temp), "NO_MKDOCS_2_WARNING": "1"}
    assert shutil.which("node", path=env["PATH"]) is None and shutil.which("make", path=env["PATH"])
    assert not Path(env["CHROMIUM"]).exists()
    return project, env


class Preview:
    """A preview command, started in its own process group, its output in a file."""

    def __init__(self, command: list[str], project: Path, env: dict[str, str], port: int, log: Path):
        self.url = f"http://127.0.0.1:{port}/"
        self.log = log
        with log.open("w") as out:
            # Ctrl-C stops it as it stops an author's preview, even where this test runs with
            # SIGINT ignored (a background job), which its processes would inherit.
            self.process = subprocess.Popen(command, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True,
                                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 180) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                pytest.fail(f"the preview ended (exit status {self.process.returncode}):\n{self.output()}")
            try:
                if get(self.url)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        pytest.fail(f"the preview did not answer in {timeout} s:\n{self.output()}")

    def stop(self) -> None:
        """Ctrl-C to its process group (make and its mkdocs; mkdocs then removes its site
        folder), then SIGKILL to the group if it has not ended in 30 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture
def preview(tmp_path):
    yield from stopped_at_end(lambda command, project, env, port: Preview(
        command, project, env, port, tmp_path / f"preview-{port}.log"))


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def shipped(path: str) -> Path:
    """The one file of Material's own assets matching `path` (a glob below assets/)."""
    (found,) = [p for p in MATERIAL.glob(path) if re.fullmatch(r"[a-z]+\.[0-9a-f]{8}\.min\.(js|css)", p.name)]
    return found


COMMANDS = {
    # README, "Any other system": `pip install -r requirements.txt`, then `mkdocs serve`.
    "mkdocs-serve": lambda port: [str(ROOT / ".venv" / "bin" / "mkdocs"), "serve", "--strict",
                                  "--dev-addr", f"127.0.0.1:{port}"],
    "make-serve": lambda port: ["make", "--no-print-directory", "serve", f"VENV={ROOT / '.venv'}",
                                f"DEV_ADDR=127.0.0.1:{port}"],
}


def assert_serve_installs_nothing_but_the_python_packages(project: Path, env: dict[str, str]) -> None:
    """What `make serve` would run here, printed (-n): no npm, no apt-get (a real run would
    otherwise install Node or Chromium on this machine)."""
    planned = subprocess.run(["make", "--no-print-directory", "-n", "serve", f"VENV={ROOT / '.venv'}"], cwd=project,
                             env=env, capture_output=True, text=True, check=True).stdout
    assert not re.search(r"\b(npm|apt-get|dpkg|node_modules)\b", planned), planned
    assert re.search(r"(?m)^env -u NO_MKDOCS_2_WARNING \S*mkdocs serve --strict", planned), planned


def test_make_serve_installs_nothing_but_the_python_packages(python_only):
    assert_serve_installs_nothing_but_the_python_packages(*python_only)


@pytest.mark.parametrize("how", COMMANDS)
def test_the_preview_works_with_python_alone(python_only, preview, how):
    project, env = python_only
    if how == "make-serve":
        assert_serve_installs_nothing_but_the_python_packages(project, env)
    port = free_port()
    running = preview(COMMANDS[how](port), project, env, port)
    running.wait()

    pages = {}
    for path in discover(project):
        status, body = get(running.url + path)
        assert status == 200, f"/{path}: {status}"
        pages[path] = BeautifulSoup(body.decode("utf-8"), "html.parser")

    # Every diagram shows as its code, in a box with the hint; none is drawn.
    hint = diagrams.PREVIEW_HINT.format(why=NO_NODE).replace("`", "")
    with_diagrams = 0
    for path, (source, *_) in discover(project).items():
        text = (project / "docs" / source).read_text(encoding="utf-8")
        fences = list(diagrams.FENCE.finditer(text))
        boxes = [box for box in pages[path].select(".admonition.info") if hint in box.get_text(" ", strip=True)]
        assert len(boxes) == len(fences), f"/{path}: {len(fences)} diagrams, {len(boxes)} boxes with the hint"
        for fence, box in zip(fences, boxes, strict=True):
            definition = diagrams.dedent(fence.group("body"), fence.group("indent")).strip()
            assert box.select_one("pre code").get_text().strip() == definition, f"/{path}"
            title = diagrams.ACC_TITLE.search(definition).group(1)
            assert box.select_one(".admonition-title").get_text() == f"Diagram: {title}", f"/{path}"
        assert not pages[path].select("figure.diagram, img[src*='assets/diagrams/']"), f"/{path}"
        with_diagrams += bool(fences)
    assert with_diagrams, "no page has a diagram: the test checks nothing"

    # Material's page script as shipped (the lazy-search prelude in front), and its stylesheets.
    page = pages[""]
    (bundle,) = [s["src"] for s in page.select("script[src]") if "assets/javascripts/bundle." in s["src"]]
    status, served = get(running.url + bundle)
    material_js = scripts.SOURCE_MAP.sub("\n", shipped("javascripts/bundle.*.min.js").read_text(encoding="utf-8"))
    assert status == 200 and served.decode("utf-8").endswith(material_js), f"{bundle} is not Material's script"
    links = [link["href"] for link in page.select("link[rel=stylesheet]")]
    for name in ("main", "palette"):
        css = shipped(f"stylesheets/{name}.*.min.css")
        assert f"assets/stylesheets/{css.name}" in links, links
        assert get(running.url + f"assets/stylesheets/{css.name}") == (200, css.read_bytes())

    # One line says what is skipped and why; nothing warns, nothing crashed.
    log = running.output()
    lines = [line for line in log.splitlines() if LINE_START in line]
    assert len(lines) == 1, log
    assert lines[0].startswith("INFO"), lines[0]
    for part in ("diagrams shown as code", "Material's page script as shipped", NO_NODE, preview_hook.POSTBUILD,
                 "make deps"):
        assert part in lines[0], (part, lines[0])
    assert "Traceback" not in log, log
    assert not re.search(r"(?m)^(WARNING|ERROR)\b", log), log


def test_the_preview_uses_node_and_chromium_where_installed(preview, tmp_path):
    """With everything installed (this machine, `make deps`), the preview draws the diagrams
    and loads the rebuilt page script, and its line names only what no preview does."""
    project = copy_context(tmp_path / "project")  # node_modules: a link to the project's
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "NO_MKDOCS_2_WARNING": "1"}
    assert shutil.which("node") and (project / "node_modules").is_symlink() and Path(diagrams.chromium()).is_file()
    port = free_port()
    running = preview(COMMANDS["mkdocs-serve"](port), project, env, port)
    running.wait()
    page = BeautifulSoup(get(running.url + "cors/")[1].decode("utf-8"), "html.parser")
    assert not page.select(".admonition.info") and page.select("figure.diagram")
    for image in page.select("figure.diagram img"):
        assert get(running.url + "cors/" + image["src"].split("#")[0])[0] == 200, image["src"]
    (bundle,) = [s["src"] for s in page.select("script[src]") if "assets/javascripts/bundle." in s["src"]]
    material_js = scripts.SOURCE_MAP.sub("\n", shipped("javascripts/bundle.*.min.js").read_text(encoding="utf-8"))
    assert not get(running.url + bundle)[1].decode("utf-8").endswith(material_js)
    (line,) = [line for line in running.output().splitlines() if LINE_START in line]
    assert line.endswith(f"{LINE_START}{preview_hook.POSTBUILD} ({preview_hook.ALWAYS})."), line


def test_the_preview_draws_no_link_preview_images_without_a_font(monkeypatch, tmp_path):
    """hooks/social.py draws in a system font, which `make serve` does not install: without
    one the preview leaves the images out and says so; the build stops, naming the font."""
    monkeypatch.setattr(social, "FONTS", [(str(tmp_path / "Regular.ttf"), str(tmp_path / "Bold.ttf"))])
    for name in ("_fonts", "_cache", "_command"):
        monkeypatch.setattr(social, name, getattr(social, name))  # restored after the test
    config = MkDocsConfig(config_file_path=str(tmp_path / "mkdocs.yml"))
    config["site_url"] = "http://127.0.0.1:8000/"
    social.on_startup(command="serve", dirty=False)
    social.on_config(config)
    assert social._fonts is None
    assert config["preview_skips"] == {"no DejaVu Sans font (fonts-dejavu-core)": ["no link-preview images"]}
    social.on_startup(command="build", dirty=False)
    with pytest.raises(PluginError, match="fonts-dejavu-core"):
        social.on_config(config)


def test_the_build_still_needs_everything(python_only, tmp_path):
    """Where the preview degrades, `mkdocs build --strict` (what `make site` runs) stops,
    naming what to install."""
    project, env = python_only
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "mkdocs"), "build", "--strict", "--site-dir",
                           str(tmp_path / "site")], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert NO_NODE in output and "make deps" in output and "npm ci" in output, output
    assert "Traceback" not in output, output
    assert not (tmp_path / "site" / "index.html").exists()


def test_the_build_names_a_missing_chromium(tmp_path):
    """With Node and the npm packages but no Chromium, the build stops at the diagrams,
    naming the browser to install (the preview would show them as code)."""
    project = copy_context(tmp_path / "project")  # node_modules: a link to the project's
    assert (project / "node_modules").is_symlink()
    env = {**os.environ, "CHROMIUM": str(tmp_path / "no-chromium"), "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "mkdocs"), "build", "--strict", "--site-dir",
                           str(tmp_path / "site")], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert f"no Chromium at {tmp_path / 'no-chromium'}" in output and "chromium-headless-shell" in output, output
    assert "Traceback" not in output, output
