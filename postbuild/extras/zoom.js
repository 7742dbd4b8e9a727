// Zoom: a diagram, or an image shown narrower than its file, opens full screen on a tap, a
// click, or Enter/Space, to be pinched, dragged, wheeled and keyed (+ - 0, arrows) at any
// size; Escape, the close button or the back gesture closes it, and focus goes back to
// where it came from.
//
// - The triggers: every `figure.diagram` of hooks/diagrams.py (already a Tab stop, for
//   scrolling it sideways on a phone: Enter/Space on it opens the zoom too), and every image
//   of the article shown narrower than its width attribute (postbuild/images.py gives every
//   local image one). Each gets a visible button under it that says what it does, so a
//   reader learns that a diagram opens, and a screen reader hears a button, not a figure.
// - The viewer is a native modal <dialog> (the page behind is inert, Escape closes it) named
//   by the diagram's caption, with the image's alt text. Pinch, drag, wheel and keys move
//   one transform through @panzoom/panzoom: 3.3 kB brotli against PhotoSwipe 5's 16.7 kB
//   (script and stylesheet), whose gallery would still need our own history, +/- keys,
//   palette switch and focus return; the dialog, keys and history are ours either way. The
//   image never leaves the screen for good: after a drag or a zoom out it slides back to
//   cover the screen, or to the middle when it is smaller.
// - The drawing follows the palette: a figure's `#only-light` / `#only-dark` pair (Material's
//   convention) is shown by `data-md-color-scheme`, also when it changes while open.
// - History: opening pushes one entry (history.state["notes:zoom"]) on the same URL, so the
//   back gesture closes the zoom; closing by button or Escape takes that entry back. Material's
//   instant navigation would fetch the page again on such a popstate: guardMaterial() keeps
//   the zoom's own popstate events from it.

import Panzoom from "@panzoom/panzoom";

const STATE = "notes:zoom"; // history.state key: the index of the trigger shown
const MARK = "data-notes-zoom"; // on each trigger (figure, image, button): its index
const LOCK = "notes-zoom-lock"; // on <html> while open: the page behind does not scroll
const KEY_PAN = 0.15; // an arrow key moves the image by this share of the screen
const WHEEL = { line: 16, ctrl: 0.01, plain: 0.002 }; // deltaY to zoom: trackpad pinch is ctrl+wheel

const TEXT = {
  open: "Bada karke dekho",
  zoomIn: "Zoom in karo (+)",
  zoomOut: "Zoom out karo (−)",
  reset: "Pehle jaisa karo (0)",
  close: "Band karo",
  hint:
    "Do ungliyon se pinch karke ya mouse wheel se zoom karo, kheench ke idhar-udhar dekho. " +
    "Keyboard: + aur − se zoom, 0 se pehle jaisa, arrow keys se idhar-udhar, Escape se band.",
  image: "Tasveer",
};

const ICONS = {
  // Material Design Icons (Apache 2.0), as in Material's own buttons.
  open: "M15.5 14h-.79l-.28-.27A6.47 6.47 0 0 0 16 9.5 6.5 6.5 0 1 0 9.5 16c1.61 0 3.09-.59 4.23-1.57l.27.28v.79l5 4.99L20.49 19zm-6 0C7 14 5 12 5 9.5S7 5 9.5 5 14 7 14 9.5 12 14 9.5 14m.5-7H9v2H7v1h2v2h1v-2h2V9h-2z",
  zoomIn: "M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6z",
  zoomOut: "M19 13H5v-2h14z",
  reset: "M12 5V1L7 6l5 5V7c3.31 0 6 2.69 6 6s-2.69 6-6 6-6-2.69-6-6H4c0 4.42 3.58 8 8 8s8-3.58 8-8-3.58-8-8-8",
  close: "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z",
};

const icon = (name) =>
  `<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="${ICONS[name]}"/></svg>`;

let dialog = null; // built once, by init
let title, stage, shown; // the dialog's heading, the area that takes gestures, its <img>
let panzoom = null; // while open
let triggers = []; // this page's: {images: [img, ...], name, alt, back (gets focus on close)}
let current = -1; // the index open, or -1
let returnTo = null; // where focus goes on close
let page = ""; // pathname + search of the page these triggers belong to
let pops = 0; // popstate events still to come from our own history.back()
let closingByBack = false; // the close was a Back: its entry is gone already
let pushed = false; // the entry opening pushed is the current one (Material's replaceState
// may rewrite its state, e.g. anchor tracking, so this is not read from history.state)
let scheme = null; // watches data-md-color-scheme while open
let pending = []; // events from before the bundle ran, for the first onPage
let held = [0, 0]; // the page's scroll offset when the zoom opened
let refocus = null; // what had the focus back at the last close

