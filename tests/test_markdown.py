"""Markdown as authors write it for GitHub renders as GitHub shows it (hooks/gfm.py, and
pymdownx.magiclink in mkdocs.yml), and the notes already on the site render as before.

Rendered with Python-Markdown configured from mkdocs.yml itself, plus the hook's extension;
the expected structure is what CommonMark (GitHub) makes of the same text. No site build:
these run in a few seconds."""

from __future__ import annotations

import re

import markdown
import pytest
from bs4 import BeautifulSoup, NavigableString
from mkdocs.utils import yaml_load

from harness.paths import ROOT
from hooks.gfm import PRIORITY, GfmListsExtension, normalise

FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)(?:-{3}|\.{3})[ \t]*\n", re.S)


def site_extensions() -> tuple[list[str], dict[str, dict]]:
    """mkdocs.yml's markdown_extensions: names in order, and their settings."""
    config = yaml_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    names, settings = [], {}
    for entry in config["markdown_extensions"]:
        name, options = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        names.append(name)
        settings[name] = dict(options or {})
    # Snippets resolves paths from the working directory; the tests may run from anywhere.
    settings["pymdownx.snippets"]["base_path"] = [str(ROOT)]
    return names, settings


NAMES, SETTINGS = site_extensions()


def render(text: str, gfm: bool = True, magiclink: bool = True, settings: dict | None = None) -> str:
    names = [name for name in NAMES if magiclink or name != "pymdownx.magiclink"]
    extensions = names + ([GfmListsExtension()] if gfm else [])
    return markdown.Markdown(extensions=extensions, extension_configs=settings or SETTINGS).convert(text)


def outline(html: str) -> str:
    """The page's list and code structure in one line: "ol[li(a ul[li(b)]) li(c)]".
    Paragraph tags are left out (tight and loose lists read the same), code blocks are
    "code", links [text](href), text is kept with its whitespace collapsed."""

    def walk(node) -> list[str]:
        parts = []
        for child in node.children:
            if isinstance(child, NavigableString):
                if text := " ".join(child.split()):
                    parts.append(text)
            elif child.name in ("ul", "ol"):
                start = f" start={child['start']}" if child.has_attr("start") else ""
                parts.append(f"{child.name}{start}[{' '.join(walk(child))}]")
            elif child.name == "li":
                parts.append(f"li({' '.join(walk(child))})")
            elif "highlight" in child.get("class", []):
                parts.append("code")
            elif child.name == "a" and child.has_attr("href"):
                parts.append(f"[{child.get_text()}]({child['href']})")
            else:
                parts += walk(child)
        return parts

    return " ".join(walk(BeautifulSoup(html, "html.parser")))


def code_texts(html: str) -> list[str]:
    return [code.get_text() for code in BeautifulSoup(html, "html.parser").select(".highlight pre > code")]


# The configuration ------------------------------------------------------------------------


def test_the_site_configures_the_extensions_these_tests_render_with():
    assert {"admonition", "attr_list", "md_in_html", "pymdownx.superfences", "pymdownx.highlight",
            "pymdownx.magiclink", "pymdownx.details", "tables", "toc", "pymdownx.snippets"} <= set(NAMES)
    # Bare URLs only: no repository or user shorthands, no provider-specific rewriting.
    assert not {k: v for k, v in SETTINGS["pymdownx.magiclink"].items() if v}


def test_the_preprocessor_runs_after_snippets_and_before_fences():
    md = markdown.Markdown(extensions=[*NAMES, GfmListsExtension()], extension_configs=SETTINGS)
    order = [item.name for item in sorted(md.preprocessors._priority, key=lambda item: -item.priority)]
    assert order.index("snippet") < order.index("normalize_whitespace") < order.index("gfm_lists")
    assert order.index("gfm_lists") < order.index("fenced_code_block") < order.index("html_block")
    assert md.preprocessors._priority[md.preprocessors.get_index_for_name("gfm_lists")].priority == PRIORITY


