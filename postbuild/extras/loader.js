// The extras loader, inline at the end of every page (postbuild/extras.py puts it there;
// its sha256 is in nginx/site.conf's script-src). It only decides when the extras bundle
// (data-src) loads, so a first visit pays for these bytes alone:
// * a reader with state (a `notes:` key in localStorage, or a service worker controlling
//   the page) gets the bundle at once, when the browser is idle after load;
// * anyone else gets it on their first interaction. No `scroll`: a page scrolled by script
//   (or restored by the browser) is not a reader asking for anything, and a reader's own
//   scroll starts with a wheel, a touch, a key or a pointer on the scrollbar.
// * Clicks and key presses until the bundle runs are kept in window.__notesPending (main.js
//   hands them to the modules as site.pending): the tap that loads the bundle is often the
//   one a module must answer (zoom, on a diagram).
(() => {
  let src = document.currentScript.dataset.src;
  const pending = (window.__notesPending = []);
  const keep = (event) => window.__notesPending === pending && pending.push(event);
  for (const type of ["click", "keydown"]) addEventListener(type, keep, { capture: true, passive: true });
  const load = () => {
    if (src) {
      const script = document.createElement("script");
      script.src = src;
      src = "";
      document.head.append(script);
    }
  };
  let returning = !!(navigator.serviceWorker && navigator.serviceWorker.controller);
  try {
    returning = returning || Object.keys(localStorage).some((key) => key.startsWith("notes:"));
  } catch {
    // Storage refused (a privacy setting): the reader counts as new.
  }
  if (returning) addEventListener("load", () => (window.requestIdleCallback || setTimeout)(load));
  else for (const type of ["pointerdown", "keydown", "touchstart", "wheel", "focusin"])
    addEventListener(type, load, { capture: true, once: true, passive: true });
})();
