# Backend Notes: build the site, then serve it from nginx as a non-root user.
# `docker compose up --build` uses this; see compose.yaml for the runtime hardening.

# --- Stage 1: build -------------------------------------------------------------------
# Node (24 LTS; 20 reached end of life on 2026-04-30) for PurgeCSS and the diagrams, and
# Debian 12's own Python 3.11 (the version the pins are checked on).
FROM node:24.21.0-bookworm-slim AS build

# Every pip call that `make` makes runs as `pip install --no-cache-dir`: no cache in the layer.
# npm installs the build's packages only (PurgeCSS), not the test tools.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NPM_CI_FLAGS=--omit=dev

# make is the one build entrypoint; Chromium's headless shell draws the diagrams (Mermaid's
# CLI drives it) in Liberation Sans; DejaVu Sans draws the link-preview images; git, because
# the dates plugin (git-revision-date-localized) does not even load without it (the context
# has no history, so hooks/dates.py then leaves the dates out). Build stage only: none of it
# reaches the served image. Not version-pinned: the base image tag pins Debian 12, and a
# pinned Debian version disappears from the mirror at its next security update.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends make python3 python3-venv git chromium-headless-shell fonts-liberation fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# The hash-pinned requirements and the npm lockfile first: reused until they change.
COPY Makefile requirements.txt package.json package-lock.json ./
RUN make deps

# Then the sources (.dockerignore keeps the context to what the build reads).
COPY mkdocs.yml ./
COPY docs/ docs/
COPY examples/ examples/
COPY hooks/ hooks/
COPY postbuild/ postbuild/
COPY overrides/ overrides/
COPY nginx/ nginx/
# The hooks' caches (.cache/, every entry named by the content it was made from) in a
# BuildKit cache mount: a rebuild on the same builder does the work of what changed, not
# of the whole site. Not in any layer; a fresh builder starts empty and builds it all.
RUN --mount=type=cache,target=/src/.cache,sharing=locked make site

# --- Stage 2: serve ---------------------------------------------------------------------
# Debian's nginx: the same build the tests run site.conf on, with its brotli_static module.
FROM debian:12.15-slim AS serve

# Unpinned for the same reason as make above: nginx security fixes must reach a rebuild.
# The packages' default site and log files are removed; logs go to stdout/stderr.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx libnginx-mod-http-brotli-static \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled /etc/nginx/conf.d/* /var/www/html \
 && groupadd --system --gid 10001 web \
 && useradd --system --uid 10001 --gid web --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin web

COPY nginx/nginx.conf /etc/nginx/nginx.conf
COPY nginx/site.conf /etc/nginx/conf.d/site.conf
# Files owned by root and only readable by the server: it cannot change what it serves.
COPY --from=build /src/site/ /usr/share/nginx/html/

USER 10001:10001
EXPOSE 8080

# nginx finishes the requests in flight on SIGQUIT (graceful); SIGTERM would cut them.
STOPSIGNAL SIGQUIT

# No curl in the image: bash's /dev/tcp asks nginx's /healthz for its 204.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -c 12 <&3 | grep -q ' 204'"]

# -e stderr: nginx would otherwise open its compiled-in log path before reading the config.
CMD ["nginx", "-e", "stderr", "-g", "daemon off;"]
