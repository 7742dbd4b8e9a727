"""/.well-known/security.txt (RFC 9116): where to report a security problem with the site.

The author writes docs/assets/security.txt (a plain file: engines leave dot-folders of the
docs out, and this path survives any copy of docs/assets). Guarantees, on any built folder:
* the engine's copy (assets/security.txt) is moved to .well-known/security.txt, the one
  path RFC 9116 names; nothing else under .well-known/ is written or served;
* Expires is written here, EXPIRES_AFTER days after the build date (the RFC asks for less
  than a year), so the file never goes stale while the site is rebuilt;
* Canonical is the file's address on the site it was built for, from the home page's
  <link rel="canonical"> (the engine's site URL), when the page has one;
* the author's `#` lines (notes on this step) are left out;
* the step fails, naming the fix, when the source is missing, has no Contact, or sets
  Expires or Canonical itself.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from postbuild import StepError
from postbuild.built import site_url

SOURCE = "assets/security.txt"
TARGET = ".well-known/security.txt"
EXPIRES_AFTER = datetime.timedelta(days=180)
FIELD = re.compile(r"^(?P<name>[A-Za-z-]+):\s*(?P<value>\S.*)$")
WRITTEN_HERE = {"expires", "canonical"}


def security_txt(source: str, today: datetime.date, url: str | None) -> str:
    """The published file: the author's fields, then Canonical and Expires."""
    lines = [line.rstrip() for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    fields = [FIELD.match(line) for line in lines]
    if bad := [line for line, field in zip(lines, fields, strict=True) if field is None]:
        raise StepError(f"docs/{SOURCE}: not a `Field: value` line: {bad[0]!r}")
    names = {field.group("name").lower() for field in fields}
    if "contact" not in names:
        raise StepError(f"docs/{SOURCE}: no Contact line (RFC 9116 requires one: an https: or mailto: URI)")
    contacts = [field.group("value") for field in fields if field.group("name").lower() == "contact"]
    if bad := [value for value in contacts if not re.match(r"(?:https://|mailto:|tel:)\S+$", value)]:
        raise StepError(f"docs/{SOURCE}: Contact {bad[0]!r} is not an https:, mailto: or tel: URI (RFC 9116)")
    if set_here := sorted(names & WRITTEN_HERE):
        raise StepError(f"docs/{SOURCE}: remove {', '.join(n.capitalize() for n in set_here)}: the build writes it")
    expires = datetime.datetime.combine(today + EXPIRES_AFTER, datetime.time(), datetime.timezone.utc)
    if url:
        lines.append(f"Canonical: {url.rstrip('/')}/{TARGET}")
    lines.append(f"Expires: {expires:%Y-%m-%dT%H:%M:%SZ}")
    return "\n".join(lines) + "\n"


def write_security_txt(site_dir: Path, cache: Path) -> None:
    """The step (`cache` unused: the file is a few lines)."""
    source = site_dir / SOURCE
    if not source.is_file():
        raise StepError(f"{SOURCE} is not in the built site: write docs/{SOURCE} (RFC 9116: a Contact line)")
    text = security_txt(source.read_text(encoding="utf-8"), datetime.datetime.now(datetime.timezone.utc).date(),
                        site_url(site_dir))
    target = site_dir / TARGET
    target.parent.mkdir(exist_ok=True)
    target.write_text(text, encoding="utf-8")
    source.unlink()
