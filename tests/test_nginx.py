"""The server, proven against real nginx running nginx/site.conf (root and listen rewritten)."""

from __future__ import annotations

import datetime
import email.utils
import gzip
import re
import shutil
import socket
import time

import brotli
import pytest
from bs4 import BeautifulSoup

from harness.nginx import fetch, server_conf
from postbuild.csp import directives, inline_script_hashes  # the build's own parser

BUNDLE_RE = re.compile(r"assets/javascripts/bundle\.[0-9a-f]{8}\.min\.js")
STYLESHEET_RE = re.compile(r"assets/stylesheets/site\.[0-9a-f]{8}\.min\.css")
SECRETS = {
    ".env": "SECRET=1",
    ".git/config": "[core]",
    "notes.bak": "old",
    "site.conf": "server {}",
    "docker/index.html.orig": "old",
    "setup.sh": "#!/bin/sh",
    "docker/index.html~": "old",
    # Not on the allow-list of kinds of file a static site has, even without a dot.
    "Dockerfile": "FROM scratch",
    "postbuild/purge_css.mjs": "import x from 'y';",
    # An author's source must not leak: the published Markdown copies are only each page's
    # <page>/index.md (postbuild/llms.py); a source or other .md or .txt anywhere is a 404.
    "jwt.md": "# JWT",
    "docs/jwt.md": "# JWT",
    "jwt/README.md": "# JWT",
    "notes.txt": "old",
    "assets/javascripts/bundle.min.js.map": "{}",
    "setup.py": "import os",
    # /.well-known/ serves security.txt alone.
    ".well-known/acme-challenge/token": "token",
    ".well-known/security.txt.bak": "Contact: mailto:old@example.org",
}


def bundle_path(site) -> str:
    return "/" + BUNDLE_RE.search((site / "index.html").read_text()).group(0)


def worker_path(site) -> str:
    return "/" + str(next((site / "assets" / "javascripts" / "workers").glob("search.*.min.js")).relative_to(site))


def stylesheet_path(site) -> str:
    return "/" + STYLESHEET_RE.search((site / "index.html").read_text()).group(0)


@pytest.fixture(scope="module")
def planted_root(site, tmp_path_factory):
    """The site plus files that must never be served."""
    root = tmp_path_factory.mktemp("planted") / "site"
    shutil.copytree(site, root)
    for name, text in SECRETS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "plain.html").write_text("x" * 2000)  # no .gz/.br beside it: must go out as is
    return root


@pytest.fixture(scope="module")
def planted(planted_root, nginx_factory):
    return nginx_factory(server_conf(planted_root))


# --- security headers ------------------------------------------------------------------
# Every page-type response (pages, error pages, redirects) carries all of them; assets get
# the ones that apply to them (see the maps at the top of site.conf).

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
REQUESTS = [("GET", "/"), ("GET", "/jwt/"), ("GET", "/does-not-exist/"), ("POST", "/"),
            ("GET", "/docker"), ("GET", "/.env"), ("GET", "/" + "a" * 9000)]


@pytest.mark.parametrize("method,path", REQUESTS)
def test_security_headers_on_every_document_response(planted, method, path):
    status, headers, _ = fetch(planted.url(path), method=method)
    assert status in (200, 301, 404, 405, 414)
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, (name, status)
    assert headers["Permissions-Policy"] and "camera=()" in headers["Permissions-Policy"]
    assert headers["Content-Security-Policy"]
    assert headers["Server"] == "nginx", "server_tokens off: no version"


