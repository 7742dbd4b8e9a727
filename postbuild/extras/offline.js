// Offline and installable, the page's side (the worker is sw.js beside this file):
// * registers the service worker (workbox-window) at the site's root;
// * the page the worker was not yet there for is kept when it takes control;
// * "save all notes for offline" on the home page and the offline page: what it downloads
//   (files and size, from the build's offline.json), its progress, and the result;
// * a newer build's worker waiting: the reader is told, and reloads to get it.
// State for the loader: `notes:offline` in localStorage once the reader saved everything.
import { Workbox } from "workbox-window";

const KEY = "notes:offline";
const MARK = "data-notes-offline";
let site = null;
let wb = null;

function megabytes(bytes) {
  return bytes < 1e6 ? `${Math.max(1, Math.round(bytes / 1e3))} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function element(tag, attributes = {}, text = "") {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  if (text) el.textContent = text;
  return el;
}

// A message to the active worker, with a port for its answers.
async function ask(message, onAnswer) {
  const registration = await navigator.serviceWorker.ready;
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => onAnswer(event.data);
  registration.active.postMessage(message, [channel.port2]);
}

function keepThisPage() {
  const urls = [location.href.split("#")[0], ...performance.getEntriesByType("resource").map((entry) => entry.name)]
    .filter((url) => url.startsWith(site.root));
  navigator.serviceWorker.controller?.postMessage({ type: "KEEP", urls });
}

function showUpdate() {
  if (document.querySelector("[data-notes-update]")) return;
  const notice = element("div", { class: "notes-update md-typeset", role: "status", "data-notes-update": "" });
  notice.append(element("p", {}, "Notes ka naya version ready hai."));
  const button = element("button", { class: "md-button md-button--primary", type: "button" }, "Reload karo");
  button.addEventListener("click", () => {
    button.disabled = true;
    // The new worker takes over, then the page loads again from it.
    wb.addEventListener("controlling", () => location.reload());
    wb.messageSkipWaiting();
  });
  notice.append(button);
  document.body.append(notice);
}

export function init(s) {
  site = s;
  if (!("serviceWorker" in navigator)) return;
  wb = new Workbox(new URL("sw.js", site.root).href, { scope: site.root });
  wb.addEventListener("waiting", showUpdate);
  wb.addEventListener("controlling", (event) => {
    if (!event.isUpdate) keepThisPage();
  });
  // A page opened in an open tab sees a new build at its next navigation; this one asks now.
  return wb.register().then((registration) => registration && registration.update().catch(() => {}));
}

function isHome(doc) {
  return new URL(location.href).pathname === new URL(site.root).pathname;
}

function setStatus(control, state, text) {
  const status = control.querySelector("[data-notes-offline-status]");
  status.dataset.state = state;
  status.textContent = text;
}

async function fill(control) {
  const response = await fetch(new URL("offline.json", site.root).href, { cache: "no-cache" });
  if (!response.ok) throw new Error(`offline.json: ${response.status}`);
  const listing = await response.json();
  const total = listing.files.reduce((sum, [, size]) => sum + size, 0);
  const offer = control.querySelector("[data-notes-offline-size]");
  offer.dataset.files = String(listing.files.length);
  offer.dataset.bytes = String(total);
  offer.textContent = `${listing.files.length} files, ${megabytes(total)}`;
  const button = control.querySelector("[data-notes-offline-save]");
  const progress = control.querySelector("progress");
  button.disabled = false;
  if ("serviceWorker" in navigator)
    ask({ type: "STATUS" }, (answer) => {
      if (answer.savedAll && control.querySelector("[data-notes-offline-status]").dataset.state === "idle")
        setStatus(control, "idle", "Saare notes is device pe saved hain.");
    });
  button.addEventListener("click", () => {
    button.disabled = true;
    progress.max = listing.files.length;
    progress.value = 0;
    progress.hidden = false;
    setStatus(control, "saving", "Save ho rahe hain…");
    ask({ type: "SAVE_ALL" }, (answer) => {
      if (answer.type === "progress") {
        progress.value = answer.done;
        setStatus(control, "saving", `${answer.done} / ${answer.total} files save hue (${megabytes(answer.bytes)})`);
      } else if (answer.type === "stale") {
        setStatus(control, "failed", "Notes ka naya version aaya hai: page reload karke phir save karo.");
        button.disabled = false;
      } else if (answer.type === "done") {
        progress.hidden = true;
        button.disabled = false;
        if (answer.failed.length) {
          setStatus(control, "failed", `${answer.failed.length} files save nahi hui: internet check karke phir try karo.`);
        } else {
          try {
            localStorage.setItem(KEY, JSON.stringify({ version: listing.version, saved: Date.now() }));
          } catch {
            // Without storage the worker still has everything; only the loader's hint is lost.
          }
          setStatus(control, "done", "Saare notes save ho gaye: ab bina internet ke bhi padh sakte ho.");
        }
      }
    });
  });
}

export function onPage(doc) {
  if (!("serviceWorker" in navigator)) return;
  const offlinePage = doc.querySelector("[data-notes-offline-page]");
  if (!offlinePage && !isHome(doc)) return;
  const article = doc.querySelector("article") || doc.body;
  if (article.querySelector(`[${MARK}]`)) return;
  const control = element("section", { class: "notes-offline", [MARK]: "", "aria-labelledby": "notes-offline-title" });
  control.append(element("h2", { id: "notes-offline-title" }, "Offline padhne ke liye"));
  const offer = element("p", {}, "Saare notes, diagrams, images aur search is device pe save karo: ");
  offer.append(element("span", { "data-notes-offline-size": "" }, "…"));
  offer.append(".");
  control.append(offer);
  control.append(element("button", { class: "md-button md-button--primary", type: "button", disabled: "",
    "data-notes-offline-save": "" }, "Saare notes offline save karo"));
  const progress = element("progress", { value: "0", max: "1", "aria-label": "Save progress" });
  progress.hidden = true;
  control.append(progress);
  control.append(element("p", { role: "status", "data-notes-offline-status": "", "data-state": "idle" }));
  (offlinePage ? offlinePage.parentElement : article).append(control);
  return fill(control).catch(() => setStatus(control, "failed", "Abhi offline ho: online hone par save kar sakte ho."));
}
