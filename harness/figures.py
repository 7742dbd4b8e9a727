"""Figures a test prints into pytest's own output (not captured, so CI's log shows them),
each line prefixed with the test module's tag: `[flood] …`, `[image] …`."""

from __future__ import annotations

from typing import Callable

import pytest


def figures(config: pytest.Config, tag: str) -> Callable[[str], None]:
    """write(message): one line `[tag] message` on the terminal, past output capture."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")

    def write(message: str) -> None:
        line = f"[{tag}] {message}"
        if terminal and capture:
            with capture.global_and_fixture_disabled():
                terminal.ensure_newline()
                terminal.write_line(line)
        else:
            print(line)

    return write
