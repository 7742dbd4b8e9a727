// Renders Mermaid diagrams to SVG with Mermaid's own CLI library, in Debian's Chromium
// (no browser download), for hooks/diagrams.py. One browser for the whole batch, one tab
// per core drawing at a time.
// stdin: JSON [{id, definition, theme}]; stdout: JSON [{id, svg} | {id, error}].
// Jobs next to each other with the same definition (a diagram's light and dark drawing)
// are drawn one after the other in one document; every other diagram gets a fresh one.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { renderMermaid } from "@mermaid-js/mermaid-cli";
import puppeteer from "puppeteer";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const jobs = JSON.parse(Buffer.concat(chunks).toString("utf8"));

// Debian's headless shell (package chromium-headless-shell) when it is installed: the same
// SVGs as the full browser (tests/test_diagrams.py) for about two thirds of its CPU.
// CHROMIUM names another browser; a full Chrome or Chromium runs in its headless mode.
const executablePath = process.env.CHROMIUM
  || ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium"].find((path) => existsSync(path))
  || "/usr/bin/chromium";
const browser = await puppeteer.launch({
  executablePath,
  headless: /headless[-_]shell/.test(executablePath) ? "shell" : true,
  // Root in a build container needs --no-sandbox; the rest keeps Chromium off the network.
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync"],
});

// renderMermaid opens a new tab, loads Mermaid (its modules, CSS and fonts) into it, draws
// one diagram and closes the tab: loading was most of a diagram's cost. Here it gets a
// worker's tab, kept for all that worker's diagrams, and a diagram's second drawing reuses
// the document of its first (navigating and loading are skipped; Mermaid's modules are
// already in the page and mermaid.initialize starts from Mermaid's defaults). Mermaid keeps
// a little state between renders in module variables: a sequence diagram's actors are
// numbered on from the previous one's (the ids in the dark SVG). So a document never
// draws two different diagrams, and a diagram's dark SVG is always drawn right after its
// light one (diagrams.py always asks for both): its bytes depend on its definition alone.
// The tab's request handlers are the first diagram's; the later diagrams' (the same) are
// not added again, or each request would be answered twice.
class Tab {
  constructor(page) {
    this.page = page;
    this.handlers = false;
    this.loaded = false;
    const proxy = new Proxy(page, {
      get: (target, name) => {
        if (name === "on") return (event, handler) => (this.handlers ? proxy : (target.on(event, handler), proxy));
        if (name === "goto" || name === "addStyleTag") {
          return async (...args) => (this.loaded ? undefined : target[name](...args));
        }
        if (name === "close") return async () => {};
        const value = Reflect.get(target, name, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    this.browser = { newPage: async () => proxy }; // what renderMermaid opens its tab in
  }
}

async function draw(tab, { id, definition, theme }) {
  try {
    const { data } = await renderMermaid(tab.browser, definition, "svg", {
      backgroundColor: "transparent",
      // The SVG's own CSS is scoped to this id: it must not start with a digit (an
      // invalid CSS selector would leave the diagram unstyled).
      svgId: `diagram-${id}`,
      mermaidConfig: {
        theme,
        // Arial's metrics (Liberation Sans here): boxes sized at build time fit the text
        // wherever the SVG is shown. Plain SVG text: an <img> shows no HTML labels.
        fontFamily: "Arial, 'Liberation Sans', Helvetica, sans-serif",
        htmlLabels: false,
        flowchart: { htmlLabels: false },
        sequence: { useMaxWidth: false },
      },
    });
    return { id, svg: new TextDecoder().decode(data) };
  } catch (error) {
    return { id, error: String(error.message || error).split("\n").slice(0, 4).join("\n") };
  }
}

// Groups of job indexes: consecutive jobs with the same definition.
const groups = [];
jobs.forEach((job, index) => {
  if (index > 0 && job.definition === jobs[index - 1].definition) groups.at(-1).push(index);
  else groups.push([index]);
});

const results = [];
let next = 0;
async function drawNext() {
  let tab = null;
  while (next < groups.length) {
    const group = groups[next++];
    for (const index of group) {
      tab ??= new Tab(await browser.newPage());
      results[index] = await draw(tab, jobs[index]);
      if ("svg" in results[index]) {
        tab.handlers = tab.loaded = true;
      } else { // a failed drawing may leave the tab half set up: the next one gets a new tab
        await tab.page.close();
        tab = null;
      }
    }
    if (tab) tab.loaded = false; // the next diagram: a fresh document
  }
}
try {
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), groups.length) }, drawNext));
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
