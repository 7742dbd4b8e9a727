// Drops the CSS rules no page uses (PurgeCSS), for hooks/assets.py.
// stdin: the site's stylesheets, concatenated; argv[2]: the built site; stdout: the result.
// Kept: every selector whose class names appear in a built page or in Material's scripts
// (which add classes at run time), and every md-* component class, which Material also
// builds from parts at run time.
import { PurgeCSS } from "purgecss";

const site = process.argv[2];
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);

const [result] = await new PurgeCSS().purge({
  content: [`${site}/**/*.html`, `${site}/assets/javascripts/**/*.js`],
  css: [{ raw: Buffer.concat(chunks).toString("utf8") }],
  safelist: { standard: [/^md-/] },
  // Material hides the light or dark copy of a diagram by its URL (img[src$="#only-dark"]):
  // PurgeCSS's word extractor sees no attributes, so src selectors are kept as a whole.
  dynamicAttributes: ["src"],
});
process.stdout.write(result.css);
