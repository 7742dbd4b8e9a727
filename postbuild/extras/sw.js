// The service worker (postbuild/offline.py builds it into sw.js at the site's root; not
// part of the extras bundle). BUILD is written in at build time: {version, list, offline,
// fingerprinted, pageHeaders}.
//
// Nothing is downloaded on install but the offline page and what it loads, and, after an
// update, what the reader had kept, again from this build. Then:
// * a page is network first (with a short timeout), kept for offline use; a page never
//   kept shows the offline page;
// * a fingerprinted file (its name is its content) is cache first;
// * images and diagrams are stale-while-revalidate;
// * anything else of the site (the search index, the sitemap) is network first.
// One cache per build (notes-<version>): a new build's worker fills its own on install and
// the old ones go on activate, so a page never meets another build's files. Fingerprinted
// files the old cache had are copied over, not downloaded again.
import { registerRoute } from "workbox-routing";
import { CacheFirst, NetworkFirst, StaleWhileRevalidate } from "workbox-strategies";

const SCOPE = self.registration.scope;
const CACHE = `notes-${BUILD.version}`;
const LIST_URL = new URL(BUILD.list, SCOPE).href;
const OFFLINE_URL = new URL(BUILD.offline, SCOPE).href;
const FINGERPRINTED = BUILD.fingerprinted.map((source) => new RegExp(source, "i"));
const IMAGE = /\.(?:png|jpe?g|gif|webp|avif|svg|ico)$/i;
// A cached response stands for its URL whatever the request's headers were (nginx varies
// pages on Sec-Fetch-Dest, which a script's request never shows).
const MATCH = { ignoreVary: true };
// Only a whole, plain 200 is kept: never an error, a redirect or a partial response.
const ONLY_OK = { cacheWillUpdate: async ({ response }) => (response.status === 200 && response.type === "basic" ? response : null) };
const CONCURRENCY = 6;

const own = (url) => url.href.startsWith(SCOPE);
const fingerprinted = (url) => FINGERPRINTED.some((regex) => regex.test(url.pathname));
const absolute = (path) => new URL(path, SCOPE).href;

// A page kept keeps its images and diagrams too (both schemes', every srcset candidate),
// even those the reader did not scroll to: offline, the page is whole.
const EMBED = /<(?:img|source)\b[^>]*>/gi;
const EMBED_URL = /\s(?:src|srcset)=(?:"([^"]*)"|'([^']*)'|([^\s>"']+))/gi;
async function embeds(response, base) {
  if (!(response.headers.get("Content-Type") || "").startsWith("text/html")) return [];
  const html = await response.clone().text();
  const urls = [];
  for (const [tag] of html.matchAll(EMBED))
    for (const match of tag.matchAll(EMBED_URL))
      for (const candidate of (match[1] ?? match[2] ?? match[3]).split(",")) {
        if (!candidate.trim()) continue;
        const url = new URL(candidate.trim().split(/\s+/)[0], base);
        url.hash = "";
        if (own(url)) urls.push(url.href);
      }
  return urls;
}
const WITH_EMBEDS = {
  cacheDidUpdate: async ({ request, newResponse }) => {
    const urls = [];
    for (const url of await embeds(newResponse, request.url))
      if (!(await caches.match(url, { cacheName: CACHE, ...MATCH }))) urls.push(url);
    await keep(urls);
  },
};
const pages = new NetworkFirst({ cacheName: CACHE, networkTimeoutSeconds: 4, matchOptions: MATCH,
  plugins: [ONLY_OK, WITH_EMBEDS] });
const assets = new CacheFirst({ cacheName: CACHE, matchOptions: MATCH, plugins: [ONLY_OK] });
const images = new StaleWhileRevalidate({ cacheName: CACHE, matchOptions: MATCH, plugins: [ONLY_OK] });

