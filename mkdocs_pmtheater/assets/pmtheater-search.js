// mkdocs-pmtheater: Pagefind in the index page's own worker. Its messages, and why
// (and why it is small): workerEngine() in pmtheater.js.
"use strict";
var pagefind = null, latest = 0, kept = null;

function start(m) {
  // Pagefind reads the language from <html lang>: a worker has no document, lend it one.
  if (typeof self.document === "undefined") {
    var html = { getAttribute: function (n) { return n === "lang" ? m.lang : null; } };
    self.document = { currentScript: null, querySelector: function () { return html; } };
  }
  var url = m.pagefind, base = { baseUrl: m.root };
  return import(url).then(function (pf) {
    return Promise.resolve(pf.options({ baseUrl: m.root, noWorker: true })).then(function () {
      return Promise.all([pf.init(), fetch(new URL("pagefind-entry.json", url), { cache: "no-cache" })
        .then(function (r) {
          if (!r.ok) throw new Error("pagefind-entry.json: " + r.status);
          return r.json();
        }).then(function (e) {  // the other parts of a big site's index
          return Promise.all((e && Array.isArray(e.pmtheater_parts) ? e.pmtheater_parts : [])
            .filter(function (n) { return /^shard-[0-9]+\/$/.test(n); })
            .map(function (n) { return pf.mergeIndex(new URL(n, url).href, base); }));
        })]);
    }).then(function () { return pf; });
  });
}

function say(m) { self.postMessage(m); }
function text(e) { return String(e && e.message ? e.message : e); }

self.onmessage = function (event) {
  var m = event.data || {};
  if (m.type === "start") {
    pagefind = pagefind || start(m);
    pagefind.then(function () { say({ type: "started" }); },
                  function (e) { say({ type: "failed", error: text(e) }); });
  } else if (m.type === "search" && pagefind) {
    latest = Math.max(latest, m.id);
    pagefind.then(function (pf) {
      return m.id === latest ? pf.search(m.term, { filters: m.filters || {} }) : null;
    }).then(function (s) {
      var now = s && m.id === latest;
      if (now) kept = { id: m.id, results: s.results };
      say({ type: "found", id: m.id, total: now ? s.results.length : -1 });
    }).catch(function (e) { say({ type: "failed", id: m.id, error: text(e) }); });
  } else if (m.type === "show" && kept && kept.id === m.id) {
    kept.results.slice(0, m.count | 0).forEach(function (r, rank) {
      r.data().then(function (d) {
        say({ type: "result", id: m.id, rank: rank, data: { url: d.url, meta: d.meta,
          content: d.content, locations: d.locations, anchors: d.anchors } });
      }, function (e) { say({ type: "failed", id: m.id, rank: rank, error: text(e) }); });
    });
  }
};
