"""GitHub Pages, as far as a static site can tell, on real nginx: a project site lives at
https://<owner>.github.io/<repo>/, so the site is built for and served under a sub-path.

Files and directory indexes, a 301 to add the trailing slash, /<repo>/404.html with status
404 for a missing path, no custom headers (so no CSP header: the pages must carry their
own). Outside the prefix is another site, so it answers a bare 404."""

from __future__ import annotations

PREFIX = "/backend-notes/"

PAGES_SERVER = """
server {
    listen 127.0.0.1:__PORT__;
    root __ROOT__;
    index index.html;
    location = /backend-notes { return 301 /backend-notes/; }
    location /backend-notes/ {
        error_page 404 /backend-notes/404.html;
    }
    location / {
        return 404;
    }
}
"""
