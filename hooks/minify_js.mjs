// Minifies a script again as a whole (SWC's minifier), for hooks/search.py.
// argv[2]: SWC's minify options, as JSON; stdin: the script; stdout: the result.
// Licence comments (/*! ... */ or with @license or @preserve) are taken out first and put
// after the code, each once and in their order, as esbuild's legalComments "eof" does:
// SWC keeps or drops such a comment depending on where its compression moves the code
// next to it (it kept none of lunr's in the search worker, nor clipboard.js's in the
// bundle), and the MIT licences ask for their notices to stay with the code.
import { minify } from "@swc/core";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const code = Buffer.concat(chunks).toString("utf8");

const legal = [...new Set((code.match(/\/\*[\s\S]*?\*\//g) || [])
  .filter((comment) => comment.startsWith("/*!") || /@license|@preserve/.test(comment)))];
const result = await minify(code, { ...JSON.parse(process.argv[2]), format: { comments: false } });
process.stdout.write(result.code + "\n" + legal.map((comment) => comment + "\n").join(""));
