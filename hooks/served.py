"""Every file a page links to or embeds is one the server serves.

nginx/site.conf's `map $uri $file_kind` is the one list of the kinds of file the site serves
(its `$servable` and `$cache_control` are keyed on the kind). Anything else is a 404 in
production, though `mkdocs serve` shows it: a note could embed a .heic photo that every
preview shows and no reader ever sees.

Guarantees:
* the list is read from nginx/site.conf, never copied here (as postbuild/csp.py reads the
  policy), and a path is looked up the way nginx looks it up: exact entries first, then
  the regular expressions in their order (`~*` ignoring case), else the default; then
  `$servable` for that kind. Hidden names (a part starting with a dot) are 404s too (their
  location in site.conf), but for a URI with an exact location of its own
  (/.well-known/security.txt);
* the build fails when a page links to (`href`) or embeds (`src`, `srcset`, `poster`,
  `data`) a file of docs/ that nginx would not serve, naming the Markdown file, the line
  and the fix: for an image, "convert it to PNG/JPG/WebP"; for another file, "add its kind
  to nginx/site.conf's $file_kind map if readers should get it". Every such reference in
  every page is listed at once, after the last page is converted.

Links to other sites, to pages, and to files that are not in docs/ are not its business
(MkDocs' own strict validation reports a missing file). The lookup is plain functions
(`file_kind`, `served`) on site.conf's text, which the tests use too.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

SITE_CONF = Path(__file__).resolve().parent.parent / "nginx" / "site.conf"
# Kinds of image an author may have and a phone or camera may hand them; the fix names
# the kinds every browser shows.
IMAGE_EXTENSIONS = {"heic", "heif", "bmp", "tif", "tiff", "jxl", "jp2", "psd", "raw", "dng", "cr2", "nef",
                    "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico"}
CONVERT_TO = (("PNG", "x.png"), ("JPG", "x.jpg"), ("WebP", "x.webp"))
MAP_BLOCK = r"^map\s+\${source}\s+\${target}\s*\{{(?P<body>.*?)^\}}"
# One entry of a map: a key (quoted or not) and a value (quoted or not), up to the `;`.
ENTRY = re.compile(r'^\s*(?P<key>"[^"]*"|\'[^\']*\'|[^\s;#]+)(?:\s+(?P<value>"[^"]*"|\'[^\']*\'|[^\s;#]+))?\s*;',
                   re.M)
LINK_ATTRIBUTE = re.compile(r"""\s(?P<name>src|href|srcset|poster|data)\s*=\s*(?:"(?P<q>[^"]*)"|'(?P<s>[^']*)'|(?P<u>[^\s>"']+))""",
                            re.I)


@dataclass(frozen=True)
class NginxMap:
    """One `map` block of site.conf: what nginx gives for a value."""

    exact: dict[str, str]
    regexes: list[tuple[re.Pattern, str]]
    default: str

    def __call__(self, value: str) -> str:
        if value in self.exact:
            return self.exact[value]
        for regex, result in self.regexes:
            if regex.search(value):
                return result
        return self.default


def unquoted(token: str) -> str:
    return token[1:-1] if token[:1] in "\"'" and token[-1:] == token[:1] else token


def nginx_map(conf: str, source: str, target: str) -> NginxMap:
    """The `map $source $target { ... }` block of `conf`."""
    match = re.search(MAP_BLOCK.format(source=re.escape(source), target=re.escape(target)), conf, re.M | re.S)
    if not match:
        raise PluginError(f"nginx/site.conf: no `map ${source} ${target} {{ ... }}` block")
    exact: dict[str, str] = {}
    regexes: list[tuple[re.Pattern, str]] = []
    default = ""
    for entry in ENTRY.finditer(re.sub(r"#[^\n]*", "", match.group("body"))):
        key, value = unquoted(entry.group("key")), unquoted(entry.group("value") or "")
        if entry.group("value") is None:
            continue  # a flag: volatile, hostnames
        if key == "default" and entry.group("key") == "default":
            default = value
        elif key.startswith("~*"):
            regexes.append((re.compile(key[2:], re.I), value))
        elif key.startswith("~"):
            regexes.append((re.compile(key[1:]), value))
        else:
            exact[key.removeprefix("\\")] = value
    return NginxMap(exact, regexes, default)


@functools.lru_cache(maxsize=4)
def maps(conf: str) -> tuple[NginxMap, NginxMap]:
    return nginx_map(conf, "uri", "file_kind"), nginx_map(conf, "file_kind", "servable")


def file_kind(uri: str, conf: str | None = None) -> str:
    """The kind nginx/site.conf gives the path `uri` (starting with "/"); "" for none."""
    return maps(conf if conf is not None else SITE_CONF.read_text(encoding="utf-8"))[0](uri)


