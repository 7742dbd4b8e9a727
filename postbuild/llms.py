"""The notes for tools: /llms.txt, /llms-full.txt (llmstxt.org) and a Markdown copy of each
note beside its page (<page>/index.md; the home page's is /index.md).

Engine-independent: it reads the sources (docs/*.md, the nav and the snippets settings of
mkdocs.yml, which Zensical reads too) from the project the step runs in, and the built
folder only for the site's address (the home page's canonical link) and which pages exist.
Guarantees, on any built folder:
* a copy for every nav page that was built, with the author's text as written: front matter
  off, snippets resolved by pymdownx.snippets itself (the example code inlined), the
  glossary not appended (abbreviations stay as text), admonitions in pymdown's `!!!`/`???`
  syntax (their titles carry the marking convention: "Correction: ..." and "(editor ne
  joda)"; a blockquote would lose which box is open and which an editor wrote), mermaid as
  its source fence, links to other notes and images made absolute URLs of the site;
* llms.txt: `# site name`, `> site description`, then one `## section` per nav section, a
  `- [title](copy URL): description` line per page; description = front matter
  `description`, else the first paragraph after the title;
* llms-full.txt: the same head, then every page in nav order: its address, its
  description, its copy;
* the step fails, naming the page, when a nav page has no source, no title or no description.
"""

from __future__ import annotations

import re
from pathlib import Path

import markdown
import yaml

from postbuild import StepError
from postbuild.built import site_url

CONFIG = "mkdocs.yml"
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
TITLE = re.compile(r"^# (.+)$", re.M)
# A link or image to another source file: [text](jwt.md#anchor), ![x](images/a.png "t").
LINK = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?((?:\s+\"[^\"]*\")?\))")
LOOSE = "Shuruaat aur revision"  # nav pages outside a section


class _Loader(yaml.SafeLoader):
    """mkdocs.yml's own tags (!ENV, !!python/name) are the engine's business: read as None."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def page_path(source: str) -> str:
    """docs/jwt.md -> jwt/, index.md -> '' (directory URLs, as the site is built)."""
    stem = source[:-3]
    if stem == "index":
        return ""
    return (stem[: -len("index")] if stem.endswith("/index") else stem + "/")


def nav_pages(nav: list) -> list[tuple[str | None, str, str]]:
    """(section, nav title, source) in nav order; one level of sections, as this nav has."""
    pages = []

    def walk(entries: list, section: str | None) -> None:
        for entry in entries:
            (title, value), = entry.items() if isinstance(entry, dict) else ((None, entry),)
            if isinstance(value, list):
                walk(value, title if section is None else section)
            elif isinstance(value, str) and value.endswith(".md"):
                pages.append((section, title or value[:-3], value))

    walk(nav, None)
    return pages


def snippet_resolver(config: dict):
    settings = {}
    for entry in config.get("markdown_extensions") or []:
        if isinstance(entry, dict) and "pymdownx.snippets" in entry:
            settings = dict(entry["pymdownx.snippets"] or {})
    settings.pop("auto_append", None)  # the glossary: its tooltips are the page's, the copy keeps the words
    md = markdown.Markdown(extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": settings})
    return lambda text: "\n".join(md.preprocessors["snippet"].run(text.split("\n")))


def description_of(meta: dict, body: str) -> str:
    if meta.get("description"):
        return " ".join(str(meta["description"]).split())
    after_title = TITLE.split(body, 1)[-1]
    for block in re.split(r"\n\s*\n", after_title):
        if block.strip() and not block.lstrip().startswith(("!!!", "???", "```", "<", "-", "|", "#")):
            return " ".join(block.split())
    return ""


def absolute_links(body: str, source: str, base: str, site_dir: Path, sources: set[str]) -> str:
    folder = Path(source).parent

    def fix(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"[a-z]+:|/", target):
            return match.group(0)
        resolved = (folder / target).as_posix()
        if resolved in sources:
            url = base + page_path(resolved)
        elif (site_dir / resolved).is_file():
            url = base + resolved
        else:
            return match.group(0)
        return match.group(1) + url + (match.group(3) or "") + match.group(4)

    # Code is quoted as written: only lines outside fences change.
    out, fence = [], None
    for line in body.split("\n"):
        marker = re.match(r"\s*(```+|~~~+)", line)
        if marker and (fence is None or marker.group(1).startswith(fence)):
            fence = marker.group(1) if fence is None else None
        out.append(line if fence or marker else LINK.sub(fix, line))
    return "\n".join(out)


def write_llms(site_dir: Path, cache: Path) -> None:
    project = Path.cwd()
    try:
        config = yaml.load((project / CONFIG).read_text(encoding="utf-8"), Loader=_Loader) or {}
    except OSError as error:
        raise StepError(f"{CONFIG}: cannot read the nav ({error}); run from the project folder") from error
    docs = project / (config.get("docs_dir") or "docs")
    base = site_url(site_dir) or "/"
    base = base if base.endswith("/") else base + "/"
    pages = nav_pages(config.get("nav") or [])
    sources = {source for _, _, source in pages}
    resolve = snippet_resolver(config)

    head = [f"# {config.get('site_name') or 'Notes'}", "", f"> {' '.join(str(config.get('site_description') or '').split())}", ""]
    full, sections = list(head), {}
    for section, nav_title, source in pages:
        path = page_path(source)
        if not (site_dir / path / "index.html").is_file():
            continue  # not built (another engine may leave a page out): nothing to copy
        try:
            text = (docs / source).read_text(encoding="utf-8")
        except OSError as error:
            raise StepError(f"docs/{source}: in the nav but not readable ({error})") from error
        meta, body = {}, text
        if front := FRONT_MATTER.match(text):
            meta, body = yaml.safe_load(front.group(1)) or {}, text[front.end():]
        if not TITLE.search(body):
            raise StepError(f"docs/{source}: no `# ` title for its Markdown copy; add one")
        description = description_of(meta, body)
        if not description:
            raise StepError(f"docs/{source}: no description for llms.txt; add `description:` to its front matter")
        try:
            body = resolve(body.lstrip("\n"))
        except Exception as error:  # the extension's own error names the missing file
            raise StepError(f"docs/{source}: a snippet does not resolve: {error}") from error
        copy = absolute_links(body, source, base, site_dir, sources).rstrip() + "\n"
        (site_dir / path / "index.md").write_text(copy, encoding="utf-8")

        sections.setdefault(section or LOOSE, []).append(f"- [{nav_title}]({base}{path}index.md): {description}")
        full += ["---", "", f"Source: {base}{path}", f"Description: {description}", "", copy]
    index = list(head)
    for heading, lines in sections.items():  # in nav order of each section's first page
        index += [f"## {heading}", "", *lines, ""]
    (site_dir / "llms.txt").write_text("\n".join(index).rstrip() + "\n", encoding="utf-8")
    (site_dir / "llms-full.txt").write_text("\n".join(full).rstrip() + "\n", encoding="utf-8")
