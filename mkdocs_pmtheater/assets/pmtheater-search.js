// mkdocs-pmtheater: Pagefind in the index page's own worker. Its messages, and why
// (less to fetch, a page that stays responsive): workerEngine() in pmtheater.js.
"use strict";
var pagefind = null, latest = 0, kept = null;

function start(m) {
  // Pagefind reads the language from <html lang>: a worker has no document, lend it one.
  if (typeof self.document === "undefined") {
    var html = { getAttribute: function (n) { return n === "lang" ? m.lang : null; } };
    self.document = { currentScript: null, querySelector: function () { return html; } };
  }
  return import(m.pagefind).then(function (pf) {
    return Promise.resolve(pf.options({ baseUrl: m.root, noWorker: true })).then(function () {
      return Promise.all([pf.init(), fetch(new URL("pagefind-entry.json", m.pagefind), { cache: "no-cache" })
        .then(function (r) {
          if (!r.ok) throw new Error("pagefind-entry.json: " + r.status);
          return r.json();
        }).then(function (entry) {  // the other parts of a big site's index
          var parts = entry && Array.isArray(entry.pmtheater_parts) ? entry.pmtheater_parts : [];
          return Promise.all(parts.filter(function (n) { return /^shard-[0-9]+\/$/.test(n); })
            .map(function (n) { return pf.mergeIndex(new URL(n, m.pagefind).href, { baseUrl: m.root }); }));
        })]);
    }).then(function () { return pf; });
  });
}

function text(e) { return String(e && e.message ? e.message : e); }

self.onmessage = function (event) {
  var m = event.data || {};
  if (m.type === "start") {
    pagefind = pagefind || start(m);
    pagefind.then(function () { self.postMessage({ type: "started" }); },
                  function (e) { self.postMessage({ type: "failed", error: text(e) }); });
  } else if (m.type === "search" && pagefind) {
    latest = Math.max(latest, m.id);
    pagefind.then(function (pf) {
      return m.id === latest ? pf.search(m.term, { filters: m.filters || {} }) : null;
    }).then(function (s) {
      if (s && m.id === latest) kept = { id: m.id, results: s.results };
      self.postMessage({ type: "found", id: m.id, total: s && m.id === latest ? s.results.length : -1 });
    }).catch(function (e) { self.postMessage({ type: "failed", id: m.id, error: text(e) }); });
  } else if (m.type === "show" && kept && kept.id === m.id) {
    kept.results.slice(0, m.count | 0).forEach(function (r, rank) {
      r.data().then(function (d) {
        self.postMessage({ type: "result", id: m.id, rank: rank, data: {
          url: String(d.url || ""), meta: d.meta || {}, content: String(d.content || ""),
          locations: d.locations || [],
          anchors: (d.anchors || []).map(function (a) {
            return { element: a.element, id: a.id, text: a.text, location: a.location };
          }) } });
      }, function (e) { self.postMessage({ type: "failed", id: m.id, rank: rank, error: text(e) }); });
    });
  }
};
