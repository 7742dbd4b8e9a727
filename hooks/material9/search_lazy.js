/*
 * Search loads when the reader reaches for it, not with every page.
 *
 * Material starts its search worker and downloads the search index on page load: bytes
 * of a first visit that a reader who only reads never uses. scripts.py puts this
 * script in front of Material's bundle (one file, so no extra request and no inline
 * script in every page): it holds both back until the first sign of searching (focus or
 * tap on the search field, the search toggle, or the / and s shortcuts, which focus the
 * field). The worker is created and the index request sent then, and Material never
 * notices the difference. Tested in tests/test_browser.py (search works) and
 * tests/test_budgets.py (nothing of search is fetched before it is wanted).
 */
(() => {
  let wanted = false;
  const waiting = [];
  const go = () => {
    if (!wanted) {
      wanted = true;
      waiting.splice(0).forEach(f => f());
    }
  };
  const later = f => (wanted ? f() : waiting.push(f));

  // The search worker (scripts.py names it search.<hash>.min.js) starts on demand;
  // messages sent to it before then wait in order.
  const RealWorker = window.Worker;
  window.Worker = function (url, options) {
    if (!/\/workers\/search\.[0-9a-f]+\.min\.js$/.test(url)) return new RealWorker(url, options);
    const proxy = new EventTarget();
    proxy.postMessage = m => later(() => proxy.postMessage(m));
    later(() => {
      const worker = new RealWorker(url, options);
      worker.onmessage = e => proxy.dispatchEvent(new MessageEvent("message", { data: e.data }));
      proxy.postMessage = m => worker.postMessage(m);
    });
    return proxy;
  };

  // The index request waits too.
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    this.lazy = /\/search\/search_index\.json$/.test(url);
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.send = function (...args) {
    this.lazy ? later(() => send.apply(this, args)) : send.apply(this, args);
  };

  for (const type of ["focusin", "pointerdown", "change"])
    document.addEventListener(type, e => {
      if (e.target.closest && e.target.closest(".md-search, #__search, label[for=__search]")) go();
    }, true);
})();
