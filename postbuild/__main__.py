"""`python -m postbuild SITE_DIR`: the post-build steps, in order, on a built folder.

The order is the data's:
* images first: their markup is part of the page the rest work on;
* the extras bundle before the stylesheet is purged (the purge keeps the classes its
  script adds);
* the CSP <meta> before minifying, which keeps inline scripts byte for byte, so their
  hashes hold;
* the report links and the feed (its page from the 404 frame, its head link in every page)
  before the stylesheet: the purge must see all the markup a reader gets, or a rule that
  styles it (Material's dimmed <small>, say) is kept or dropped by what the notes happen
  to contain;
* the stylesheet, purged against the minified pages (the words it keeps by are the same);
* security.txt, then the offline step, which lists the files once they are final (the
  stylesheet's name included, security.txt's source gone);
* the notes for tools (llms.txt, each page's index.md) after it: a copy is fetched on a
  tap, not saved for offline;
* compression last, on final files.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hooks.shared import cache_dir
from postbuild import StepError
from postbuild.compress import precompress
from postbuild.csp import add_policy
from postbuild.extras import add_extras
from postbuild.feed import write_feed
from postbuild.images import optimise_images
from postbuild.llms import write_llms
from postbuild.minify import minify_pages
from postbuild.offline import write_offline
from postbuild.report import add_report_links
from postbuild.security_txt import write_security_txt
from postbuild.stylesheet import one_stylesheet

STEPS = (
    ("images", optimise_images),
    ("extras", add_extras),
    ("csp", add_policy),
    ("minify", minify_pages),
    ("report", add_report_links),
    ("feed", write_feed),
    ("stylesheet", one_stylesheet),
    ("security-txt", write_security_txt),
    ("offline", write_offline),
    ("llms", write_llms),
    ("compress", precompress),
)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not Path(argv[1]).is_dir():
        print("usage: python -m postbuild SITE_DIR (a built site folder)", file=sys.stderr)
        return 2
    site_dir = Path(argv[1]).resolve()
    for name, step in STEPS:
        start = time.perf_counter()
        try:
            step(site_dir, cache_dir(name))
        except StepError as error:
            print(f"postbuild {name}: {error}", file=sys.stderr)
            return 1
        print(f"postbuild {name}: done in {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
