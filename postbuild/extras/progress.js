// Revision progress: a reader marks a note as revised, on the note (a toggle under the title
// and one at its end) and on the revision page (one toggle per topic); the nav (sidebar and
// phone drawer) and the home page's cards show what is done. It lives in this browser only:
// one localStorage key, JSON {"<note path below the site root>": <time marked, ms>}.
//
// It finds the pages' own markup, so nothing is added at build time:
// - the site root: the extras bundle's (main.js), else Material's scope (window.__md_scope,
//   set by the first page's inline script), else __config's base against the URL the
//   document was first loaded at (after instant navigation location has moved on, but base
//   is relative to the first page);
// - the revision page: sections under an <h2 data-search-exclude> (README, "Reviewing a
//   note"), each for the note most of its links point to;
// - a note: any other page the nav links to (not the 404, 500 or offline page) with an <h1>,
//   but the home page and the tags index (headings made of tags);
// - the home page's cards: `.grid.cards`, each card's first link.

const KEY = "notes:progress"; // the loader takes any `notes:` key as a returning reader
const MARK = "data-notes-progress"; // on everything this module adds, so a re-run finds it

let root = ""; // the site root's URL, ending in "/"
let memory = null; // the progress when localStorage cannot be used (blocked, full)
let undo = null; // what "Wapas lao" restores after a clear, until the next page

export function init(site) {
  root = (site && site.root) || siteRoot();
  // Another tab marked or cleared: show it here too.
  addEventListener("storage", (event) => {
    if (event.key === KEY || event.key === null) render(document);
  });
}

export function onPage(doc, site) {
  if (site && site.root) root = site.root;
  undo = null;
  render(doc && doc.querySelector ? doc : document);
}

// --- Where things are ------------------------------------------------------------------

function siteRoot() {
  if (window.__md_scope instanceof URL) return new URL(".", window.__md_scope).href;
  const config = document.getElementById("__config");
  const first = performance.getEntriesByType("navigation")[0];
  let base = ".";
  try {
    base = JSON.parse(config.textContent).base || ".";
  } catch {
    // no __config (another engine): the page's folder stands in for the root
  }
  return new URL(base.endsWith("/") ? base : base + "/", first ? first.name : location.href).href;
}

// A page's key: its path below the site root ("jwt/", "" for the home page), or null for a
// link that leaves the site or points into a page (#section of the page itself).
function keyOf(href, allowHash = true) {
  let url;
  try {
    url = new URL(href, location.href);
  } catch {
    return null;
  }
  const base = new URL(root);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return null;
  if (!allowHash && url.hash && url.pathname === location.pathname) return null;
  return url.pathname.slice(base.pathname.length).replace(/(^|\/)index\.html$/, "$1");
}

// The page's key if it is one of the site's pages (the nav links to it), else null: the 404,
// 500 and offline pages stand in at any address and are nobody's note.
function pageKey(doc) {
  const here = keyOf(location.href);
  const inNav = [...doc.querySelectorAll(".md-nav--primary a.md-nav__link[href]")]
    .some((link) => keyOf(link.href, false) === here);
  return here !== null && inNav ? here : null;
}

function cleanText(el) {
  const copy = el.cloneNode(true);
  copy.querySelectorAll(".headerlink, [" + MARK + "]").forEach((e) => e.remove());
  return copy.textContent.replace(/\s+/g, " ").trim();
}

// The revision page's topics: [{heading, key, name}], the key being the note most of the
// section's links point to (not the revision page itself).
function topics(article, here) {
  const found = [];
  for (const heading of article.querySelectorAll("h2[data-search-exclude]")) {
    const counts = new Map();
    const start = heading.closest("[" + MARK + "=topic]") || heading;
    for (let el = start.nextElementSibling; el && !isTopic(el); el = el.nextElementSibling) {
      const links = el.matches("a[href]") ? [el] : el.querySelectorAll("a[href]");
      for (const a of links) {
        const key = keyOf(a.href);
        if (key !== null && key !== here) counts.set(key, (counts.get(key) || 0) + 1);
      }
    }
    const key = [...counts].sort((a, b) => b[1] - a[1])[0];
    if (key) found.push({ heading, key: key[0], name: cleanText(heading) });
  }
  return found;
}