def exact_locations(conf: str) -> set[str]:
    """The URIs of site.conf's `location = /uri` blocks: they win over the regex ones."""
    return set(re.findall(r"^\s*location\s+=\s*(/\S*)\s*\{", re.sub(r"#[^\n]*", "", conf), re.M))


def served(uri: str, conf: str | None = None) -> bool:
    """Whether nginx/site.conf serves a file at `uri` (a path starting with "/")."""
    text = conf if conf is not None else SITE_CONF.read_text(encoding="utf-8")
    if any(part.startswith(".") for part in uri.split("/")) and uri not in exact_locations(text):
        return False  # `location ~ /\.`: hidden files are 404s whatever their kind
    kinds, servable = maps(text)
    return servable(kinds(uri)) == "1"


def extension(path: str) -> str:
    name = posixpath.basename(path)
    return name.rsplit(".", 1)[1].lower() if "." in name.lstrip(".") else ""


def fix(path: str, conf: str) -> str:
    ext = extension(path)
    if any(part.startswith(".") for part in path.split("/")):
        return "nginx/site.conf serves no hidden file (a name starting with a dot); rename it"
    if not ext:
        return "nginx/site.conf serves no file without an extension; give it one it serves"
    add = (f"add its kind to the $file_kind map there if readers should get it, or leave the "
           f"{'image' if ext in IMAGE_EXTENSIONS else 'link'} out")
    if ext in IMAGE_EXTENSIONS:
        # The kinds every browser shows, as far as site.conf serves them.
        kinds = [name for name, example in CONVERT_TO if served(f"/{example}", conf)]
        if kinds:
            return f"nginx/site.conf does not serve .{ext}; convert it to {'/'.join(kinds)}"
    return f"nginx/site.conf does not serve .{ext}; {add}"


def references(html: str) -> list[str]:
    """Every URL the HTML links to or embeds (srcset split into its URLs)."""
    found = []
    for match in LINK_ATTRIBUTE.finditer(html):
        value = next(v for v in (match.group("q"), match.group("s"), match.group("u")) if v is not None)
        if match.group("name").lower() == "srcset":
            found.extend(part.split()[0] for part in value.split(",") if part.split())
        else:
            found.append(value)
    return found


def local_path(url: str, page_url: str) -> str | None:
    """The site path (no leading slash) a relative URL of the page points at; None for
    another site, an absolute path, a data: URL or an anchor of the page itself."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("/", "#")) or not parts.path:
        return None
    resolved = urlsplit(urljoin("http://site/" + page_url, url)).path
    return unquote(resolved.lstrip("/"))


def line_of(source: str, target: str) -> int | None:
    """The line of the Markdown source (1-based) that links to the file: the first naming
    it in a link, image or reference, else the first naming it at all."""
    name = posixpath.basename(target)
    naming = [number for number, line in enumerate(source.splitlines(), start=1)
              if name in line or name in unquote(line)]
    linking = [number for number in naming
               if re.search(r"\]\(|\]:|src=|href=", source.splitlines()[number - 1])]
    return (linking or naming or [None])[0]


def unserved(html: str, page_url: str, note: str, source: str, in_docs: set[str], conf: str) -> list[str]:
    """The problems of one page: `note` is its docs/ path, `source` its Markdown, `in_docs`
    the site paths of the files MkDocs copies (docs/'s and the theme's: a static file keeps
    its path)."""
    problems = []
    for url in dict.fromkeys(references(html)):
        path = local_path(url, page_url)
        if path is None or path not in in_docs or served("/" + path, conf):
            continue
        written = posixpath.relpath(path, posixpath.dirname(note) or ".")
        line = line_of(source, path)
        problems.append(f"docs/{note}{f':{line}' if line else ''}: {written}: {fix(path, conf)}")
    return problems


_problems: list[str] = []
_conf = ""
_in_docs: set[str] = set()


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _conf
    _conf = (Path(config.config_file_path).parent / "nginx" / "site.conf").read_text(encoding="utf-8")
    maps(_conf)  # a site.conf without the two maps stops the build here
    _problems.clear()
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    global _in_docs
    _in_docs = {file.dest_uri for file in files if not file.is_documentation_page()}
    return files


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    _problems.extend(unserved(html, page.url, page.file.src_uri, page.file.content_string, _in_docs, _conf))
    return html


def on_env(env, config: MkDocsConfig, files: Files):
    if _problems:
        problems, _problems[:] = list(_problems), []
        raise PluginError("Pages link to or embed files the server does not serve:\n" + "\n".join(problems))
    return env