def test_mkdocs_loads_the_hook_after_checks_and_it_registers_the_extension(monkeypatch):
    """The way a build gets it: mkdocs.yml's hooks: list, on_config, then every page's
    Markdown from config.markdown_extensions (what mkdocs.structure.pages.Page.render does)."""
    from mkdocs.config import load_config

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    config = load_config(str(ROOT / "mkdocs.yml"))
    hooks = list(config["hooks"])
    assert hooks[hooks.index("hooks/checks.py") + 1] == "hooks/gfm.py"
    gfm = config["hooks"]["hooks/gfm.py"]
    gfm.on_config(config)
    gfm.on_config(config)  # `mkdocs serve` may call it again: still one instance
    assert sum(isinstance(ext, gfm.GfmListsExtension) for ext in config.markdown_extensions) == 1
    html = markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs).convert(
        "Steps:\n1. one\n   - nested\n2. two\n"
    )
    assert outline(html) == "Steps: ol[li(one ul[li(nested)]) li(two)]"


# Nested lists ---------------------------------------------------------------------------


@pytest.mark.parametrize("spaces", [2, 3, 4])
def test_nested_bullets_nest_at_any_indent_of_2_to_4_spaces(spaces):
    pad = " " * spaces
    text = f"- a\n{pad}- b\n{pad}{pad}- c\n{pad}- d\n- e\n"
    assert outline(render(text)) == "ul[li(a ul[li(b ul[li(c)]) li(d)]) li(e)]"


@pytest.mark.parametrize("spaces", [2, 3, 4])
def test_nested_numbered_lists_keep_one_outer_list_and_its_numbers(spaces):
    pad = " " * spaces
    text = f"1. one\n{pad}1. one.one\n{pad}2. one.two\n2. two\n{pad}- bullet\n3. three\n"
    assert outline(render(text)) == "ol[li(one ol[li(one.one) li(one.two)]) li(two ul[li(bullet)]) li(three)]"


def test_a_tab_counts_as_four_columns():
    assert outline(render("- a\n\t- b\n\t\t- c\n")) == "ul[li(a ul[li(b ul[li(c)])])]"


def test_without_the_extension_the_same_lists_are_flattened():
    """What the notes looked like before: the reason for the extension, and proof that
    the tests above would notice it missing."""
    assert outline(render("- a\n  - b\n", gfm=False)) == "ul[li(a) li(b)]"
    assert outline(render("1. one\n   - x\n2. two\n", gfm=False)) == "ol[li(one) li(x) li(two)]"


def test_nesting_is_generous_where_an_item_is_indented_short_of_its_content_column():
    # "1.  " puts the content at column 4; GitHub would end the list at the 3-space line.
    assert outline(render("1.  Header\n\n   - Purpose\n2. Next\n")) == "ol[li(Header ul[li(Purpose)]) li(Next)]"


def test_an_ordered_list_keeps_its_first_number():
    assert outline(render("Steps left:\n\n3. three\n4. four\n")) == "Steps left: ol start=3[li(three) li(four)]"


# Fences inside items --------------------------------------------------------------------


def test_a_fence_indented_3_spaces_stays_in_its_numbered_item():
    text = (
        "1. **Check the version**\n\n"
        "   ```bash\n   git --version\n   ```\n\n"
        "   → prints the version.\n\n"
        "2. **Set the name**\n\n"
        "   ```bash\n   git config --global user.name \"A\"\n   ```\n"
    )
    html = render(text)
    assert outline(html) == "ol[li(Check the version code → prints the version.) li(Set the name code)]"
    assert code_texts(html) == ["git --version\n", 'git config --global user.name "A"\n']
    ol = BeautifulSoup(html, "html.parser").find("ol")
    assert not ol.has_attr("start") and len(ol.find_all("li", recursive=False)) == 2


def test_a_fence_right_under_an_item_line_stays_in_that_item():
    text = "1. one\n   ```js\n   let a = 1;\n   ```\n2. two\n3. three\n"
    html = render(text)
    assert outline(html) == "ol[li(one code) li(two) li(three)]"
    assert code_texts(html) == ["let a = 1;\n"]


def test_a_fence_in_a_nested_item_with_its_body_indented_past_the_fence():
    text = (
        "1. **Close**:\n"
        "   - Example:\n"
        "     ```javascript\n"
        "     ws.on('close', () => {\n"
        "       console.log('band');\n"
        "     });\n"
        "     ```\n"
        "2. **Terminate**:\n"
        "  - turant\n"
    )
    html = render(text)
    assert outline(html) == "ol[li(Close : ul[li(Example: code)]) li(Terminate : ul[li(turant)])]"
    assert code_texts(html) == ["ws.on('close', () => {\n  console.log('band');\n});\n"]


