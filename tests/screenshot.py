"""README screenshots: the real built site, served by the project's nginx config, in
Debian's Chromium. Run with `make screenshot` (after `make test-deps`)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from browser_harness import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from conftest import ROOT, Nginx, build, server_conf  # noqa: E402


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="screenshot-"))
    site = build(work / "site")
    server = Nginx(work / "nginx", server_conf(site))
    out = ROOT / ".github"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            desktop = browser.new_page(viewport={"width": 1280, "height": 800})
            desktop.goto(server.url("/docker/"))
            desktop.wait_for_load_state("networkidle")
            desktop.screenshot(path=str(out / "screenshot-desktop.png"))
            phone = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                     color_scheme="dark", is_mobile=True, has_touch=True)
            phone.goto(server.url("/jwt/"))
            phone.wait_for_load_state("networkidle")
            phone.screenshot(path=str(out / "screenshot-phone.png"))
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
