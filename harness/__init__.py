"""Shared machinery for the tests, the benchmarks and the tools: build the site with
`make site`, run real nginx with the project's config, launch Debian's Chromium, and
discover the pages from mkdocs.yml. Imported as a package (`from harness.nginx import
Nginx`); the repository root is on the import path through pytest's `pythonpath` setting
(pyproject.toml) and through `python -m tools.…` / `python -m bench.run` elsewhere."""