function isTopic(el) {
  return el.matches("h1, h2, [" + MARK + "=topic]");
}

// --- The stored progress ---------------------------------------------------------------

function load() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY));
    memory = null;
    return value && typeof value === "object" && !Array.isArray(value) ? value : {};
  } catch {
    return memory || {};
  }
}

function save(done) {
  try {
    if (Object.keys(done).length) localStorage.setItem(KEY, JSON.stringify(done));
    else localStorage.removeItem(KEY);
    memory = null;
  } catch {
    memory = done; // kept for this page's life at least
  }
}

// Own keys only: a stored object's prototype ("constructor") is no note.
function isDone(done, key) {
  return key !== null && key !== undefined && Object.hasOwn(done, key);
}

function setDone(key, on) {
  const done = load();
  if (on) done[key] = Date.now();
  else delete done[key];
  undo = null;
  save(done);
  render(document);
}

function clearAll(focusNext) {
  const done = load();
  if (!Object.keys(done).length) return;
  save({});
  undo = done;
  render(document);
  focusNext();
}

function restore(focusNext) {
  if (!undo) return;
  save({ ...undo, ...load() });
  undo = null;
  render(document);
  focusNext();
}

// --- What the reader sees --------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// A toggle: a real button whose pressed state is the note's; its name says which note and
// starts with the words it shows (aria-label: a visually hidden span would be read after a
// space, "Revise ho gaya : JWT", as Chromium spaces out-of-flow boxes).
function toggle(key, name, where) {
  const button = el("button", { type: "button", class: "notes-progress-toggle notes-progress-toggle--" + where,
                                "data-notes-key": key, [MARK]: "toggle", "aria-pressed": "false",
                                "aria-label": "Revise ho gaya: " + name },
    el("span", { class: "notes-progress-box", "aria-hidden": "true" }),
    el("span", { class: "notes-progress-label" }, "Revise ho gaya"));
  button.addEventListener("click", () => setDone(key, button.getAttribute("aria-pressed") !== "true"));
  return button;
}

// Said after a nav entry or a card of a done note: a tick to see, words to hear.
function doneMark(visible) {
  return el("span", { class: visible ? "notes-progress-badge" : "notes-progress-tick", [MARK]: "done" },
    el("span", { class: "notes-progress-check", "aria-hidden": "true" }),
    el("span", { class: visible ? "" : "notes-progress-hidden" }, visible ? "Revise ho gaya" : " (revise ho gaya)"));
}

function setMark(host, on, visible) {
  const mark = host.querySelector(":scope > [" + MARK + "=done]");
  if (on && !mark) host.append(doneMark(visible));
  if (!on && mark) mark.remove();
}

// The progress line with "Progress saaf karo" (and "Wapas lao" just after a clear).
function summary() {
  const box = el("div", { class: "notes-progress-summary", [MARK]: "summary" },
    el("p", { class: "notes-progress-count", role: "status" }),
    el("button", { type: "button", class: "notes-progress-clear" }, "Progress saaf karo"),
    el("button", { type: "button", class: "notes-progress-undo" }, "Wapas lao"));
  const [, clear, back] = box.children;
  clear.addEventListener("click", () => clearAll(() => box.querySelector(".notes-progress-undo").focus()));
  back.addEventListener("click", () => restore(() => box.querySelector(".notes-progress-clear").focus()));
  return box;
}

