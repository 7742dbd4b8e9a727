# One entrypoint for every build: the Dockerfile, the Pages workflow and the tests all run
# `make site`. `make serve` previews, `make test` runs everything, each installing what it
# needs on a fresh Debian machine with only Python 3 and root.

PYTHON   ?= python3
VENV     ?= .venv
SITE_DIR ?= site
BIN      := $(VENV)/bin
# Material's end-of-life banner (2027-05-05) is quiet in build logs, which print one line
# pointing to README.md's Engine section instead; `make serve` shows the banner itself.
export NO_MKDOCS_2_WARNING := 1
EOL_NOTE := Material for MkDocs reaches end of life on 2027-05-05: the plan is in README.md, "Engine".
# GitPython (the dates plugin's) refuses to load where git is not installed; told to be quiet,
# it loads, and hooks/dates.py leaves the dates out (there is no history to read).
export GIT_PYTHON_REFRESH := quiet
# Puppeteer (for Mermaid's CLI) must not download a browser: the diagrams are drawn by
# Debian's Chromium, and no browser download is reachable anyway.
export PUPPETEER_SKIP_DOWNLOAD := 1

# Debian packages the build needs: Chromium's headless shell draws the diagrams (Mermaid's
# CLI drives it; hooks/render_diagrams.mjs says why not the full browser), in Liberation
# Sans, which has Arial's metrics, so boxes fit their text in any browser; DejaVu Sans draws
# the link-preview images (hooks/social.py).
BUILD_APT := chromium-headless-shell fonts-liberation fonts-dejavu-core
# Debian packages the tests drive for real: nginx with the brotli_static module, Chromium,
# redis-server (the example backend's refresh-token store, tests/test_example.py).
TEST_APT := nginx libnginx-mod-http-brotli-static chromium fonts-noto-color-emoji redis-server

.PHONY: help site check deps serve test lint test-container test-deps build-apt visual-refs screenshot bench audit clean lock
.DEFAULT_GOAL := help

help: ## List the targets, one line each
	@grep -E '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-16s %s\n", $$1, $$2}'

# The engine builds next to the target, the post-build step (postbuild/: CSP, minify, one
# stylesheet, compression) finishes that folder, and it is swapped in only when both
# succeeded: a failed build leaves the previous site as it was, never a half-published one.
site: $(VENV)/.build-deps node_modules/.installed build-apt ## Build the site into site/ (strict; the one build)
	@echo '$(EOL_NOTE)'
	rm -rf "$(SITE_DIR).tmp"
	$(BIN)/mkdocs build --strict --site-dir "$(SITE_DIR).tmp" || { rm -rf "$(SITE_DIR).tmp"; exit 1; }
	$(BIN)/python -m postbuild "$(SITE_DIR).tmp" || { rm -rf "$(SITE_DIR).tmp"; exit 1; }
	rm -rf "$(SITE_DIR)" && mv "$(SITE_DIR).tmp" "$(SITE_DIR)"

# What an author runs after writing: errors (the build stops on them) and advice (polish),
# each with file:line and the fix (tools/check.py).
check: $(VENV)/.build-deps node_modules/.installed build-apt ## Check the notes: errors and advice, with file:line
	@$(BIN)/python -m tools.check

# The build's packages alone (the Dockerfile caches this step as its own layer).
deps: $(VENV)/.build-deps node_modules/.installed build-apt ## Install the build's packages only

# The preview needs the Python packages alone: Node, the npm packages and Chromium are used
# where installed (`make deps` installs them). Without them the hooks show each diagram as
# its code and Material's script and stylesheets as shipped, and one line at startup says so.
DEV_ADDR ?= 127.0.0.1:8000
serve: $(VENV)/.build-deps ## Preview at http://127.0.0.1:8000 with live reload (Python alone; `make deps` for all)
	env -u NO_MKDOCS_2_WARNING $(BIN)/mkdocs serve --strict --dev-addr $(DEV_ADDR)

test: test-deps lint ## Run every test (installs what it needs on Debian)
	$(BIN)/pytest -ra tests

# ruff over the project's own Python (hooks, harness, tests, bench, tools), with the rules
# in pyproject.toml; the pre-commit hook runs the same check.
lint: $(VENV)/.test-deps ## Lint the project's Python with ruff (pyproject.toml)
	$(BIN)/ruff check --no-cache

