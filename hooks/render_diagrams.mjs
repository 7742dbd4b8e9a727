// Renders Mermaid diagrams to SVG with Mermaid's own CLI library (its documented
// renderMermaid), in the Chromium diagrams.py names, for hooks/diagrams.py. One browser for
// the batch, one diagram per core at a time, each in a fresh tab (renderMermaid's own), so a
// diagram's SVG depends on its definition alone.
// stdin: JSON [{id, definition, theme}]; stdout: JSON [{id, svg} | {id, error}].
// Environment: CHROMIUM (the browser), CHROMIUM_FLAGS (JSON list, hooks/shared.py).
import { availableParallelism } from "node:os";
import { renderMermaid } from "@mermaid-js/mermaid-cli";
import puppeteer from "puppeteer";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const jobs = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const executablePath = process.env.CHROMIUM;
const browser = await puppeteer.launch({
  executablePath,
  // Debian's headless shell runs in its own mode; a full Chrome or Chromium in headless mode.
  headless: /headless[-_]shell/.test(executablePath) ? "shell" : true,
  args: JSON.parse(process.env.CHROMIUM_FLAGS),
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
