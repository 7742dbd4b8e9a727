// Material's page script built again from its own sources, for hooks/bundle.py.
// argv[2]: the installed bundle's source map (its sourcesContent is every file esbuild put
// into the bundle); argv[3]: the output file; argv[4]: JSON list of the component folders
// to leave out (relative to src/templates/assets/javascripts/); argv[5]: JSON object,
// package name -> the file that replaces it.
//
// Material's own build options (tools/build/transform in its repository): esbuild,
// target es2015, bundled, licence comments inline, minified. What differs, each for bytes:
// * rxjs comes from its ES2015 build (condition "es2015"), not its ES5 one with tslib's
//   helpers: the same target, so the same browsers, and a smaller script after brotli;
// * a left-out component's module exports the same functions, each logging an error and
//   throwing: a page that still mounted one would fail loudly in the browser tests (which
//   fail on a console error: Material's search catches what its parts throw), never
//   silently lose it;
// * a replaced package's imports resolve to its replacement.
// The map lists only files with code in the bundle, so the folders' re-exporting index
// files are written again here (each re-exports its sub-folders, as Material's do).
// Packages are the ones in package.json; their files must equal the map's, or this fails.
// A replaced package is not installed, nor compared.
import { build } from "esbuild";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [mapFile, outFile, dropJson, replacedJson] = process.argv.slice(2);
const drop = new Set(JSON.parse(dropJson));
const replaced = JSON.parse(replacedJson);
const root = "src/templates/assets/javascripts/";
const modules = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "node_modules");
const map = JSON.parse(fs.readFileSync(mapFile, "utf8"));
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

  const unused = new Set(drop);
  const result = await build({
    entryPoints: [path.join(scripts, "bundle.ts")],
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
              `export function ${n}(): never { const m = "${n}: left out of the page script by hooks/bundle.py"; ` +
              "console.error(m); throw new Error(m) }\n").join(""),
          };
        });
      },
    }],
  });
  if (unused.size) throw new Error(`no such component in Material's sources: ${[...unused].join(", ")}`);
  // A warning (an import that is always undefined, say) is a script that does not work.
  if (result.warnings.length) throw new Error(result.warnings.map((w) => w.text).join("; "));
  fs.writeFileSync(outFile, result.outputFiles[0].text);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
