"""What a page costs on the wire, as Chromium received it: the measurement of the page-weight
budgets (tests/test_budgets.py) and of the page-weight benchmark (bench/), one code for
both so the two cannot drift apart."""

from __future__ import annotations


class Wire:
    """Bytes on the wire per request, from Chromium's own network events (DevTools
    protocol: encodedDataLength = response headers + body as received)."""

    def __init__(self, context, page):
        self.received: dict[str, int] = {}
        self.urls: dict[str, str] = {}
        self.statuses: dict[str, int] = {}  # request id -> HTTP status as sent on the wire
        self.failed: list[str] = []
        cdp = context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        # The raw status: responseReceived reports a revalidated (304) response as the cached 200.
        cdp.on("Network.responseReceivedExtraInfo", lambda e: self.statuses.__setitem__(e["requestId"], e["statusCode"]))
        cdp.on("Network.loadingFinished", lambda e: self.received.__setitem__(e["requestId"], e["encodedDataLength"]))
        cdp.on("Network.loadingFailed", lambda e: self.failed.append(self.urls.get(e["requestId"], "?")))
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})

    def mark(self) -> set[str]:
        return set(self.received)

    def since(self, mark: set[str]) -> dict[str, int]:
        """What crossed the wire since `mark` (answers from the browser's cache and data:
        URLs count zero bytes and are left out)."""
        return {self.urls[r]: n for r, n in self._crossed(mark)}

    def status_since(self, mark: set[str]) -> dict[str, int | None]:
        """url -> the HTTP status nginx sent, for what crossed the wire since `mark`."""
        return {self.urls[r]: self.statuses.get(r) for r, _ in self._crossed(mark)}

    def _crossed(self, mark: set[str]) -> list[tuple[str, int]]:
        return [(r, n) for r, n in self.received.items() if r not in mark and n > 0]


def settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