def test_a_fence_at_the_outer_items_column_leaves_the_nested_list():
    # CommonMark: the fence at column 3 is not in "- retry" (content at 5) but in item 3.
    text = "3. **Reconnect**:\n   - retry:\n   ```js\n   connect();\n   ```\n4. **Fallback**\n"
    assert outline(render(text)) == "ol start=3[li(Reconnect : ul[li(retry:)] code) li(Fallback)]"


def test_a_fence_under_a_bullet_item_indented_2_spaces():
    text = "- Example:\n\n  ```html\n  <p>hi</p>\n    <b>x</b>\n  ```\n- Next\n"
    html = render(text)
    assert outline(html) == "ul[li(Example: code) li(Next)]"
    assert code_texts(html) == ["<p>hi</p>\n  <b>x</b>\n"]


@pytest.mark.parametrize("fence", ["```", "~~~"])
@pytest.mark.parametrize("where", ["root", "item", "admonition"])
def test_lines_inside_a_fence_are_never_rewritten(fence, where):
    body = "- x\n  - y\n\n1. z\nText\n- after text\n      - deep"
    block = f"{fence}text\n{body}\n{fence}"
    if where == "item":
        block = "- item\n\n" + "\n".join("  " + line if line else "" for line in block.split("\n"))
    elif where == "admonition":
        block = '!!! note "Box"\n\n' + "\n".join("    " + line if line else "" for line in block.split("\n"))
    assert code_texts(render(block + "\n")) == [body + "\n"]


def test_an_unclosed_fence_in_an_item_is_left_as_written():
    lines = ["- a", "  ```", "  - x", "    - y"]
    assert normalise(lines) == lines


# A list right after a paragraph line ----------------------------------------------------


@pytest.mark.parametrize("marker", ["-", "*", "+", "1."])
def test_a_list_right_after_a_paragraph_line_is_a_list(marker):
    tag = "ol" if marker == "1." else "ul"
    assert outline(render(f"Kuch points:\n{marker} one\n{marker} two\n")) == f"Kuch points: {tag}[li(one) li(two)]"


def test_an_indented_list_after_a_paragraph_line_is_a_list():
    assert outline(render("Jab user aata hai\n   - server detect karta hai\n")) == (
        "Jab user aata hai ul[li(server detect karta hai)]"
    )


def test_a_list_after_a_later_paragraph_of_an_item_nests_in_that_item():
    text = "- a\n\n  More about a:\n  - a.1\n  - a.2\n- b\n"
    assert outline(render(text)) == "ul[li(a More about a: ul[li(a.1) li(a.2)]) li(b)]"


def test_a_number_that_cannot_start_a_list_inside_a_paragraph_stays_text():
    # CommonMark: only "1." may start an ordered list that interrupts a paragraph.
    assert outline(render("Ye saal tha\n2024. Achha tha.\n")) == "Ye saal tha 2024. Achha tha."


def test_a_fence_right_after_a_paragraph_line_is_a_code_block():
    html = render("Example:\n```js\nlet a;\n```\nAfter it.\n")
    assert outline(html) == "Example: code After it."
    assert [p.get_text() for p in BeautifulSoup(html, "html.parser").find_all("p")] == ["Example:", "After it."]


def test_a_heading_right_after_an_item_is_no_part_of_it():
    assert outline(render("- a\n## Next\n")).startswith("ul[li(a)] Next")


# Bare URLs ------------------------------------------------------------------------------


def test_a_bare_url_is_a_link_and_nothing_else_is():
    html = render("Docs: https://example.com/x?y=1#z, aur www.example.org bhi. @octocat, owner/repo#12\n")
    assert outline(html) == (
        "Docs: [https://example.com/x?y=1#z](https://example.com/x?y=1#z) , aur "
        "[www.example.org](http://www.example.org) bhi. @octocat, owner/repo#12"
    )
    # No shorthand or provider links: every link goes where the text says.
    assert [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a")] == [
        "https://example.com/x?y=1#z", "http://www.example.org"]


def test_a_url_in_code_stays_code():
    html = render("`https://example.com/a`\n\n```text\nhttps://example.com/b\n```\n")
    assert not BeautifulSoup(html, "html.parser").find_all("a")


# Admonitions, snippets, front matter, HTML, tables --------------------------------------


