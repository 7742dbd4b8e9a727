// Material's two scripts as this site ships them, for scripts.py (one esbuild run for both).
// argv[2]: JSON {map: the installed page script's source map (its sourcesContent is every
// file esbuild put into the bundle), worker: Material's search worker, prelude: our search
// prelude, lazy: our lazy search loader, drop: the component folders to leave out (relative
// to src/templates/assets/javascripts/), replaced: package name -> the file that replaces
// it, out: the output folder}. Writes bundle.js and search.js into `out`.
//
// The page script: the lazy loader first (its module runs before Material's), then
// Material's script from its sources, with Material's own build options (tools/build/
// transform in its repository): esbuild, target es2015, bundled, minified. What differs:
// * rxjs comes from its ES2015 build (condition "es2015"), not its ES5 one with tslib's
//   helpers: the same target, so the same browsers, and a smaller script after brotli;
// * a left-out component's module exports the same functions, each logging an error and
//   throwing: a page that still mounted one would fail loudly in the browser tests (which
//   fail on a console error: Material's search catches what its parts throw), never
//   silently lose it;
// * a replaced package's imports resolve to its replacement;
// * both scripts are minified once more, as a whole, by SWC's minifier: its compression
//   leaves Material's scripts smaller after brotli than esbuild's minifier alone, which
//   every first visit pays for (tests/test_budgets.py). Licence comments are taken out
//   first and put after the code, each once (SWC keeps or drops one depending on where it
//   moves the code next to it; the MIT licences ask for their notices to stay).
// The worker: the prelude, then Material's worker, minified as one script.
// The map lists only files with code in the bundle, so the folders' re-exporting index
// files are written again here (each re-exports its sub-folders, as Material's do).
// Packages are the ones in package.json; their files must equal the map's, or this fails.
// A replaced package is not installed, nor compared.
import { minify } from "@swc/core";
import { build } from "esbuild";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const input = JSON.parse(process.argv[2]);
// Three compression passes: a fourth changes nothing.
const SWC = { compress: { passes: 3 }, mangle: true, format: { comments: false } };

async function minified(code) {
  const legal = [...new Set((code.match(/\/\*[\s\S]*?\*\//g) || [])
    .filter((comment) => comment.startsWith("/*!") || /@license|@preserve/.test(comment)))];
  const result = await minify(code, SWC);
  return result.code + "\n" + legal.map((comment) => comment + "\n").join("");
}
const drop = new Set(input.drop);
const replaced = input.replaced;
const root = "src/templates/assets/javascripts/";
const modules = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "node_modules");
const map = JSON.parse(fs.readFileSync(input.map, "utf8"));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "material-bundle-"));

try {
  const stale = [];
  map.sources.forEach((source, i) => {
    const content = map.sourcesContent[i];
    if (source.startsWith("node_modules/")) {
      if (source.split("/")[1] in replaced) return;
      const installed = path.join(modules, source.slice("node_modules/".length));
      if (!fs.existsSync(installed) || fs.readFileSync(installed, "utf8") !== content) stale.push(source);
      return;
    }
    if (!source.startsWith(root)) throw new Error(`unexpected source in the map: ${source}`);
    fs.mkdirSync(path.join(work, path.dirname(source)), { recursive: true });
    fs.writeFileSync(path.join(work, source), content);
  });
  if (stale.length)
    throw new Error("Material's bundle was built with other versions of these files than package.json " +
      `installs (pin the versions its map was built with): ${stale.join(", ")}`);

  // The index files that only re-export: one per folder without its own.
  const indexOf = (dir) => ["index.ts", "index.tsx"].find((f) => fs.existsSync(path.join(dir, f)));
  const reexport = (dir) => {
    const children = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())
      .map((d) => d.name).filter((name) => reexport(path.join(dir, name))).sort();
    if (!indexOf(dir) && children.length)
      fs.writeFileSync(path.join(dir, "index.ts"), children.map((c) => `export * from "./${c}"\n`).join(""));
    return Boolean(indexOf(dir));
  };
  const scripts = path.join(work, root);
  reexport(scripts);

  // Material's tsconfig.json: "~/" is its scripts' folder, JSX makes elements with its h().
  fs.writeFileSync(path.join(work, "tsconfig.json"), JSON.stringify({ compilerOptions: {
    baseUrl: "src", paths: { "~/*": ["./templates/assets/javascripts/*"] },
    jsx: "react", jsxFactory: "h", esModuleInterop: true } }));

  const entry = path.join(work, "entry.ts");
  fs.writeFileSync(entry, `import ${JSON.stringify(input.lazy)};\nimport "./${root}bundle";\n`);
  const unused = new Set(drop);
  const result = await build({
    entryPoints: [entry],
    target: "es2015",
    conditions: ["es2015"],
    bundle: true,
    write: false,
    minify: true,
    legalComments: "inline",
    nodePaths: [modules],
    tsconfig: path.join(work, "tsconfig.json"),
    logLevel: "silent",
    plugins: [{
      name: "leave-out-and-replace",
      setup(b) {
        b.onResolve({ filter: /^[^./~]/ }, (args) => (args.path in replaced ? { path: replaced[args.path] } : undefined));
        b.onLoad({ filter: /\.tsx?$/ }, (args) => {
          const rel = path.relative(scripts, args.path);
          const folder = [...drop].find((d) => rel === `${d}/index.ts` || rel === `${d}/_/index.ts`);
          if (!folder) return undefined;
          const names = [...fs.readFileSync(args.path, "utf8").matchAll(/^export function (\w+)/gm)].map((m) => m[1]);
          if (!names.length) return undefined;  // a re-exporting index: its "_" is the module
          unused.delete(folder);
          return {
            loader: "ts",
            contents: names.map((n) =>
              `export function ${n}(): never { const m = "${n}: left out of the page script by hooks/material9/scripts.py"; ` +
              "console.error(m); throw new Error(m) }\n").join(""),
          };
        });
      },
    }],
  });
  if (unused.size) throw new Error(`no such component in Material's sources: ${[...unused].join(", ")}`);
  // A warning (an import that is always undefined, say) is a script that does not work.
  if (result.warnings.length) throw new Error(result.warnings.map((w) => w.text).join("; "));
  fs.writeFileSync(path.join(input.out, "bundle.js"), await minified(result.outputFiles[0].text));

  const worker = fs.readFileSync(input.worker, "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
  const prelude = fs.readFileSync(input.prelude, "utf8");
  fs.writeFileSync(path.join(input.out, "search.js"), await minified(prelude + "\n" + worker));
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