export function init(site) {
  dialog = document.createElement("dialog");
  dialog.className = "notes-zoom";
  dialog.setAttribute("aria-labelledby", "notes-zoom-title");
  dialog.setAttribute("aria-describedby", "notes-zoom-hint");
  dialog.tabIndex = -1; // focus lands on the dialog itself: its name is read first, and Enter closes nothing
  dialog.innerHTML =
    `<div class="notes-zoom__bar">` +
    `<h2 class="notes-zoom__title" id="notes-zoom-title"></h2>` +
    `<button type="button" class="notes-zoom__button" data-act="out" aria-label="${TEXT.zoomOut}" title="${TEXT.zoomOut}">${icon("zoomOut")}</button>` +
    `<button type="button" class="notes-zoom__button" data-act="in" aria-label="${TEXT.zoomIn}" title="${TEXT.zoomIn}">${icon("zoomIn")}</button>` +
    `<button type="button" class="notes-zoom__button" data-act="reset" aria-label="${TEXT.reset}" title="${TEXT.reset}">${icon("reset")}</button>` +
    `<button type="button" class="notes-zoom__button notes-zoom__close" data-act="close">${icon("close")}<span>${TEXT.close}</span></button>` +
    `</div>` +
    `<div class="notes-zoom__stage"><img class="notes-zoom__img" alt="" draggable="false"></div>` +
    `<p class="notes-zoom__hint" id="notes-zoom-hint">${TEXT.hint}</p>`;
  title = dialog.querySelector(".notes-zoom__title");
  stage = dialog.querySelector(".notes-zoom__stage");
  shown = dialog.querySelector(".notes-zoom__img");
  document.body.append(dialog);

  dialog.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-act]");
    if (button) act(button.dataset.act);
  });
  dialog.addEventListener("keydown", onDialogKey);
  dialog.addEventListener("close", onClosed);
  stage.addEventListener("wheel", onWheel, { passive: false });
  stage.addEventListener("dblclick", (event) => {
    if (!panzoom) return;
    if (panzoom.getScale() > 1.01) panzoom.reset({ animate: true });
    else panzoom.zoomToPoint(2.5, event, { animate: true });
    settleSoon();
  });
  shown.addEventListener("panzoomend", () => settle(true));
  addEventListener("resize", refit);

  // Capture: before Material's instant navigation sees a click, and before a page handler.
  document.addEventListener("click", onClick, true);
  document.addEventListener("keydown", onTriggerKey, true);
  addEventListener("popstate", onPopState);
  guardMaterial();

  // The loader (README.md beside this file) keeps the clicks and keys that happened while
  // this bundle was on its way: a tap on a diagram may be what loaded it. They are replayed
  // once the first onPage has marked the triggers.
  pending = [...((site && site.pending) || [])];
}

export function onPage(doc) {
  const root = doc && doc.querySelector ? doc : document;
  if (dialog && dialog.open) {
    // A new page under an open zoom (a script navigated): its entry belongs to the old page.
    closingByBack = true;
    dialog.close();
  }
  page = location.pathname + location.search;
  pops = 0;
  triggers = [];
  // Idempotent: what an earlier run on this same content added is taken off first.
  for (const button of root.querySelectorAll("button.notes-zoom-open")) button.remove();
  for (const el of root.querySelectorAll(`[${MARK}]`)) {
    el.removeAttribute(MARK);
    el.classList.remove("notes-zoomable");
  }
  for (const figure of root.querySelectorAll(".md-content figure.diagram")) {
    const images = [...figure.querySelectorAll(":scope > img")];
    if (!images.length) continue;
    const caption = figure.querySelector("figcaption");
    const name = (caption ? caption.textContent : images[0].alt).replace(/\s+/g, " ").trim();
    add(figure, images, name, images[0].alt, figure);
  }
  const check = (img) => wide(img) && addImage(img);
  for (const img of root.querySelectorAll(".md-content article img")) {
    if (img.closest("figure.diagram, a, [" + MARK + "]") || img.hasAttribute(MARK)) continue;
    if (img.complete || img.hasAttribute("width")) check(img);
    else img.addEventListener("load", () => check(img), { once: true });
  }
  for (const event of pending.splice(0)) {
    if (event.type === "click") onClick(event);
    else if (event.type === "keydown") onTriggerKey(event);
  }
}

