// Pagefind in the index page's worker: why, and its messages, in pmtheater.js.
"use strict";
var pagefind = null, kept = null, busy = false, next = null, known = null;

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
        known = e;  // for warmUp()
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

function warmUp(pf, url) {  // see WARM_UP in pmtheater.js
  var e = known || {}, lang = Object.keys(e.languages || {})[0], l = lang && e.languages[lang];
  var n = Math.min(l && l.page_count | 0, 4000), fake = new URL("pmt-warm/", url).href;
  var f = self.fetch, pages = [], hits = [], files = {}, w;
  if (!n || !pf.createInstance || e.version !== "1.5.2") return;
  function code(c) { return c.charCodeAt(0); }
  function cbor(v) {  // "pagefind_dcd" (not gzipped), then CBOR: arrays, ASCII, integers
    var out = Array.from("pagefind_dcd", code);
    function head(t, x) {
      out.push.apply(out, x < 24 ? [t | x] : x < 256 ? [t | 24, x] : [t | 25, x >> 8, x & 255]);
    }
    (function put(x) {
      if (Array.isArray(x)) head(128, x.length), x.forEach(put);
      else if (typeof x === "string") head(96, x.length), out.push.apply(out, Array.from(x, code));
      else if (x < 0) head(32, -1 - x);
      else head(0, x);
    })(v);
    return new Uint8Array(out);
  }
  for (var i = 0; i < n; i++) pages.push(["w", 300]), hits.push([i && 1, [-25, 9, 120, 40, 75], []]);
  files["pagefind-entry.json"] = JSON.stringify({ version: e.version, languages:
    Object.fromEntries([[lang, { hash: "w", page_count: n }]]) });
  files["pagefind.w.pf_meta"] = cbor([e.version, pages, [["zq", "zr", "w"]], [], [], []]);
  files["index/w.pf_index"] = cbor([[["zq", hits, []], ["zr", hits, []]]]);
  files["wasm.unknown.pagefind"] = cbor("");  // loaded already
  Promise.resolve(pf.preload("")).then(function () {  // the WebAssembly is loaded
    self.fetch = function (u) {
      var body = files[String(u).slice(fake.length).split("?")[0]];
      if (String(u).indexOf(fake)) return f.apply(this, arguments);
      return Promise.resolve(new Response(body || "", { status: body ? 200 : 404 }));
    };
    w = pf.createInstance({ basePath: fake, noWorker: true });
    return w.search("zq zr");
  }).catch(function () {}).then(function () {
    self.fetch = f;
    return w && w.destroy();
  }).catch(function () {});
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
    pagefind.then(function (pf) {
      say({ type: "started" });
      if (!busy) warmUp(pf, m.pagefind);
    },
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
