"""The post-build step: engine-independent work on a built site folder, run by `make site`
after `mkdocs build` and before the folder is swapped in (`python -m postbuild SITE_DIR`).

Each step is a plain function `(site_dir, cache) -> None` that reads and writes only the
built folder and its own cache folder (every entry named by the content it was made from).
They run one after the other, in the order of postbuild/__main__.py; nothing here knows
which engine built the folder (tests/test_postbuild.py runs it on a site built without
the hooks).
"""


class StepError(Exception):
    """A fault in the built site that the step names, with the fix: the build stops."""