function summaryText(count, total) {
  if (undo && !count) return "Progress saaf ho gaya.";
  if (total) return `${total} me se ${count} ` + (count === 1 ? "topic revise ho gaya." : "topics revise ho gaye.");
  if (!count) return "Abhi koi note revise nahi hua: har note ke upar aur end me \u201cRevise ho gaya\u201d dabao.";
  return count === 1 ? "1 note revise ho gaya." : `${count} notes revise ho gaye.`;
}

function render(doc) {
  if (!root) root = siteRoot();
  const done = load();
  const here = pageKey(doc);
  const content = doc.querySelector("article.md-content__inner, article");

  // The nav: sidebar and phone drawer are one element; the table of contents is left alone.
  for (const link of doc.querySelectorAll(".md-nav--primary a.md-nav__link[href]")) {
    if (link.closest(".md-nav--secondary")) continue;
    const key = keyOf(link.href, false);
    setMark(link, isDone(done, key), false);
  }
  // The page's own entry: on a phone, a label that opens its table of contents.
  for (const label of doc.querySelectorAll(".md-nav--primary label.md-nav__link[for=__toc]")) {
    setMark(label, isDone(done, here), false);
  }
  if (!content || here === null) return;

  const list = topics(content, here);
  const cards = here === "" ? content.querySelectorAll(".grid.cards > ul > li, .grid.cards > li") : [];
  const isTags = content.querySelector("h2 > .md-tag") !== null;
  const h1 = content.querySelector("h1");

  if (list.length) {
    // The revision page: a toggle beside each topic's heading, in one row with it (a
    // wrapper that takes over the heading's margins, so a topic stays one phone screen).
    for (const { heading, key, name } of list) {
      let row = heading.closest("[" + MARK + "=topic]");
      if (!row) {
        row = el("div", { class: "notes-progress-topic", [MARK]: "topic" });
        heading.replaceWith(row);
        row.append(heading, toggle(key, name, "topic"));
      }
    }
    ensureSummary(content, () => content.append(summary()));
  } else if (here === "" && cards.length) {
    for (const card of cards) {
      const link = card.querySelector("a[href]");
      const key = link && keyOf(link.href, false);
      const host = link && (link.closest("p") || link.parentElement);
      if (host) setMark(host, isDone(done, key), true);
    }
    const grid = cards[0].closest(".grid");
    ensureSummary(content, () => grid.after(summary()));
  } else if (here !== "" && h1 && !isTags) {
    // A note: one toggle beside the title, one at the end (where a reader finishes it).
    // Beside, floated as Material's edit button is, not under: a returning reader's bundle
    // runs after the page is shown, and a toggle pushed in under the title would move the
    // text they started reading.
    const name = cleanText(h1);
    if (!content.querySelector("[" + MARK + "=toggle].notes-progress-toggle--top")) {
      const top = toggle(here, name, "top");
      top.title = "Revise ho gaya";
      h1.before(top);
    }
    if (!content.querySelector("[" + MARK + "=toggle].notes-progress-toggle--end")) {
      const end = el("div", { class: "notes-progress-end", [MARK]: "end" }, toggle(here, name, "end"));
      const facts = content.querySelector(":scope > .md-source-file");
      if (facts) facts.before(end);
      else content.append(end);
    }
  }

  for (const button of content.querySelectorAll("[" + MARK + "=toggle]")) {
    button.setAttribute("aria-pressed", String(isDone(done, button.dataset.notesKey)));
  }
  const box = content.querySelector("[" + MARK + "=summary]");
  if (box) {
    const count = list.length ? list.filter((t) => isDone(done, t.key)).length : Object.keys(done).length;
    const text = summaryText(count, list.length);
    const status = box.querySelector(".notes-progress-count");
    if (status.textContent !== text) status.textContent = text;
    box.querySelector(".notes-progress-clear").hidden = !Object.keys(done).length;
    box.querySelector(".notes-progress-undo").hidden = !(undo && !Object.keys(done).length);
  }
}

function ensureSummary(content, insert) {
  if (!content.querySelector("[" + MARK + "=summary]")) insert();
}