// --- Triggers --------------------------------------------------------------------------

// Shown narrower than its file: zooming shows more. An image without a width attribute is
// measured once it has loaded. One not laid out (in a collapsed box, or the other palette's
// twin) is measured against the article's column, the most it could be shown at.
function wide(img) {
  const article = img.closest("article");
  const drawn = img.getBoundingClientRect().width || (article ? article.clientWidth : 0);
  const own = parseFloat(img.getAttribute("width")) || img.naturalWidth;
  return drawn > 0 && own > drawn + 1;
}

function addImage(img) {
  if (img.hasAttribute(MARK)) return;
  // The same pair logic as a figure: an image may have an #only-dark twin beside it.
  const twin = pairOf(img);
  const images = twin ? [img, twin] : [img];
  const name = (img.title || img.alt || TEXT.image).replace(/\s+/g, " ").trim();
  // The button goes after the later of the two in the page.
  const last = twin && img.compareDocumentPosition(twin) & Node.DOCUMENT_POSITION_FOLLOWING ? twin : img;
  add(null, images, name, img.alt, null, last.closest("picture") || last);
}

function pairOf(img) {
  const match = /#only-(light|dark)$/.exec(img.getAttribute("src") || "");
  if (!match) return null;
  const other = match[1] === "light" ? "dark" : "light";
  const holder = (img.closest("picture") || img).parentElement;
  return [...holder.querySelectorAll("img")].find((i) => (i.getAttribute("src") || "").endsWith("#only-" + other)) || null;
}

// A trigger: index on the focusable holder (a diagram's figure) and the images; a button
// after `after` (a figure's end by default). Returns the button.
function add(holder, images, name, alt, back, after) {
  const index = triggers.length;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "notes-zoom-open";
  button.setAttribute(MARK, index);
  // Starts with the visible words (WCAG 2.5.3): a voice user says what they see.
  button.setAttribute("aria-label", `${TEXT.open}: ${name}`);
  button.innerHTML = `${icon("open")}<span>${TEXT.open}</span>`;
  if (holder) {
    holder.setAttribute(MARK, index);
    holder.classList.add("notes-zoomable");
    holder.append(button);
  } else {
    button.classList.add("notes-zoom-open--image");
    after.after(button);
  }
  for (const img of images) {
    img.setAttribute(MARK, index);
    img.classList.add("notes-zoomable");
  }
  triggers.push({ images, name, alt: alt || "", back: back || button });
  return button;
}

function onClick(event) {
  if (event.defaultPrevented || event.button > 0 || !event.target || !event.target.closest) return;
  const el = event.target.closest(`[${MARK}]`);
  if (!el || !el.isConnected || !triggers[el.getAttribute(MARK)]) return;
  // On a figure only a tap on the drawing opens: its caption and scrollbar stay the page's.
  if (el.tagName === "FIGURE" && event.target.tagName !== "IMG") return;
  event.preventDefault();
  const index = Number(el.getAttribute(MARK));
  open(index, el.tagName === "BUTTON" ? el : triggers[index].back);
}

function onTriggerKey(event) {
  if (event.key !== "Enter" && event.key !== " ") return;
  const el = event.target;
  // The figure itself (a Tab stop); a button activates by its own click.
  if (!el || el.tagName !== "FIGURE" || !el.hasAttribute(MARK) || !el.isConnected) return;
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  event.preventDefault(); // Space would scroll the page
  open(Number(el.getAttribute(MARK)), el);
}

// --- The viewer ------------------------------------------------------------------------

function open(index, back, push = true) {
  const trigger = triggers[index];
  if (!trigger || !dialog) return;
  if (dialog.open) return;
  current = index;
  returnTo = back;
  title.textContent = trigger.name;
  shown.alt = trigger.alt;
  source();
  document.documentElement.classList.add(LOCK);
  // The dialog would give focus back to what had it by a plain focus(), which scrolls a tall
  // figure to the middle of the screen; onClosed gives it back without scrolling instead.
  if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
  dialog.showModal();
  dialog.focus();
  fit();
  scheme = new MutationObserver(source);
  scheme.observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  held = [scrollX, scrollY];
  if (push) history.pushState({ ...asObject(history.state), [STATE]: index }, "");
  pushed = true; // pushed now, or reopened by Forward onto the entry pushed before
}

