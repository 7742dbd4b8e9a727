// The browser code of postbuild/extras.py and postbuild/offline.py, built by esbuild in one
// Node run. argv[2]: JSON {kind, ...}; prints JSON on stdout.
// * kind "extras" {dir}: dir/main.css bundled and minified (its @imports inlined), then
//   dir/main.js bundled (the modules and their npm packages) and minified into one classic
//   script with the stylesheet's fingerprinted name written in, and dir/loader.js minified
//   with the bundle's name written in. Prints {css, js, loader, cssName, jsName,
//   loaderName}: names end in the content's sha256, 8 hex.
// * kind "sw" {entry, define}: the service worker, bundled with its Workbox modules into
//   one classic script (no importScripts: one file, one CSP, one cache entry), with the
//   build's facts (`define`: name -> JSON value). Prints {js}.
// * kind "icons" {svg, icons: [{size, maskable, background}]}: PNGs drawn by resvg,
//   base64. A maskable icon is the SVG drawn inside the safe zone (the middle 80 %) on a
//   full-bleed background, as the W3C manifest spec's purpose "maskable" asks.
import { build } from "esbuild";
import { createHash } from "node:crypto";

const input = JSON.parse(process.argv[2]);
// The language of the browsers that have service workers (and everything else used here).
const TARGET = "es2020";
const hash8 = (text) => createHash("sha256").update(text).digest("hex").slice(0, 8);

async function bundle(entry, options = {}) {
  const result = await build({
    entryPoints: [entry], bundle: true, minify: true, write: false, target: TARGET,
    legalComments: "eof", logLevel: "silent", ...options,
  });
  return result.outputFiles[0].text;
}

async function extras({ dir }) {
  const css = await bundle(`${dir}/main.css`, { loader: { ".css": "css" } });
  const cssName = `extras.${hash8(css)}.min.css`;
  const js = await bundle(`${dir}/main.js`, { format: "iife", define: { EXTRAS_CSS: JSON.stringify(cssName) } });
  const jsName = `extras.${hash8(js)}.min.js`;
  const loader = await bundle(`${dir}/loader.js`, { define: { EXTRAS_JS: JSON.stringify(jsName) } });
  return { css, js, loader, cssName, jsName, loaderName: `extras-loader.${hash8(loader)}.min.js` };
}

async function sw({ entry, define }) {
  const defines = Object.fromEntries(Object.entries(define).map(([name, value]) => [name, JSON.stringify(value)]));
  // Workbox's modules log only when process.env.NODE_ENV is not "production".
  defines["process.env.NODE_ENV"] = JSON.stringify("production");
  return { js: await bundle(entry, { format: "iife", define: defines }) };
}

async function icons({ svg, icons: wanted }) {
  const { Resvg } = await import("@resvg/resvg-js");
  const viewBox = svg.match(/viewBox="([^"]+)"/);
  if (!viewBox) throw new Error("the favicon has no viewBox");
  const [, , width, height] = viewBox[1].split(/\s+/).map(Number);
  return {
    icons: wanted.map(({ size, maskable, background }) => {
      let source = svg;
      if (maskable) {
        // The glyph in the middle 80 %, the rest the background: no launcher's mask cuts it.
        const inner = svg.replace(/^[\s\S]*?<svg[^>]*>/, "").replace(/<\/svg>\s*$/, "");
        const pad = 0.1 / 0.8;
        source = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${-width * pad} ${-height * pad} ${width * (1 + 2 * pad)} ${height * (1 + 2 * pad)}">`
          + `<rect x="${-width * pad}" y="${-height * pad}" width="${width * (1 + 2 * pad)}" height="${height * (1 + 2 * pad)}" fill="${background}"/>${inner}</svg>`;
      }
      const png = new Resvg(source, { fitTo: { mode: "width", value: size } }).render().asPng();
      return { size, maskable, png: Buffer.from(png).toString("base64") };
    }),
  };
}

const KINDS = { extras, sw, icons };
KINDS[input.kind](input).then(
  (result) => process.stdout.write(JSON.stringify(result)),
  (error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
  },
);