def test_subresources_get_only_the_headers_they_use(server, site):
    _, headers, _ = fetch(server.url(stylesheet_path(site)))
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cross-Origin-Resource-Policy"] == "same-origin"
    for name in ("Content-Security-Policy", "Permissions-Policy", "X-Frame-Options", "Cross-Origin-Opener-Policy"):
        assert headers[name] is None, name  # document-only policies: ~650 bytes saved per asset
    # The search worker runs under the policy its script is served with, and SVG or XML
    # opened directly is a document: they get a policy that allows nothing.
    for path in (worker_path(site), "/assets/favicon.svg", "/sitemap.xml"):
        _, headers, _ = fetch(server.url(path))
        assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'", path
    # A script loaded by <script> is neither: a policy on it would apply to nothing.
    _, headers, _ = fetch(server.url(bundle_path(site)))
    assert headers["Content-Security-Policy"] is None
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_instantly_fetched_page_skips_the_page_policies_and_is_never_stored(server):
    # Material's instant navigation fetches the next page (Sec-Fetch-Dest: empty) and swaps
    # it into the page already open, under that page's policies; a navigation to the same
    # URL (Sec-Fetch-Dest: document) gets them all, and Vary keeps cached copies apart.
    _, fetched, body = fetch(server.url("/jwt/"), headers={"Sec-Fetch-Dest": "empty"})
    _, navigated, _ = fetch(server.url("/jwt/"), headers={"Sec-Fetch-Dest": "document"})
    for name in ("Content-Security-Policy", "Permissions-Policy", "X-Frame-Options", "Referrer-Policy",
                 "Cross-Origin-Opener-Policy"):
        assert fetched[name] is None and navigated[name], name
    for headers in (fetched, navigated):
        assert "Sec-Fetch-Dest" in ", ".join(headers.get_all("Vary"))
        assert headers["X-Content-Type-Options"] == "nosniff"
    # Vary alone is not enough (Chromium revalidates a mismatching entry with its ETag and
    # shows the stored headers; test_browser.py has the reload): the fetched copy is never
    # stored, the page is stored and revalidated.
    assert fetched.get_all("Cache-Control") == ["no-store"]
    assert navigated.get_all("Cache-Control") == ["no-cache"] and navigated["ETag"]
    # The page still carries its own policy in a <meta>, wherever it ends up.
    assert b'http-equiv=Content-Security-Policy' in body


def test_revalidation_keeps_the_cached_page_policy(server):
    # A 304 carries no Content-Type; had it a different CSP, the browser would store that
    # one with the cached page. It must carry the page's policy or none at all.
    _, headers, _ = fetch(server.url("/jwt/"))
    status, revalidated, _ = fetch(server.url("/jwt/"), headers={"If-None-Match": headers["ETag"]})
    assert status == 304
    assert revalidated["Content-Security-Policy"] in (None, headers["Content-Security-Policy"])


def test_csp_allows_only_materials_inline_scripts(server, site):
    _, headers, _ = fetch(server.url("/"))
    policy = directives(headers["Content-Security-Policy"])
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["default-src"] == ["'none'"]
    # Every inline script of every page is allowed by hash, and no stale hash lingers.
    used = set()
    for html in site.rglob("*.html"):
        used |= inline_script_hashes(html.read_text())
    listed = {v for v in policy["script-src"] if v.startswith("'sha256-")}
    assert used == listed


def test_pages_carry_the_same_policy_as_meta(server, site):
    _, headers, body = fetch(server.url("/cors/"))
    meta = BeautifulSoup(body, "html.parser").select_one('meta[http-equiv="Content-Security-Policy"]')
    header_policy = directives(headers["Content-Security-Policy"])
    header_policy.pop("frame-ancestors")  # a <meta> cannot carry it
    assert directives(meta["content"]) == header_policy


def names_the_server(body: bytes) -> bool:
    """nginx's own error page signs itself (`<center>nginx</center>`, with its version
    unless server_tokens is off). A styled page may still say "nginx": a note about it
    is in the nav."""
    return re.search(rb"<center>\s*nginx|nginx/\d", body, re.I) is not None


def test_the_server_name_check_can_fail():
    assert names_the_server(b"<hr><center>nginx</center>\r\n</body>")          # nginx's own page
    assert names_the_server(b"<hr><center>nginx/1.22.1</center>")                # with its version
    assert not names_the_server(b'<a href="../nginx-basics/">Nginx basics</a>')  # a note in the nav


@pytest.mark.parametrize("path", ["/does-not-exist/", "/" + "a" * 9000])
def test_error_pages_do_not_name_the_server(planted, path):
    _, _, body = fetch(planted.url(path))
    assert not names_the_server(body), body[-300:]


