// The extras loader: a small script every page loads (deferred, at the end of the page;
// postbuild/extras.py links it). It only decides when the extras bundle loads, so a first
// visit pays for this file alone:
// * a reader with state (a `notes:` key in localStorage, or a service worker controlling
//   the page) gets the bundle at once, when the browser is idle after load;
// * anyone else gets it on their first interaction. No `scroll`: a page scrolled by script
//   (or restored by the browser) is not a reader asking for anything, and a reader's own
//   scroll starts with a wheel, a touch, a key or a pointer on the scrollbar;
// * clicks and key presses until the bundle runs are kept in window.__notesPending (main.js
//   hands them to the modules as site.pending): the tap that loads the bundle is often the
//   one a module must answer (zoom, on a diagram).
// External, not inline: an inline loader would ride in every page instant navigation
// fetches, and its hash in every policy; this file is fetched once and cached forever.
// EXTRAS_JS (the bundle's fingerprinted name, beside this file) is written in by extras.mjs.
(() => {
  let src = new URL(EXTRAS_JS, document.currentScript.src).href;
  const pending = (window.__notesPending = []);
  const keep = (event) => window.__notesPending === pending && pending.push(event);
  const options = { capture: true, passive: true };
  for (const type of ["click", "keydown"]) addEventListener(type, keep, options);
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
  const idle = () => (window.requestIdleCallback || setTimeout)(load);
  if (!returning) for (const type of ["pointerdown", "keydown", "touchstart", "wheel", "focusin"])
    addEventListener(type, load, { ...options, once: true });
  else if (document.readyState === "complete") idle();
  else addEventListener("load", idle);
})();
