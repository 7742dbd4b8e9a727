"""MkDocs loads each hook from its file with this folder on sys.path, and the hooks import
their shared module as `shared`; imported as the package `hooks` (the harness, tools, tests,
`python -m hooks.checks`), this folder goes on the path too, so they import the same way."""

import sys
from pathlib import Path

if str(Path(__file__).parent) not in sys.path:
    sys.path.append(str(Path(__file__).parent))