def test_oversized_header_error_page_does_not_name_the_server(planted):
    status, _, body = fetch(planted.url("/"), headers={"X-Big": "a" * 9000})
    assert status == 400 and not names_the_server(body), body[-300:]


# Answers nginx makes by itself. error_page takes 300-599, and site.conf gives every status
# nginx sends here the site's page, even where nginx answers before reading the Host header
# (a request line it cannot take: 400, 414, 505): this server is the only one, so the
# default one, for its port. No config shows a page where nginx sends no answer at all: a
# client that never finishes its headers is cut off (test_slow_client_is_cut_off).
NGINX_ANSWERS = {
    "412-if-match": (412, "500.html", "GET {asset} HTTP/1.1\r\nHost: x\r\nIf-Match: \"nope\"\r\n"),
    "416-range-beyond-the-end": (416, "500.html", "GET {asset} HTTP/1.1\r\nHost: x\r\nRange: bytes=999999999-\r\n"),
    "501-unknown-transfer-coding": (501, "500.html", "GET {asset} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo\r\n"),
    "505-http-version": (505, "500.html", "GET {asset} HTTP/2.0\r\nHost: x\r\n"),
    "404-fingerprinted-script": (404, "404.html", "GET /assets/javascripts/gone.0123abcd.min.js HTTP/1.1\r\nHost: x\r\n"),
    "404-fingerprinted-image": (404, "404.html", "GET /assets/images/gone.640w.0123abcd.webp HTTP/1.1\r\nHost: x\r\n"),
}


def nginx_answer(server, site, case: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, header lines in order, body) of the case's raw request."""
    request = NGINX_ANSWERS[case][2].format(asset=bundle_path(site)) + "Connection: close\r\n\r\n"
    head, _, body = raw_request(server, request.encode()).partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = [(name.strip().lower(), value.strip()) for name, _, value in (line.partition(":") for line in lines)]
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("case", NGINX_ANSWERS)
def test_nginx_own_answers_show_the_site_error_page(server, site, case):
    status, headers, body = nginx_answer(server, site, case)
    want, page, _ = NGINX_ANSWERS[case]
    assert status == want
    assert not names_the_server(body), body[-300:]
    assert body == (site / page).read_bytes(), f"{case}: not the site's /{page}"
    # With the page policies, as every page: on a 416, nginx's own pass for the file has
    # already run, and the error page's pass must not reuse its (empty) answers.
    policies = [value for name, value in headers if name == "content-security-policy"]
    assert len(policies) == 1 and "frame-ancestors 'none'" in policies[0], headers


@pytest.mark.parametrize("case", NGINX_ANSWERS)
def test_errors_at_a_file_url_are_never_stored(server, site, case):
    # An error at a fingerprinted name must never be kept as the file (for a year, as
    # immutable): no error is stored at all.
    status, headers, _ = nginx_answer(server, site, case)
    lines = [value for name, value in headers if name == "cache-control"]
    directives = {d.strip() for line in lines for d in line.split(",")}
    assert "no-store" in directives, (status, lines)
    if status == 416:
        # nginx finds the Range unsatisfiable only after add_header ran for the file, so
        # the file's own line stays beside no-store, which a cache must obey first
        # (RFC 9111, 5.2.2.5: it MUST NOT store the response).
        assert lines == ["max-age=31536000, immutable", "no-store"], lines
    else:
        assert lines == ["no-store"], (status, lines)


# --- not found, listings, hidden files, traversal ----------------------------------------


@pytest.mark.parametrize("path", ["/does-not-exist/", "/jwt/missing.html", "/a/b/c/d"])
def test_styled_404(planted, path):
    status, headers, body = fetch(planted.url(path))
    soup = BeautifulSoup(body, "html.parser")
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert "404" in soup.select_one("article h1").get_text()
    # Absolute asset URLs: the styles load from whatever depth the 404 happened at.
    assert all(link["href"].startswith("/") for link in soup.select('link[rel="stylesheet"]'))


