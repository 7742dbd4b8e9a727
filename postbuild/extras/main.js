// The extras bundle's entry (README.md beside this file is the contract). Loaded by the
// loader (loader.js), never on a first visit's critical path. It adds the extras
// stylesheet and, once that has loaded, runs each module's init() once and its
// onPage(document) for the page shown and after every instant navigation.
import * as copy from "./copy.js";
import * as offline from "./offline.js";
import * as progress from "./progress.js";
import * as quiz from "./quiz.js";
import * as zoom from "./zoom.js";

const MODULES = { offline, progress, zoom, copy, quiz };
// This script's own URL locates the site: it is <root>assets/javascripts/extras.*.js, and
// the stylesheet's name is written in at build time (postbuild/extras.mjs).
const here = document.currentScript ? document.currentScript.src : document.baseURI;
const site = Object.freeze({
  root: new URL("../../", here).href,
  assets: new URL("../", here).href,
  // The clicks and key presses the loader saw before this script ran (loader.js), oldest first.
  pending: Object.freeze(Array.isArray(window.__notesPending) ? [...window.__notesPending] : []),
});
window.__notesPending = null;

function run(name, hook, ...args) {
  try {
    const result = hook(...args);
    if (result && typeof result.catch === "function") result.catch((error) => console.error(`extras ${name}:`, error));
  } catch (error) {
    // One module's failure must not keep the others from running.
    console.error(`extras ${name}:`, error);
  }
}

const link = document.createElement("link");
link.rel = "stylesheet";
link.href = new URL(`../stylesheets/${EXTRAS_CSS}`, here).href;
// In <body>, not <head>: Material's instant navigation removes every <head> element the
// next page lacks, and leaves the body's own children outside its container alone.
document.body.append(link);

function start() {
  for (const [name, module] of Object.entries(MODULES)) if (typeof module.init === "function") run(name, module.init, site);
  // Material's page script sets window.document$: it replays the page shown to a new
  // subscriber, then emits after every instant navigation. Another engine may have none:
  // then the page shown is the only one.
  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(onPage);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => onPage(document));
  else onPage(document);
}

function onPage(doc) {
  for (const [name, module] of Object.entries(MODULES))
    if (typeof module.onPage === "function") run(name, module.onPage, doc, site);
}

// The controls go in only once their stylesheet applies: put in unstyled, they would push
// the text the reader is on, then jump again when it lands. A stylesheet that fails still
// lets them work.
link.addEventListener("load", start, { once: true });
link.addEventListener("error", start, { once: true });