def test_an_admonition_body_with_a_nested_list_stays_in_the_admonition():
    text = '!!! note "Yaad rakho (editor ne joda)"\n\n    Points:\n    - a\n      - a.1\n    - b\n\nAfter.\n'
    html = render(text)
    box = BeautifulSoup(html, "html.parser").select_one("div.admonition")
    assert outline(str(box)) == "Yaad rakho (editor ne joda) Points: ul[li(a ul[li(a.1)]) li(b)]"
    assert outline(html).endswith("After.")


def test_an_admonition_inside_a_numbered_item_keeps_its_4_space_body():
    text = '1. one\n\n    !!! warning "Correction: x"\n\n        - fixed\n          - detail\n\n2. two\n'
    html = render(text)
    assert outline(html) == "ol[li(one Correction: x ul[li(fixed ul[li(detail)])]) li(two)]"
    assert BeautifulSoup(html, "html.parser").select_one("ol > li div.admonition ul ul")


def test_included_text_is_normalised_too(tmp_path):
    (tmp_path / "part.md").write_text("- a\n  - b\n", encoding="utf-8")
    settings = {**SETTINGS, "pymdownx.snippets": {**SETTINGS["pymdownx.snippets"], "base_path": [str(tmp_path), str(ROOT)]}}
    assert outline(render('--8<-- "part.md"\n', settings=settings)) == "ul[li(a ul[li(b)])]"


@pytest.mark.parametrize("text", [
    "---\ntags:\n  - a\n    - b\n---\n- x\n",
    "<div>\n- a\n  - b\n\n- c\n</div>\n",
    "<!-- a note\n- a\n  - b\n-->\n",
    "| a | b |\n|---|---|\n| - x | 1 |\n",
    "    - code at the root\n      - stays code\n",
])
def test_front_matter_html_tables_and_root_code_are_left_as_written(text):
    lines = text.split("\n")
    assert normalise(lines) == lines


def test_text_is_never_changed_only_indentation_and_blank_lines():
    text = "Intro:\n- a\n  - b\n   cont\n1. x\n   ```sh\n   ls\n   ```\n2. y\n"
    out = normalise(text.split("\n"))
    assert [line.strip() for line in out if line.strip()] == [line.strip() for line in text.split("\n") if line.strip()]


# Code fences: every language Pygments knows, and none -----------------------------------


@pytest.mark.parametrize("lang", ["js", "ts", "html", "css", "sql", "sh", "python", "nginx", "bash", "yaml", "json"])
def test_a_fence_in_any_pygments_language_is_highlighted_code(lang):
    block = BeautifulSoup(render(f"```{lang}\nx\n```\n"), "html.parser").select_one("div.highlight")
    assert block is not None and f"language-{lang}" in block["class"] and block.select_one("pre > code")


def test_a_fence_without_a_language_is_plain_code():
    # GitHub shows it as plain code; pymdownx.highlight's default lexer is "text".
    block = BeautifulSoup(render("```\nx = 1\n```\n"), "html.parser").select_one("div.highlight")
    assert block["class"] == ["language-text", "highlight"] and block.select_one("pre > code").get_text() == "x = 1\n"


# The notes already on the site ----------------------------------------------------------

# Every page docs/ had when the extension came (a fixed list: later notes are written for
# it). Each renders exactly as before, but for the differences listed here, each a fix:
# (page, HTML before, HTML now).
EXISTING_PAGES = ("index.md", "es-modules.md", "http-methods.md", "headers.md", "status-codes.md",
                  "jwt.md", "cors.md", "docker.md", "redis.md", "revision.md", "tags.md")
FIXES = [
    # The author numbered 4-6 after a box in item 3; the site showed them as 1-3, GitHub as 4-6.
    ("docker.md", "<ol>\n<li><strong>Isolation</strong>", '<ol start="4">\n<li><strong>Isolation</strong>'),
]


@pytest.mark.parametrize("page", EXISTING_PAGES)
def test_the_existing_notes_render_as_before(page):
    source = (ROOT / "docs" / page).read_text(encoding="utf-8")
    match = FRONT_MATTER.match(source)
    body = source[match.end():] if match else source
    before = render(body, gfm=False, magiclink=False)
    for fixed_page, old, new in FIXES:
        if fixed_page == page:
            assert before.count(old) == 1, f"{page}: the listed fix no longer applies: {old!r}"
            before = before.replace(old, new)
    assert render(body) == before