def test_no_directory_listing(planted):
    status, _, body = fetch(planted.url("/assets/"))
    assert status == 404 and b"Index of" not in body


@pytest.mark.parametrize("name", SECRETS)
def test_hidden_and_backup_files_are_404(planted, name):
    assert fetch(planted.url("/" + name))[0] == 404


def raw_request(server, request: bytes, timeout: float = 5) -> bytes:
    """Send bytes exactly as given (no client-side normalisation of the path)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("path", ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                                  "/assets/..%2f..%2f..%2f..%2fetc/passwd", "/index.html%00.txt", "/%00"])
def test_path_traversal_never_escapes_the_root(planted, path):
    response = raw_request(planted, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status = int(response.split(b" ", 2)[1])
    assert status in (400, 404) and b"root:" not in response


# --- methods -------------------------------------------------------------------------------


# TRACE is refused by nginx itself, before any location; FOO is a method nobody knows.
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"])
@pytest.mark.parametrize("path", ["/", "/docker/", "/healthz"])
def test_only_get_and_head(server, method, path):
    status, headers, body = fetch(server.url(path), method=method)
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert not names_the_server(body), body[-300:]


def test_get_has_no_allow_header(server):
    assert fetch(server.url("/"))[1]["Allow"] is None


def test_head_matches_get(server):
    get_status, get_headers, get_body = fetch(server.url("/jwt/"))
    head_status, head_headers, head_body = fetch(server.url("/jwt/"), method="HEAD")
    assert get_status == head_status == 200 and head_body == b""
    assert head_headers["Content-Length"] == get_headers["Content-Length"] == str(len(get_body))
    assert head_headers["ETag"] == get_headers["ETag"]


def test_healthz(server):
    assert fetch(server.url("/healthz"))[0] == 204


# --- redirects -------------------------------------------------------------------------------


def test_trailing_slash_redirect_keeps_host_and_port(server):
    status, headers, _ = fetch(server.url("/docker"), headers={"Host": "notes.example:9443"})
    assert status == 301 and headers["Location"] == "/docker/"


# --- compression -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/docker/", "BUNDLE", "/search/search_index.json", "/sitemap.xml"])
def test_precompressed_brotli_and_gzip(server, site, path):
    path = bundle_path(site) if path == "BUNDLE" else path
    _, plain_headers, plain = fetch(server.url(path))
    assert plain_headers["Content-Encoding"] is None
    _, headers, body = fetch(server.url(path), headers={"Accept-Encoding": "gzip, deflate, br"})
    assert headers["Content-Encoding"] == "br" and brotli.decompress(body) == plain
    assert "Accept-Encoding" in headers["Vary"]
    _, headers, body = fetch(server.url(path), headers={"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == plain
    assert "Accept-Encoding" in headers["Vary"]


@pytest.mark.parametrize("main_http", ["", "gzip on;"], ids=["image-main-config", "stock-debian-gzip-on"])
def test_no_on_the_fly_compression(planted_root, nginx_factory, main_http):
    # plain.html has no precompressed sibling: compressing it per request is switched off,
    # by site.conf itself, even under a main config that turns gzip on (Debian's does).
    server = nginx_factory(server_conf(planted_root), extra_http=main_http)
    _, headers, body = fetch(server.url("/plain.html"), headers={"Accept-Encoding": "gzip, br"})
    assert headers["Content-Encoding"] is None and len(body) == 2000


# --- caching -------------------------------------------------------------------------------


def test_fingerprinted_assets_are_immutable(server, site):
    for path in (bundle_path(site), stylesheet_path(site)):
        _, headers, _ = fetch(server.url(path))
        assert headers.get_all("Cache-Control") == ["max-age=31536000, immutable"]
        # A part of the file and a revalidation are the file too.
        status, part, _ = fetch(server.url(path), headers={"Range": "bytes=0-9"})
        assert status == 206 and part.get_all("Cache-Control") == ["max-age=31536000, immutable"]
        status, same, _ = fetch(server.url(path), headers={"If-None-Match": headers["ETag"]})
        assert status == 304 and same.get_all("Cache-Control") == ["max-age=31536000, immutable"]


@pytest.mark.parametrize("path", ["/", "/jwt/", "/search/search_index.json", "/sitemap.xml",
                                  "/.well-known/security.txt"])
def test_revalidated_files_get_304(server, path):
    status, headers, _ = fetch(server.url(path))
    assert status == 200 and headers["Cache-Control"] == "no-cache"
    # One validator, the ETag: with it a client never sends If-Modified-Since.
    assert headers["ETag"] and headers["Last-Modified"] is None
    assert fetch(server.url(path), headers={"If-None-Match": headers["ETag"]})[0] == 304
    # A cache that stored a Last-Modified from before still gets its 304: nginx's ETag is
    # "<mtime hex>-<size hex>", and nginx compares If-Modified-Since exactly.
    mtime = int(headers["ETag"].strip('"').split("-")[0], 16)
    since = email.utils.formatdate(mtime, usegmt=True)
    assert fetch(server.url(path), headers={"If-Modified-Since": since})[0] == 304


# --- /.well-known/security.txt (RFC 9116) ---------------------------------------------------


def security_fields(body: bytes) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in body.decode("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition(":")
            fields.setdefault(name.strip().lower(), []).append(value.strip())
    return fields


def test_security_txt_is_served_and_fresh(server):
    status, headers, body = fetch(server.url("/.well-known/security.txt"))
    assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["X-Content-Type-Options"] == "nosniff"
    fields = security_fields(body)
    assert fields["contact"] and all(v.startswith(("https://", "mailto:", "tel:")) for v in fields["contact"])
    # Written at build time: in the future, and less than a year ahead (RFC 9116, 2.5.5).
    (expires,) = fields["expires"]
    when = datetime.datetime.fromisoformat(expires)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert when.tzinfo is not None and now < when < now + datetime.timedelta(days=365), expires
    assert fields["canonical"] == [server.url("/.well-known/security.txt")]
    # Precompressed like every text file, and the same text.
    _, packed, squeezed = fetch(server.url("/.well-known/security.txt"), headers={"Accept-Encoding": "br"})
    assert packed["Content-Encoding"] in ("br", None)
    assert (brotli.decompress(squeezed) if packed["Content-Encoding"] else squeezed) == body


@pytest.mark.parametrize("path", ["/.well-known/", "/.well-known", "/.well-known/Security.txt",
                                  "/.well-known/security.txt.br", "/.well-known/security.txt.gz",
                                  "/.well-known/security.txt/", "/security.txt", "/assets/security.txt"])
def test_only_security_txt_is_served_from_dot_paths(server, path):
    assert fetch(server.url(path))[0] == 404


def test_security_txt_takes_get_and_head_only(server):
    status, headers, _ = fetch(server.url("/.well-known/security.txt"), method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"


# --- ranges ------------------------------------------------------------------------------


def test_range_requests(server, site):
    path = bundle_path(site)
    whole = (site / path.lstrip("/")).read_bytes()
    status, headers, body = fetch(server.url(path), headers={"Range": "bytes=100-199"})
    assert status == 206 and body == whole[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert fetch(server.url(path), headers={"Range": f"bytes={len(whole) + 10}-"})[0] == 416


# --- limits ------------------------------------------------------------------------------


def test_oversized_uri_gets_414(server):
    assert fetch(server.url("/" + "a" * 9000))[0] == 414


def test_oversized_header_gets_400(server):
    assert fetch(server.url("/"), headers={"Cookie": "a" * 9000})[0] == 400


def test_request_body_is_limited(server):
    status, _, _ = fetch(server.url("/"), method="POST", headers={"Content-Length": "2048"})
    assert 400 <= status < 500


def test_slow_client_is_cut_off(server):
    # Headers that never finish: nginx hangs up after client_header_timeout (10 s)
    # instead of holding a connection for as long as the client likes.
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        data = b""
        while chunk := s.recv(1024):
            data += chunk
    elapsed = time.monotonic() - start
    assert 9 < elapsed < 20, elapsed
    assert data == b"" or data.startswith(b"HTTP/1.1 408")
