// Pagefind in the index page's worker: why, and its messages, in pmtheater.js.
"use strict";
var pagefind = null, kept = null, busy = false, next = null;

function start(m) {
  // Pagefind reads <html lang>: a worker has no document.
  self.document = { querySelector: function () { return { getAttribute: function () { return m.lang; } }; } };
  var url = m.pagefind, base = { baseUrl: m.root };
  var entry = fetch(new URL("pagefind-entry.json", url), { cache: "no-cache" }).then(function (r) {
    if (!r.ok) throw new Error(r.status);
    return r.json();
  });
  return load(url, entry).then(function (pf) {
    return Promise.resolve(pf.options({ basePath: new URL(".", url).href, baseUrl: m.root,
                                        noWorker: true })).then(function () {
      return Promise.all([pf.init(), entry.then(function (e) {  // the other parts: see mergeParts()
        var parts = (e && Array.isArray(e.pmtheater_parts) ? e.pmtheater_parts : [])
          .filter(function (n) { return /^shard-[0-9]+\/$/.test(n); });
        return parts.length && Promise.resolve(pf.preload("")).then(function () {
          return Promise.all(parts.map(function (n) { return pf.mergeIndex(new URL(n, url).href, base); }));
        });
      })]);
    }).then(function () { return pf; });
  });
}

function load(url, entry) {  // pagefind.js gzipped (PACKED_SCRIPT) if of the index's version
  return Promise.all([fetch(new URL("pagefind-js.pagefind", url)).then(function (r) {
    if (!r.ok) throw new Error(r.status);
    return r.arrayBuffer();
  }).then(function (b) {
    var a = new Uint8Array(b), s = new Blob([a]).stream();
    if (a[0] === 31 && a[1] === 139) s = s.pipeThrough(new DecompressionStream("gzip"));
    return new Response(s).text();
  }), entry]).then(function (got) {
    if (got[0].indexOf('pagefind_version="' + got[1].version + '"') < 0) throw new Error("stale");
    var u = URL.createObjectURL(new Blob([got[0]], { type: "text/javascript" }));
    return import(u).finally(function () { URL.revokeObjectURL(u); });
  }).catch(function () { return import(url); });
}

function say(m) { self.postMessage(m); }

function search(m) {  // one at a time, then the newest of those asked meanwhile
  busy = true;
  pagefind.then(function (pf) { return pf.search(m.term, { filters: m.filters || {} }); })
    .then(function (s) {
      kept = { id: m.id, results: s.results };
      say({ type: "found", id: m.id, total: s.results.length });
    }, function (e) { say({ type: "failed", id: m.id, error: String(e) }); })
    .then(done, done);
}

function done() {
  var n = next;
  busy = false;
  next = null;
  if (n) search(n);
}

self.onmessage = function (event) {
  var m = event.data || {};
  if (m.type === "start") {
    say({ type: "starting" });  // see WORKER_SILENCE_MS
    pagefind = pagefind || start(m);
    pagefind.then(function () { say({ type: "started" }); },
                  function (e) { say({ type: "failed", error: String(e) }); });
  } else if (m.type === "search" && pagefind) {
    if (next) say({ type: "found", id: next.id, total: -1 });  // replaced: never run
    if (busy) next = m;
    else search(m);
  } else if (m.type === "show" && kept && kept.id === m.id) {
    kept.results.slice(0, m.count | 0).forEach(function (r, rank) {
      r.data().then(function (d) {
        say({ type: "result", id: m.id, rank: rank, data: { url: d.url, meta: d.meta,
          content: d.content, locations: d.locations, anchors: d.anchors } });
      }, function (e) { say({ type: "failed", id: m.id, rank: rank, error: String(e) }); });
    });
  }
};
