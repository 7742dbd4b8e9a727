// Drops the CSS rules no page uses (PurgeCSS), then minifies what is left (Lightning CSS),
// for postbuild/stylesheet.py.
// stdin: JSON {css: the site's stylesheets, concatenated, html: [every page], js: [Material's
// scripts]}; stdout: the result.
// A selector is kept when its names appear in a built page or in Material's scripts (which
// add classes at run time; the one class they build from parts, md-tag--<type>, is
// safelisted). Components this site does not use are dropped even though the scripts
// name them (blocklist): each entry says why it is unused.
import { transform } from "lightningcss";
import { PurgeCSS } from "purgecss";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const [result] = await new PurgeCSS().purge({
  content: [...input.html.map((raw) => ({ raw, extension: "html" })), ...input.js.map((raw) => ({ raw, extension: "js" }))],
  css: [{ raw: input.css }],
  safelist: { standard: [/^md-tag--/] },
  // The scripts' words, except "rtl": the pages alone say which text direction is used
  // (<body dir=ltr>), so the [dir=rtl] rules go unless a page is right to left.
  extractors: [{
    extensions: ["js"],
    extractor: (text) => (text.match(/[A-Za-z0-9_-]+/g) || []).filter((word) => word !== "rtl"),
  }],
  // Material hides the light or dark copy of a diagram by its URL (img[src$="#only-dark"]):
  // PurgeCSS's word extractor sees no attributes, so src selectors are kept as a whole.
  dynamicAttributes: ["src"],
  // Custom properties no kept rule reads go too: Material declares an icon (an SVG data URL)
  // for every admonition kind, status and tag; only the used ones stay.
  variables: true,
  // (The version selector, repository widget, annotations and content tabs need no entry:
  // hooks/material9/ leaves them out of the script, so nothing names their classes.)
  blocklist: [
    /mermaid/, // diagrams are SVG files drawn at build time (hooks/diagrams.py); notes name the tool
    // Admonitions: only `note` and `warning` (the marking convention, tests/test_content.py).
    // Not `summary` or `cite`: they are also element names, which the blocklist would hit
    // (search results' "more on this page" is a <summary>; tests/test_visual.py caught it).
    /^(abstract|tldr|info|todo|tip|hint|important|success|check|done|question|help|faq|failure|fail|missing|danger|error|bug|example|quote|attention|caution)$/,
  ],
});
// Material's two stylesheets and ours, concatenated, repeat many selectors and declaration
// blocks; Lightning CSS merges them where the cascade allows. No `targets`: nothing is
// lowered and no vendor prefix is added or dropped, so browser support stays the theme's.
const { code } = transform({ filename: "site.css", code: Buffer.from(result.css), minify: true });
process.stdout.write(code);
