// "Markdown copy karo": a button beside a note's title that puts the note's Markdown copy
// (<page>/index.md, written by postbuild/llms.py) on the clipboard. The copy is fetched on
// the tap, not before: a reader who never taps pays nothing. A visible "Copy ho gaya" (or
// "Copy nahi hua") confirms it, in a live region for screen readers too.

const MARK = "data-notes-copy"; // on the button, so a re-run finds it
const SVG = "http://www.w3.org/2000/svg";
// Material Design Icons' content-copy, as Material's own code-copy button draws it.
const ICON = "M19 21H8V7h11m0-2H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2m-3-4H4a2 2 0 0 0-2 2v14h2V3h12V1Z";
const SAID_FOR_MS = 2500;

// The page's copy: its folder's index.md. Only pages at a folder URL have one (the error
// and offline pages are files, and have none).
function copyUrl(location) {
  const url = new URL(location.href);
  if (!url.pathname.endsWith("/")) return null;
  url.hash = "";
  url.search = "";
  return new URL("index.md", url).href;
}

function markdown(url) {
  return fetch(url, { cache: "no-cache" }).then((response) => {
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response.text();
  });
}

// ClipboardItem with a promise keeps the tap's user activation while the copy downloads
// (Safari demands it); writeText after the fetch for browsers without ClipboardItem.
async function toClipboard(text) {
  if (typeof window.ClipboardItem === "function" && navigator.clipboard.write) {
    const blob = text.then((t) => new Blob([t], { type: "text/plain" }));
    await navigator.clipboard.write([new window.ClipboardItem({ "text/plain": blob })]);
  } else {
    await navigator.clipboard.writeText(await text);
  }
}

function button(url) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = "notes-copy";
  node.setAttribute(MARK, "");
  node.setAttribute("aria-label", "Markdown copy karo");
  node.title = "Markdown copy karo";
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICON);
  svg.append(path);
  // Shown beside the button without moving anything (absolutely placed), read out as status.
  const said = document.createElement("span");
  said.className = "notes-copy-said";
  said.setAttribute("role", "status");
  node.append(svg, said);
  let timer = 0;
  node.addEventListener("click", async () => {
    let words = "Copy ho gaya";
    try {
      await toClipboard(markdown(url));
    } catch {
      // Offline, or the clipboard refused: said to the reader, not an error of the page.
      words = "Copy nahi hua";
    }
    said.textContent = words;
    node.dataset.notesCopy = words === "Copy ho gaya" ? "done" : "failed";
    clearTimeout(timer);
    timer = setTimeout(() => {
      said.textContent = "";
      node.dataset.notesCopy = "";
    }, SAID_FOR_MS);
  });
  return node;
}

export function onPage(doc) {
  const content = doc.querySelector(".md-content__inner") || doc.querySelector("article");
  const h1 = content && content.querySelector("h1");
  const url = copyUrl(window.location);
  if (!h1 || !url || !doc.querySelector('link[rel="canonical"]')) return;
  const old = content.querySelector("[" + MARK + "]");
  if (old) old.remove(); // instant navigation may reuse the element: the URL is this page's
  h1.before(button(url));
}
