// Renders Mermaid diagrams to SVG with Mermaid's own CLI library, in Debian's Chromium
// (no browser download), for hooks/diagrams.py. One browser for the whole batch, one tab
// per core drawing at a time (each diagram in a fresh document, so the order in which
// they finish changes nothing in an SVG).
// stdin: JSON [{id, definition, theme}]; stdout: JSON [{id, svg} | {id, error}].
import { availableParallelism } from "node:os";
import { renderMermaid } from "@mermaid-js/mermaid-cli";
import puppeteer from "puppeteer";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const jobs = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Root in a build container needs --no-sandbox; the rest keeps Chromium off the network.
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync"],
});

// renderMermaid opens a new page (a tab, with a renderer process of its own) for each
// diagram and closes it after. Here each worker keeps one tab for its diagrams: every
// diagram still gets a fresh document, as renderMermaid navigates and loads Mermaid anew
// (Mermaid keeps state between renders in module variables, e.g. sequence diagrams' actor
// numbers, so a diagram drawn in a used document would differ), only the tab and its
// process are reused. Handlers belong to the tab: those of the first diagram stay, and the
// next diagrams' (the same) are not added again, or each request would be answered twice.
function reusedPage(page) {
  let ready = false;
  const reused = new Proxy(page, {
    get(target, name) {
      if (name === "on") return (event, handler) => (ready ? reused : (target.on(event, handler), reused));
      if (name === "close") return async () => {};
      const value = Reflect.get(target, name, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { page: reused, setUp: () => { ready = true; }, close: () => page.close() };
}

async function draw(worker, { id, definition, theme }) {
  try {
    const { data } = await renderMermaid(worker, definition, "svg", {
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

const results = [];
let next = 0;
async function drawNext() {
  // The worker's tab, handed to renderMermaid in place of the browser it would open pages
  // in; a diagram that failed may have left it half set up, so the next one gets a new tab.
  let page = null;
  while (next < jobs.length) {
    const index = next++;
    page ??= reusedPage(await browser.newPage());
    results[index] = await draw({ newPage: async () => page.page }, jobs[index]);
    if ("svg" in results[index]) {
      page.setUp();
    } else {
      await page.close();
      page = null;
    }
  }
}
try {
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), jobs.length) }, drawNext));
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
