// Stands in for clipboard.js (the npm package "clipboard") in Material's page script, which
// scripts.mjs builds again: the part of its API Material calls (isSupported, the
// constructor with a selector and a `text` function, the "success" event), on the
// browser's own Clipboard API: clipboard.js was the script's largest part after rxjs, for
// what the browser now does itself.
// Where the Clipboard API is missing (a page served over plain HTTP from another machine is
// not a secure context) or refuses, it copies as clipboard.js did: a hidden textarea and
// execCommand("copy"). tests/test_browser.py copies every code block all three ways.

// clipboard.js's way: a hidden textarea, selected, and execCommand("copy").
function copyByCommand(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  // As clipboard.js: 12pt, or iOS zooms in on it; selected both ways, or iOS selects nothing.
  area.style.cssText = "position:fixed;top:0;opacity:0;font-size:12pt;border:0;padding:0;margin:0";
  document.body.append(area);
  try {
    area.select();
    area.setSelectionRange(0, area.value.length);
    if (!document.execCommand("copy")) throw new Error("copy refused");
  } finally {
    area.remove();
  }
}

// The Clipboard API where there is one; clipboard.js's way where there is none, or where
// the API refuses (a Permissions-Policy without clipboard-write, a frame not allowed it).
function copy(text) {
  if (window.isSecureContext && navigator.clipboard)
    return navigator.clipboard.writeText(text).catch(() => copyByCommand(text));
  try {
    copyByCommand(text);  // in the click itself: the browser allows it only there
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}

export default class ClipboardJS {
  static isSupported() {
    return Boolean(navigator.clipboard) || document.queryCommandSupported("copy");
  }

  constructor(selector, { text }) {
    this.listeners = [];
    document.addEventListener("click", (event) => {
      const trigger = event.target instanceof Element && event.target.closest(selector);
      if (!trigger) return;
      const copied = text(trigger);
      // A failed copy shows no "Copied" note, as with clipboard.js (Material ignores its
      // "error" event); it is not an error of the page.
      copy(copied).then(
        () => this.listeners.forEach((listener) => listener({ action: "copy", text: copied, trigger })),
        () => {},
      );
    });
  }

  on(type, listener) {
    if (type === "success") this.listeners.push(listener);
    return this;
  }
}
