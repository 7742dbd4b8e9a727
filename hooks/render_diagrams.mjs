// Renders Mermaid diagrams to SVG with Mermaid's own CLI library, in Debian's Chromium
// (no browser download), for hooks/diagrams.py. One browser for the whole batch, one page
// per core drawing at a time (each diagram is drawn on its own page, so the order in which
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
async function draw({ id, definition, theme }) {
  try {
    const { data } = await renderMermaid(browser, definition, "svg", {
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
  while (next < jobs.length) {
    const index = next++;
    results[index] = await draw(jobs[index]);
  }
}
try {
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), jobs.length) }, drawNext));
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