const asObject = (state) => (state && typeof state === "object" ? state : {});

// The drawing for the palette shown: the dark one of a pair on a dark scheme.
function source() {
  const trigger = triggers[current];
  if (!trigger) return;
  const dark = document.body.getAttribute("data-md-color-scheme") === "slate";
  const want = dark ? "#only-dark" : "#only-light";
  const img = trigger.images.find((i) => (i.getAttribute("src") || "").endsWith(want)) || trigger.images[0];
  // Without the fragment: Material hides `img[src$="#only-dark"]` on a light page, this one too.
  const url = largest(img).split("#")[0];
  if (shown.src !== url) shown.src = url;
  shown.dataset.scheme = dark ? "dark" : "light";
}

// The widest file the image has: its <picture>'s WebP sources, its srcset, or its src.
function largest(img) {
  const sets = [img.getAttribute("srcset") || ""];
  const picture = img.closest("picture");
  if (picture) for (const s of picture.querySelectorAll("source")) sets.push(s.getAttribute("srcset") || "");
  let best = null;
  let bestWidth = 0;
  for (const set of sets) {
    for (const candidate of set.split(",")) {
      const [url, size] = candidate.trim().split(/\s+/);
      const width = parseFloat(size) || 0;
      if (url && width > bestWidth) [best, bestWidth] = [url, width];
    }
  }
  return best ? new URL(best, document.baseURI).href : img.currentSrc || img.src;
}