# The image alone: built from the Dockerfile by a real Docker engine, run with compose.yaml's
# settings and checked from outside (tests/test_image.py). It uses the machine's Docker where
# it answers and has (or can pull) the base images; otherwise it installs Docker from Debian
# and runs its own daemon with stand-in base images. The output says which and why;
# NOTES_DOCKER=machine|private forces the choice. `make test` runs it too.
test-container: $(VENV)/.test-deps ## Build and run the image for real, check it from outside
	$(BIN)/pytest -ra tests/test_image.py

test-deps: $(VENV)/.test-deps node_modules/.installed examples/notes-api/node_modules/.installed build-apt ## Install the test tools (Debian packages, pip, npm)
	@$(call apt_install,$(TEST_APT))

build-apt:
	@$(call apt_install,$(BUILD_APT))

# Installs the Debian packages named that are missing (none: does nothing, needs no root).
define apt_install
missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
if [ -n "$$missing" ]; then \
  echo "Installing Debian packages:$$missing"; \
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
fi
endef

# Redraw the visual-regression references (tests/visual/) after an intended change of the
# look; look at the new images before committing them.
visual-refs: test-deps ## Redraw the reference screenshots of tests/test_visual.py
	UPDATE_VISUAL=1 $(BIN)/pytest -q tests/test_visual.py

# The README's screenshots, from the real site in Debian's Chromium.
screenshot: test-deps ## Retake the README screenshots
	$(BIN)/python -m tools.screenshot

# Lighthouse (mobile) on every page of a served build: fails below accessibility, best
# practices and SEO 100 or performance 95. Scores and reports in tests/output/lighthouse/.
audit: test-deps ## Lighthouse (mobile) on every page
	$(BIN)/python -m tools.lighthouse

# Benchmarks (bench/README.md): make site against the previous build (empty cache and warm,
# today's notes and +100 generated), page weight and search cost. Reported in bench/results/,
# never asserted; bench/decisions/ keeps the results of the ones dropped.
bench: test-deps ## Benchmarks, reported in bench/results/ (never asserted)
	$(BIN)/python -m bench.run

# A fresh Debian has python3 but maybe not its venv module (package python3-venv).
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && \
	  $(PYTHON) -m venv $(VENV); }

# Node packages from package-lock.json: PurgeCSS for the build, axe-core and Lighthouse for
# the tests. NPM_CI_FLAGS=--omit=dev installs the build's alone (the Dockerfile does).
NPM_CI_FLAGS ?=
# One install at a time (npm ci empties node_modules first, so two at once leave it broken),
# and none if another build installed these very files meanwhile.
node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; }
	flock .npm-ci.lock sh -c '[ $@ -nt package.json ] && [ $@ -nt package-lock.json ] || \
	  { npm ci --no-audit --no-fund $(NPM_CI_FLAGS) && touch $@; }'

# The runnable example's packages (examples/notes-api/package-lock.json). It needs Node 20.11+
# (import.meta.dirname, node-redis); Debian 12's own nodejs is 18, so an older node is replaced
# by Node 20 from the npm registry (the `node` package installs the official binary).
EXAMPLE_NODE ?= 20.20.2
NODE_20_11 := node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 11) ? 0 : 1)'
examples/notes-api/node_modules/.installed: examples/notes-api/package.json examples/notes-api/package-lock.json | node_modules/.installed
	$(NODE_20_11) || npm install --global --no-audit --no-fund node@$(EXAMPLE_NODE)
	$(NODE_20_11) || { echo "examples/notes-api needs Node 20.11+, found $$(node --version)" >&2; exit 1; }
	cd examples/notes-api && npm ci --no-audit --no-fund
	touch $@

$(VENV)/.build-deps: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements.txt requirements-test.txt $(VENV)/.build-deps
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt -r requirements-test.txt
	touch $@

# Re-pin after editing requirements*.in (needs network access to PyPI).
lock: $(VENV)/.build-deps ## Re-pin requirements*.txt after editing requirements*.in
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-test.txt requirements-test.in

clean: ## Remove the built site and caches
	rm -rf site .pytest_cache
