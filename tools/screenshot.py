"""README screenshots: the real built site, served by the project's nginx config, in
Debian's Chromium. Run with `make screenshot`."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness.browser import launch
from harness.nginx import Nginx, server_conf
from harness.paths import ROOT
from harness.site import build


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="screenshot-"))
    site = build(work / "site")
    server = Nginx(work / "nginx", server_conf(site))
    out = ROOT / ".github"
    try:
        with launch() as browser:
            desktop = browser.new_page(viewport={"width": 1280, "height": 800})
            desktop.goto(server.url("/docker/"))
            desktop.wait_for_load_state("networkidle")
            desktop.screenshot(path=str(out / "screenshot-desktop.png"))
            phone = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                     color_scheme="dark", is_mobile=True, has_touch=True)
            phone.goto(server.url("/jwt/"))
            phone.wait_for_load_state("networkidle")
            phone.screenshot(path=str(out / "screenshot-phone.png"))
    finally:
        server.stop()
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