// A page the worker answers carries the policies nginx gives pages: a kept copy was fetched
// by script (instant navigation, "save all"), which nginx answers without them, and
// GitHub Pages sends none at all.
function asPage(response) {
  if (response.type === "opaqueredirect" || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(BUILD.pageHeaders)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function navigation(options) {
  let response;
  try {
    response = await pages.handle(options);
  } catch {
    response = undefined; // offline, and never kept
  }
  response = response || (await caches.match(OFFLINE_URL, { cacheName: CACHE, ...MATCH }));
  return response ? asPage(response) : Response.error();
}

// The list is always asked of the network; offline, the copy "save all" kept answers.
async function list({ request }) {
  try {
    return await fetch(request, { cache: "no-cache" });
  } catch {
    return (await caches.match(LIST_URL, { cacheName: CACHE, ...MATCH })) || Response.error();
  }
}

registerRoute(({ url }) => url.href === LIST_URL, list);
registerRoute(({ url }) => own(url) && fingerprinted(url), assets);
registerRoute(({ request, url }) => request.mode === "navigate" && own(url), navigation);
registerRoute(({ url }) => own(url) && IMAGE.test(url.pathname), images);
registerRoute(({ url, request }) => own(url) && request.method === "GET", pages);

// Keep `urls` in this build's cache, a few at a time, each page with what it embeds;
// `older` caches give fingerprinted files without a download. Calls done(url, ok) for each.
async function keep(urls, done = () => {}, older = []) {
  const cache = await caches.open(CACHE);
  const seen = new Set(urls);
  const queue = [...seen];
  async function worker() {
    while (queue.length) {
      const url = queue.shift();
      let ok = false;
      try {
        let response;
        if (fingerprinted(new URL(url)))
          for (const name of older) response = response || (await (await caches.open(name)).match(url, MATCH));
        // no-cache: the browser's copy is revalidated (a cheap 304), never taken as it is.
        response = response || (await fetch(url, { cache: "no-cache", credentials: "same-origin" }));
        if (response.status === 200) {
          for (const embedded of await embeds(response, url))
            if (!seen.has(embedded)) seen.add(embedded) && queue.push(embedded);
          await cache.put(url, response);
          ok = true;
        }
      } catch {
        ok = false;
      }
      done(url, ok);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function fetchList() {
  const response = await fetch(LIST_URL, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${LIST_URL}: ${response.status}`);
  return [response.clone(), await response.json()];
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const [, listing] = await fetchList();
    // A build published between this worker and its list: this install fails, the next
    // navigation tries again.
    if (listing.version !== BUILD.version) throw new Error("offline.json belongs to another build");
    const older = (await caches.keys()).filter((name) => name.startsWith("notes-") && name !== CACHE);
    const had = new Set();
    let savedAll = false;
    for (const name of older)
      for (const request of await (await caches.open(name)).keys()) {
        had.add(request.url);
        savedAll = savedAll || request.url === LIST_URL;
      }
    const files = listing.files.map(([path]) => absolute(path));
    const wanted = listing.offline.map(absolute);
    // What the reader had (all of it, after "save all"), in this build's version; the
    // pages then need this build's scripts and stylesheets.
    for (const url of files) if (savedAll || had.has(url)) wanted.push(url);
    if (had.size) for (const url of files) if (/\.min\.(?:js|css)$/.test(url) && fingerprinted(new URL(url))) wanted.push(url);
    const failed = [];
    await keep(wanted, (url, ok) => ok || failed.push(url), older);
    if (failed.length) throw new Error(`not kept: ${failed.join(" ")}`);
    if (savedAll) await (await caches.open(CACHE)).put(LIST_URL, (await fetchList())[0]);
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith("notes-") && name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

async function saveAll(port) {
  const [copy, listing] = await fetchList();
  if (listing.version !== BUILD.version) {
    port.postMessage({ type: "stale" }); // a newer build: the reader is told to reload first
    return;
  }
  const sizes = new Map(listing.files.map(([path, size]) => [absolute(path), size]));
  let done = 0;
  let bytes = 0;
  const failed = [];
  await keep([...sizes.keys()], (url, ok) => {
    if (!sizes.has(url)) return; // embedded by a page, yet not listed: kept, not counted
    done += 1;
    bytes += sizes.get(url);
    if (!ok) failed.push(url);
    port.postMessage({ type: "progress", done, bytes, total: sizes.size });
  });
  // The list kept marks "saved all": a new build's worker saves everything again.
  if (!failed.length) await (await caches.open(CACHE)).put(LIST_URL, copy);
  port.postMessage({ type: "done", failed });
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  const port = event.ports[0];
  if (message.type === "SKIP_WAITING") self.skipWaiting();
  else if (message.type === "SAVE_ALL" && port)
    event.waitUntil(saveAll(port).catch((error) => port.postMessage({ type: "done", failed: [String(error)] })));
  else if (message.type === "KEEP" && Array.isArray(message.urls))
    event.waitUntil(keep(message.urls.filter((url) => own(new URL(url)) && url !== LIST_URL)));
  else if (message.type === "STATUS" && port)
    event.waitUntil((async () => {
      const savedAll = !!(await caches.match(LIST_URL, { cacheName: CACHE, ...MATCH }));
      port.postMessage({ version: BUILD.version, savedAll });
    })());
});
