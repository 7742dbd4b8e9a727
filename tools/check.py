"""`make check`: what an author runs after writing a note. Lists, with file:line,

* errors: what would publish a broken page (hooks/checks.py's rules, then a strict build
  for what only the build sees: broken links and anchors, missing pages, images the
  server will not serve). `make site` stops on every one of them;
* advice: polish for a reviewer (harness/advice.py). Nothing fails on it.

Exits 1 if there is an error, 0 otherwise.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

from harness.advice import note_advice
from harness.pages import mkdocs_config, nav_entries
from harness.paths import DOCS, ROOT
from hooks.checks import Finding, find_mojibake, source_errors

# MkDocs' own log lines that stop a strict build, and the indented lines that belong to them.
PROBLEM = re.compile(r"^(ERROR|WARNING)\s+-\s+(.*)$")


def build_errors() -> list[str]:
    """What a strict build into a throwaway folder reports (links, anchors, nav, hooks)."""
    with tempfile.TemporaryDirectory(prefix="check-") as site:
        # In the project's folder, as `make site` builds it (NOTES_PROJECT: a copy of it).
        result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", site],
                                cwd=ROOT, capture_output=True, text=True,
                                env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    problems: list[str] = []
    for line in (result.stdout + result.stderr).splitlines():
        if match := PROBLEM.match(line):
            if "Aborted with" not in match.group(2):
                problems.append(match.group(2))
        elif problems and line.startswith((" ", "docs/")) and line.strip():
            problems[-1] += "\n  " + line.rstrip()
    if result.returncode and not problems:
        problems.append("the build failed:\n" + (result.stderr or result.stdout)[-2000:])
    return problems


def main() -> int:
    sources = [source for _, source in nav_entries(mkdocs_config()["nav"])]
    errors: list[Finding | str] = []
    for source in sources:
        errors += source_errors(f"docs/{source}", (DOCS / source).read_text(encoding="utf-8"))
    glossary = DOCS / "includes" / "glossary.md"
    errors += [Finding("docs/includes/glossary.md", n, f"mojibake: {line.strip()!r}", f"should read: {fixed.strip()!r}")
               for n, line, fixed in find_mojibake(glossary.read_text(encoding="utf-8"))]
    built = not errors
    if built:
        errors += build_errors()
    advice = note_advice(DOCS, sources)

    print(f"make check: {len(errors)} error(s), {len(advice)} advice, {len(sources)} pages")
    if errors:
        print("\nErrors (the build stops on these; fix them first):")
        for error in errors:
            print("  " + str(error).replace("\n", "\n  "))
        if not built:
            print("  (links, anchors and images are checked once these are fixed: run make check again)")
    if advice:
        print("\nAdvice (polish for a reviewer; nothing fails on it):")
        for item in advice:
            print("  " + str(item).replace("\n", "\n  "))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