// The image fills the screen's width or height at scale 1 (an SVG may grow to it, a photo
// only up to its own pixels); Panzoom scales from there.
function fit() {
  const trigger = triggers[current];
  const img = trigger.images[0];
  const width = parseFloat(img.getAttribute("width")) || img.naturalWidth || 1;
  const height = parseFloat(img.getAttribute("height")) || img.naturalHeight || 1;
  const area = stage.getBoundingClientRect();
  const vector = /\.svg(#|$)/i.test(img.getAttribute("src") || "");
  let scale = Math.min(area.width / width, area.height / height);
  if (!vector) scale = Math.min(scale, 1);
  shown.style.width = `${width * scale}px`;
  shown.style.height = `${height * scale}px`;
  if (panzoom) panzoom.destroy();
  panzoom = Panzoom(shown, {
    canvas: true, // a drag anywhere on the stage moves the image, not only on the image
    cursor: "grab",
    minScale: 1,
    // Up to three times the drawing's own size, and never less than four times the fit.
    maxScale: Math.max(4, 3 / scale),
    step: 0.3,
    handleStartEvent: (event) => event.preventDefault(), // no text selection, no native drag
  });
}

// A turned phone: fit the new screen, keeping the reader's zoom.
function refit() {
  if (current < 0 || !panzoom) return;
  const scale = panzoom.getScale();
  fit();
  if (scale > 1) panzoom.zoom(scale, { animate: false });
  settleSoon();
}

function act(what) {
  if (!panzoom) return;
  if (what === "in") panzoom.zoomIn({ animate: true });
  else if (what === "out") panzoom.zoomOut({ animate: true });
  else if (what === "reset") panzoom.reset({ animate: true });
  else if (what === "close") dialog.close();
  settleSoon();
}

function onDialogKey(event) {
  // Material's shortcuts (n, p, /, s) must not act on the page behind.
  event.stopPropagation();
  if (!panzoom || event.altKey || event.ctrlKey || event.metaKey) return;
  const area = stage.getBoundingClientRect();
  const by = (dx, dy) => () => {
    const scale = panzoom.getScale();
    const { x, y } = panzoom.getPan();
    // Pan values are in the image's own units: scaled by the zoom when drawn.
    panzoom.pan(x - (dx * area.width * KEY_PAN) / scale, y - (dy * area.height * KEY_PAN) / scale, { animate: true });
  };
  const keys = {
    "+": () => act("in"), "=": () => act("in"),
    "-": () => act("out"), "_": () => act("out"),
    "0": () => act("reset"),
    ArrowLeft: by(-1, 0), ArrowRight: by(1, 0), ArrowUp: by(0, -1), ArrowDown: by(0, 1),
  };
  const run = keys[event.key];
  if (!run) return;
  event.preventDefault();
  run();
  settleSoon();
}

function onWheel(event) {
  if (!panzoom) return;
  event.preventDefault();
  const lines = event.deltaMode === 1 ? WHEEL.line : event.deltaMode === 2 ? stage.clientHeight : 1;
  const delta = (event.deltaY || event.deltaX) * lines;
  const scale = panzoom.getScale() * Math.exp(-delta * (event.ctrlKey ? WHEEL.ctrl : WHEEL.plain));
  panzoom.zoomToPoint(scale, event);
  settleSoon();
}

let settling = 0;
function settleSoon() {
  clearTimeout(settling);
  settling = setTimeout(() => settle(true), 250); // after the zoom's 200 ms transition
}

// Keep the image on screen: a side larger than the stage covers it edge to edge, a smaller
// one sits in the middle.
function settle(animate) {
  if (!panzoom) return;
  const scale = panzoom.getScale();
  const { x, y } = panzoom.getPan();
  const area = stage.getBoundingClientRect();
  const w = shown.offsetWidth * scale;
  const h = shown.offsetHeight * scale;
  // transform: scale(s) translate(x, y) about the centre moves the image by s·x, s·y.
  const limitX = Math.max(0, (w - area.width) / 2) / scale;
  const limitY = Math.max(0, (h - area.height) / 2) / scale;
  const toX = Math.min(limitX, Math.max(-limitX, x));
  const toY = Math.min(limitY, Math.max(-limitY, y));
  if (toX !== x || toY !== y) panzoom.pan(toX, toY, { animate, force: true });
}

function onClosed() {
  clearTimeout(settling);
  if (panzoom) panzoom.destroy();
  panzoom = null;
  if (scheme) scheme.disconnect();
  scheme = null;
  shown.removeAttribute("style");
  document.documentElement.classList.remove(LOCK);
  current = -1;
  if (!closingByBack && pushed) {
    pops += 1;
    history.back(); // the entry opening pushed; its popstate is ours to swallow
  }
  closingByBack = false;
  pushed = false;
  if (returnTo && returnTo.isConnected) returnTo.focus({ preventScroll: true });
  refocus = returnTo;
  returnTo = null;
}

// What a popstate on this page means for the zoom: "ours" (the one our own close caused),
// "close" (Back from the zoom's entry), "reopen" (Forward onto it), or "" (not the zoom's).
// A pure function of the moment, so Material's guard and our listener agree.
function meaning(event) {
  if (location.pathname + location.search !== page) return ""; // another page: Material's
  if (pops > 0) return "ours";
  const wanted = asObject(event.state)[STATE];
  if (dialog && dialog.open) return wanted === current ? "" : "close";
  return typeof wanted === "number" && triggers[wanted] ? "reopen" : "";
}

function onPopState(event) {
  const what = meaning(event);
  if (what === "ours" || what === "close") {
    if (what === "ours") pops -= 1;
    else {
      closingByBack = true;
      dialog.close();
    }
    // Back onto the page's entry: Chromium scrolls to the URL's #section (Material's anchor
    // tracking keeps one there) after this event, even with scrollRestoration "manual". The
    // page goes back where the reader left it before the next frame is painted.
    // Chromium also takes the focus off at that scroll (the #section is no focus target), so
    // it is given back again there.
    const [x, y] = held;
    const focus = returnTo || refocus; // a Back closes after this event, a button before
    requestAnimationFrame(() => {
      scrollTo(x, y);
      if (focus && focus.isConnected && !(dialog && dialog.open)) focus.focus({ preventScroll: true });
    });
  } else if (what === "reopen") {
    const index = asObject(event.state)[STATE];
    open(index, triggers[index].back, false);
  }
}

// Material's instant navigation fetches and re-injects the page on any popstate that is the
// first since the page loaded (it compares with the previous URL it saw). Its listener on
// window was added before ours, and listeners on window run in the order they were added,
// so stopping the event comes too late. Instead the popstate events of the zoom are kept out
// of Material's location subject (window.location$, the page script's public hook): its
// subscription looks up `next` on each value, so an own `next` sees them first.
function guardMaterial() {
  const subject = window.location$;
  if (!subject || typeof subject.next !== "function" || subject.next.notesZoom) return;
  const next = subject.next;
  const guarded = function (url) {
    const event = window.event;
    if (event && event.type === "popstate" && meaning(event)) return undefined;
    return next.apply(this, arguments);
  };
  guarded.notesZoom = true;
  subject.next = guarded;
}
