/*
 * mkdocs-pmtheater: progressive enhancement for the catalogue pages.
 *
 * Every catalogue page is complete HTML; this script only adds behaviour:
 *  - the post-mortem index: instant filtering as you type, facets with live
 *    counts, sortable columns, a live "n of m" count, and the whole view kept
 *    in the URL query (so a filtered view can be shared and survives reload);
 *  - the action-item board: filters by owner, priority and kind, sorting, and
 *    a view grouped by owner (also kept in the URL);
 *  - tables marked data-pmt-sortable: sortable columns.
 * No dependencies, no network except the index's own summary data and, for
 * full-text search, the Pagefind bundle the build writes (pagefind/). Works with
 * Material's instant navigation (document$) and without it.
 * Per keystroke the index does little and keeps the page small, since the
 * browser's share (style, layout, paint, and even a history update) grows with
 * the number of elements in the page, not only with those that change:
 *  - no DOM reads: row text is lower-cased once, and each query's result is
 *    kept, so typing on searches only the rows that matched before and erasing
 *    reuses earlier results;
 *  - the tbody holds only the displayed rows (at most a few hundred, see
 *    SHOW_ALL), in display order; an update inserts and removes just the rows
 *    that change, and only counts that change are touched. (Hiding rows
 *    instead left thousands of elements in the page, and toggling `hidden` on
 *    a row made the browser check every row after it for Material's
 *    ":not([hidden]) ~" rules);
 *  - the URL is written just after the frame that shows the change, at most
 *    four times a second (see writeSoon), not on the keystroke's path.
 * Each update is recorded as the user-timing measure "pmtheater:filter"
 * (benchmarks/catalogue_browser.py reads it).
 */
(function () {
  "use strict";

  /* A count in the site's language: the template puts the translated pattern in
     data-pmt-format (the English one is the fallback, for templates overridden
     before the labels were translated). */
  function counted(element, english, shown, total) {
    return filled((element && element.getAttribute("data-pmt-format")) || english, shown, total);
  }

  function filled(pattern, shown, total) {
    return pattern.split("%(shown)s").join(String(shown)).split("%(total)s").join(String(total));
  }

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var extraData = {};  // URL -> Promise of the index's summary data, kept across pages

  /* -- URL state ------------------------------------------------------------ */
  var writes = [];
  var pendingUrl = null;

  function writeUrl(params) {
    var query = params.toString();
    var url = location.pathname + (query ? "?" + query : "") + location.hash;
    if (url === location.pathname + location.search + location.hash) return;
    // Browsers throttle floods of history updates (and complain in the console):
    // at most 50 in 10 seconds, the last one always lands.
    var now = Date.now();
    while (writes.length && now - writes[0] > 10000) writes.shift();
    if (writes.length >= 50) {
      if (pendingUrl === null) {
        setTimeout(function () {
          history.replaceState(history.state, "", pendingUrl);
          pendingUrl = null;
          writes.push(Date.now());
        }, 10000 - (now - writes[0]));
      }
      pendingUrl = url;
      return;
    }
    writes.push(now);
    history.replaceState(history.state, "", url);
  }

  // The index writes its URL off the keystroke's path: just after the frame
  // that shows a change (style is then up to date, so the write is cheap), at
  // most once per URL_GAP ms while typing goes on, and at once when focus
  // leaves its form or the page is hidden or left.
  var URL_GAP = 250;
  var deferred = null;
  var deferTimer = 0;
  var deferFrame = 0;
  var lastWrite = 0;

  function writeSoon(write) {
    deferred = write;
    if (deferTimer || deferFrame) return;
    deferTimer = setTimeout(function () {
      deferTimer = 0;
      deferFrame = requestAnimationFrame(function () {
        deferFrame = 0;
        deferTimer = setTimeout(writeNow, 0);
      });
    }, Math.max(0, lastWrite + URL_GAP - Date.now()));
  }

  function writeNow() {
    clearTimeout(deferTimer);
    cancelAnimationFrame(deferFrame);
    deferTimer = deferFrame = 0;
    var write = deferred;
    deferred = null;
    if (write) {
      lastWrite = Date.now();
      write();
    }
  }

  window.addEventListener("pagehide", writeNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") writeNow();
  });

  function checked(form, name) {
    var out = [];
    var boxes = form.querySelectorAll('input[name="' + name + '"]');
    for (var i = 0; i < boxes.length; i++) if (boxes[i].checked) out.push(boxes[i].value);
    return out;
  }

  function setChecked(form, name, values) {
    var boxes = form.querySelectorAll('input[name="' + name + '"]');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = values.indexOf(boxes[i].value) >= 0;
  }

  /* -- Sortable tables ------------------------------------------------------ */
  // Column types (th data-t): text (default), num (cell data-v or its number),
  // order (position in the th's data-order JSON list), pos (the rendered order,
  // which is newest first). Empty cells sort last either way; ties keep the
  // rendered order. place: if given, called to put the rows in their new
  // order instead of moving them all (the index keeps only some in the DOM).
  function sortable(table, onSort, place) {
    var head = table.tHead && table.tHead.rows[0];
    var body = table.tBodies[0];
    if (!head || !body) return null;
    var rows = Array.prototype.slice.call(body.rows);
    var heads = Array.prototype.slice.call(head.cells);
    var cache = [];
    var state = { column: -1, dir: "", initial: "" };
    var order = rows.map(function (_, pos) { return pos; });  // row positions, as displayed

    heads.forEach(function (th, c) {
      if (th.getAttribute("aria-sort")) {
        state.column = c;
        state.dir = th.getAttribute("aria-sort");
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "pmt-sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var dir = state.column === c && state.dir === "ascending" ? "descending" : "ascending";
        sortBy(c, dir);
        if (onSort) onSort();
      });
    });
    state.initial = keyOf(state.column, state.dir);

    function keyOf(c, dir) {
      if (c < 0) return "";
      var name = heads[c].getAttribute("data-k") || String(c);
      return (dir === "descending" ? "-" : "") + name;
    }

    function keys(c) {
      if (cache[c]) return cache[c];
      var th = heads[c];
      var type = th.getAttribute("data-t") || "text";
      var order = type === "order" ? JSON.parse(th.getAttribute("data-order") || "[]") : null;
      cache[c] = rows.map(function (row, pos) {
        var cell = row.cells[c];
        if (type === "pos") return -pos;
        if (!cell) return null;
        var text = cell.textContent.trim();
        if (type === "num") {
          var n = parseFloat(cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : text);
          return isNaN(n) ? null : n;
        }
        if (type === "order") {
          var at = order.indexOf(text);
          return at < 0 ? order.length : at;
        }
        return text === "" || text === "\u2013" ? null : text;
      });
      return cache[c];
    }

    function sortBy(c, dir) {
      if (c < 0 || c >= heads.length) return;
      var k = keys(c);
      var sign = dir === "descending" ? -1 : 1;
      var index = order.slice();
      index.sort(function (a, b) {
        var ka = k[a], kb = k[b];
        if (ka === null || kb === null) {
          if (ka !== kb) return ka === null ? 1 : -1;
        } else {
          var d = typeof ka === "number" ? ka - kb : collator.compare(ka, kb);
          if (d) return sign * d;
        }
        return a - b;
      });
      heads.forEach(function (th, i) {
        if (i === c) th.setAttribute("aria-sort", dir);
        else th.removeAttribute("aria-sort");
      });
      state.column = c;
      state.dir = dir;
      order = index;
      if (place) return place();
      var fragment = document.createDocumentFragment();
      for (var i = 0; i < index.length; i++) fragment.appendChild(rows[index[i]]);
      body.appendChild(fragment);
    }

    return {
      rows: rows,
      /* Row positions (indexes into rows) in the order they are displayed. */
      order: function () { return order; },
      /* "-start" style key of the current order ("" for none). */
      current: function () { return keyOf(state.column, state.dir); },
      initial: function () { return state.initial; },
      apply: function (key) {
        var dir = key.charAt(0) === "-" ? "descending" : "ascending";
        var name = key.replace(/^-/, "");
        for (var c = 0; c < heads.length; c++) {
          if ((heads[c].getAttribute("data-k") || String(c)) === name) return sortBy(c, dir);
        }
      }
    };
  }

  /* -- The post-mortem index ------------------------------------------------ */
  // Showing a row is what costs time (style and layout of its cells), and a
  // table with thousands of displayed rows makes every change slow. So when
  // more than SHOW_ALL rows match, the first PAGE are displayed, and PAGE more
  // each time the end of the table nears the screen (or on "Show more"). Rows
  // not displayed are kept out of the document. The rows are CSS grids with
  // content-visibility (pmtheater.css), so rows off screen cost no layout;
  // explicit roles keep it a table for assistive tech.
  var SHOW_ALL = 300;
  var PAGE = 100;

  function withRoles(row) {
    row.setAttribute("role", "row");
    for (var i = 0; i < row.cells.length; i++) {
      var cell = row.cells[i];
      var role = cell.tagName !== "TH" ? "cell" : cell.scope === "row" ? "rowheader" : "columnheader";
      cell.setAttribute("role", role);
    }
  }

  function setupIndex(table) {
    var form = document.querySelector('form[data-pmt-filters="' + table.id + '"]');
    if (!form) return;
    var page = table.closest(".pmt-catalogue") || document;
    var input = form.querySelector('input[name="q"]');
    var output = form.querySelector(".pmt-count");
    var empty = page.querySelector(".pmt-empty");
    var more = page.querySelector(".pmt-more");  // "Showing 100 of 340 matches. Show more"
    // The tbody holds only the displayed rows, in display order; after a sort
    // they are all taken out and render() puts the wanted ones back.
    var body = table.tBodies[0];
    var sorter = sortable(table, function () { render(); sync(); }, function () {
      body.textContent = "";
    });
    var rows = sorter.rows;
    var n = rows.length;
    var heads = table.tHead.rows[0].cells;
    var limit = PAGE;
    var path = location.pathname;
    var applied = null;  // the filter key (query and facets) the page shows, see filter()

    // Facets: the columns marked data-f, and the checkboxes of the same name.
    var facets = [];
    for (var c = 0; c < heads.length; c++) {
      var name = heads[c].getAttribute("data-f");
      var boxes = name && form.querySelectorAll('input[name="' + name + '"]');
      if (!boxes || !boxes.length) continue;
      var ids = new Map();
      var counters = [];
      for (var b = 0; b < boxes.length; b++) {
        ids.set(boxes[b].value, b);
        counters.push(boxes[b].parentNode.querySelector(".pmt-n"));
      }
      // A row's value ids are vals[at[r]] to vals[at[r + 1] - 1]: two flat typed arrays
      // instead of an array per row, so counting walks contiguous memory.
      facets.push({ name: name, column: c, boxes: boxes, ids: ids, counters: counters,
                    selected: new Uint8Array(boxes.length), any: false, shown: [],
                    at: new Int32Array(n + 1), vals: null, list: [] });
    }

    // Per row, once: the lower-cased text and the facet value ids.
    var hay = new Array(n);
    var match = new Uint8Array(n);
    var matched = n;
    var ids0 = new Array(n);
    for (var r = 0; r < n; r++) {
      var row = rows[r];
      hay[r] = row.textContent.toLowerCase();
      ids0[r] = row.cells[0] ? row.cells[0].textContent.trim() : "";
      for (var f = 0; f < facets.length; f++) {
        var facet = facets[f];
        var cell = row.cells[facet.column];
        var vals = [];
        if (cell) {
          var spans = cell.getElementsByTagName("span");
          if (facet.name === "year") vals.push(cell.textContent.trim().slice(0, 4));
          else if (spans.length) for (var s = 0; s < spans.length; s++) vals.push(spans[s].textContent);
          else vals.push(cell.textContent.trim());
        }
        var first = facet.list.length;
        for (var v = 0; v < vals.length; v++) {
          var id = facet.ids.get(vals[v]);
          if (id !== undefined && facet.list.indexOf(id, first) < 0) facet.list.push(id);
        }
        facet.at[r + 1] = facet.list.length;
      }
    }
    facets.forEach(function (facet) {
      facet.vals = Int32Array.from(facet.list);
      facet.list = null;
      for (var i = 0; i < facet.counters.length; i++) {
        facet.shown[i] = facet.counters[i] ? facet.counters[i].textContent : "";
      }
    });

    // Summaries and people come from a separate file, so the page stays small.
    // From file:// (Material's offline plugin) browsers refuse fetch(), so the same data
    // comes from a script that pushes it onto window.pmtheaterSearchData.
    var offline = location.protocol === "file:";
    var extraUrl = table.getAttribute(offline ? "data-pmt-search-script" : "data-pmt-search");
    if (extraUrl) {
      var url = new URL(extraUrl, location.href).href;
      if (!extraData[url]) {
        extraData[url] = offline ? loadScriptData(url) : fetch(url).then(function (response) {
          return response.ok ? response.json() : {};
        }).catch(function () { return {}; });
      }
      extraData[url].then(function (data) {
        if (!table.isConnected) return;
        for (var r = 0; r < n; r++) {
          var extra = data[ids0[r]];
          // One new flat string (toLowerCase makes one): "+=" alone leaves a rope
          // that the next keystroke's search would flatten, 5,000 of them at once.
          if (extra) hay[r] = (hay[r] + "\n" + String(extra)).toLowerCase();
        }
        forget();
        if (input.value.trim()) {
          filter();
          render();
        }
      });
    }

    // The rows whose text has every term, by query (terms joined by one space).
    // A query that extends a known one can only lose rows, so typing on searches
    // the previous list, and erasing finds its list here.
    var found = new Map();
    var results = new Map();  // see filter()
    var everyRow = new Int32Array(n);
    for (r = 0; r < n; r++) everyRow[r] = r;
    function forget() {
      found.clear();
      found.set("", everyRow);
      results.clear();
      applied = null;
    }
    forget();

    function rowsWith(terms) {
      var q = terms.join(" ");
      var list = found.get(q);
      if (list) return list;
      var from = null;
      for (var end = q.length - 1; !from; end--) from = found.get(q.slice(0, end));
      list = new Int32Array(from.length);
      var k = 0;
      outer: for (var i = 0; i < from.length; i++) {
        var text = hay[from[i]];
        for (var t = 0; t < terms.length; t++) if (text.indexOf(terms[t]) < 0) continue outer;
        list[k++] = from[i];
      }
      if (found.size > 50) forget();
      found.set(q, list = list.slice(0, k));
      return list;
    }

    /* The rows that pass the query and the selected facets, and the facet counts. */
    function count(candidates) {
      var rowsOut = new Int32Array(candidates.length);
      var counts = facets.map(function (facet) { return new Int32Array(facet.boxes.length); });
      var k = 0, f, i, end, facet, vals, tally;
      for (var c = 0; c < candidates.length; c++) {
        var r = candidates[c];
        // A facet's counts ignore its own selection: count rows that pass the others.
        var missed = -1, misses = 0;
        for (f = 0; f < facets.length && misses < 2; f++) {
          facet = facets[f];
          if (!facet.any) continue;
          vals = facet.vals;
          var hit = false;
          for (i = facet.at[r], end = facet.at[r + 1]; i < end; i++) {
            if (facet.selected[vals[i]]) { hit = true; break; }
          }
          if (!hit) { misses++; missed = f; }
        }
        if (misses === 0) {
          rowsOut[k++] = r;
          for (f = 0; f < facets.length; f++) {
            facet = facets[f];
            vals = facet.vals;
            tally = counts[f];
            for (i = facet.at[r], end = facet.at[r + 1]; i < end; i++) tally[vals[i]]++;
          }
        } else if (misses === 1) {
          facet = facets[missed];
          vals = facet.vals;
          tally = counts[missed];
          for (i = facet.at[r], end = facet.at[r + 1]; i < end; i++) tally[vals[i]]++;
        }
      }
      return { rows: rowsOut.slice(0, k), counts: counts };
    }

    /* Which rows match, and the facet counts; touches no element but the counts. Results
       are kept by query and facet selection: erasing back to a query reuses its result.
       Returns false, touching nothing, when the page already shows this query and these
       facets (a space typed after a word, a case change: the terms are the same). */
    function filter() {
      var q = input.value.trim().toLowerCase();
      var terms = q ? q.split(/\s+/) : [];
      var key = terms.join(" ");
      var f, i, facet;
      for (f = 0; f < facets.length; f++) {
        facet = facets[f];
        facet.any = false;
        for (i = 0; i < facet.boxes.length; i++) {
          facet.selected[i] = facet.boxes[i].checked ? 1 : 0;
          if (facet.selected[i]) {
            facet.any = true;
            key += "\n" + f + ":" + i;
          }
        }
      }
      if (key === applied) return false;
      applied = key;
      var result = results.get(key);
      if (!result) {
        result = count(rowsWith(terms));
        if (results.size > 50) results.clear();
        results.set(key, result);
      }
      match.fill(0);
      for (i = 0; i < result.rows.length; i++) match[result.rows[i]] = 1;
      matched = result.rows.length;
      for (f = 0; f < facets.length; f++) {
        facet = facets[f];
        for (i = 0; i < facet.counters.length; i++) {
          var text = String(result.counts[f][i]);
          if (facet.counters[i] && facet.shown[i] !== text) {
            facet.shown[i] = text;
            facet.counters[i].textContent = text;
            facet.boxes[i].parentNode.classList.toggle("pmt-none", text === "0");
          }
        }
      }
      var label = counted(output, "%(shown)s of %(total)s", matched, n);
      if (output.textContent !== label) output.textContent = label;
      if (empty) empty.hidden = matched !== 0;
      return true;
    }

    function cap() {
      return matched <= SHOW_ALL ? matched : Math.min(limit, matched);
    }

    /* Put the first cap() matching rows, in display order, in the tbody and take the others
       out. The rows there are already in display order, so this is a merge: rows that stay
       are not touched. */
    function render() {
      var order = sorter.order();
      var wanted = cap();
      var seen = 0;
      var next = body.firstChild;  // the first displayed row not yet passed
      for (var i = 0; i < n && (seen < wanted || next); i++) {
        var row = rows[order[i]];
        if (match[order[i]] && seen < wanted) {
          seen++;
          if (row === next) {
            next = row.nextSibling;
          } else {
            if (!row.hasAttribute("role")) withRoles(row);
            body.insertBefore(row, next);
          }
        } else if (row.parentNode === body) {
          if (row === next) next = row.nextSibling;
          body.removeChild(row);
        }
      }
      if (more) {
        more.hidden = wanted >= matched;
        var note = more.querySelector(".pmt-more-note");
        if (note && !more.hidden) note.textContent = counted(note, "Showing %(shown)s of %(total)s matches.", wanted, matched);
      }
    }

    function measure(start) {
      if (performance.measure) {
        performance.clearMeasures("pmtheater:filter");
        performance.measure("pmtheater:filter", { start: start, end: performance.now() });
      }
    }

    function sync() {
      writeSoon(writeState);
    }

    function writeState() {
      if (!table.isConnected || location.pathname !== path) return;  // navigated away
      var params = new URLSearchParams();
      var q = input.value.trim();
      if (q) params.set("q", q);
      facets.forEach(function (facet) {
        checked(form, facet.name).forEach(function (value) { params.append(facet.name, value); });
      });
      var sort = sorter.current();
      if (sort && sort !== sorter.initial()) params.set("sort", sort);
      writeUrl(params);
    }

    function restore() {
      var params = new URLSearchParams(location.search);
      input.value = params.get("q") || "";
      facets.forEach(function (facet) { setChecked(form, facet.name, params.getAll(facet.name)); });
      var sort = params.get("sort");
      if (sort) sorter.apply(sort);
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("focusout", writeNow);
    form.addEventListener("input", function () {
      var start = performance.now();
      if (filter()) {
        limit = PAGE;
        render();
      }
      measure(start);
      sync();
    });
    form.addEventListener("reset", function () {
      setTimeout(function () {
        if (sorter.initial()) sorter.apply(sorter.initial());
        limit = PAGE;
        filter();
        render();
        sync();
      }, 0);
    });
    if (more) {
      var grow = function (all) {
        limit = all ? n : limit + PAGE;
        render();
      };
      more.querySelector("[data-pmt-show-more]").addEventListener("click", function () { grow(false); });
      more.querySelector("[data-pmt-show-all]").addEventListener("click", function () { grow(true); });
      if (window.IntersectionObserver) {
        new IntersectionObserver(function (entries) {
          if (entries[0].isIntersecting && !more.hidden) grow(false);
        }, { rootMargin: "0px 0px 600px 0px" }).observe(more);
      }
    }
    body.textContent = "";  // the page came with every row; render() puts back those to display
    restore();
    filter();
    render();
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.querySelectorAll(":scope > thead, :scope > tbody"),
                                 function (group) { group.setAttribute("role", "rowgroup"); });
    withRoles(table.tHead.rows[0]);
    table.setAttribute("data-pmt-live", "");
    form.hidden = false;
  }

  /* -- The action-item board ------------------------------------------------ */
  function setupBoard(board) {
    var page = board.parentNode;
    var form = page.querySelector("form[data-pmt-board-controls]");
    var ownerView = page.querySelector("[data-pmt-owner-view]");
    if (!form || !ownerView) return;
    var empty = page.querySelector(".pmt-empty");
    var output = form.querySelector(".pmt-count");
    var ownerSelect = form.querySelector('select[name="owner"]');
    var sortSelect = form.querySelector('select[name="sort"]');
    var columns = {};
    Array.prototype.forEach.call(board.querySelectorAll("section[data-status]"), function (s) {
      columns[s.getAttribute("data-status")] = { list: s.querySelector("ol"),
                                                 count: s.querySelector("h2 .pmt-n") };
    });
    var cards = Array.prototype.map.call(board.querySelectorAll("li.pmt-card"), function (el, pos) {
      return { el: el, pos: pos, o: el.getAttribute("data-o"), p: el.getAttribute("data-p"),
               k: el.getAttribute("data-k"), d: el.getAttribute("data-d"),
               s: el.getAttribute("data-s"), shown: !el.hidden };
    });
    var owners = [];  // in the select's order: most open items first
    var names = {};
    Array.prototype.forEach.call(ownerSelect.options, function (option) {
      if (!option.value) return;
      owners.push(option.value);
      names[option.value] = option.getAttribute("data-name") || option.textContent;
    });
    var groups = null;
    var arranged = "|";  // the page comes in the status view, soonest due first

    function byDue(a, b) {
      if (a.d !== b.d) {
        if (!a.d || !b.d) return a.d ? -1 : 1;
        return a.d < b.d ? -1 : 1;
      }
      return a.p < b.p ? -1 : a.p > b.p ? 1 : a.pos - b.pos;
    }
    function byPriority(a, b) {
      return a.p < b.p ? -1 : a.p > b.p ? 1 : byDue(a, b);
    }

    function ownerGroups() {
      if (groups) return groups;
      groups = {};
      owners.forEach(function (key, index) {
        var section = document.createElement("section");
        section.className = "pmt-owner-group";
        var heading = document.createElement("h2");
        heading.id = "owner-" + index;
        heading.className = "pmt-person";
        heading.textContent = names[key] + " ";
        var count = document.createElement("span");
        count.className = "pmt-n";
        heading.appendChild(count);
        var list = document.createElement("ol");
        list.className = "pmt-cards";
        section.setAttribute("aria-labelledby", heading.id);
        section.appendChild(heading);
        section.appendChild(list);
        ownerView.appendChild(section);
        groups[key] = { section: section, list: list, count: count };
      });
      return groups;
    }

    function arrange(view, sort) {
      var order = cards.slice().sort(sort === "priority" ? byPriority : byDue);
      var target = {};
      order.forEach(function (card) {
        var list = view === "owner" ? ownerGroups()[card.o].list : columns[card.s].list;
        var key = view === "owner" ? card.o : card.s;
        (target[key] = target[key] || { list: list, items: [] }).items.push(card.el);
      });
      Object.keys(target).forEach(function (key) {
        var fragment = document.createDocumentFragment();
        target[key].items.forEach(function (el) { fragment.appendChild(el); });
        target[key].list.appendChild(fragment);
      });
    }

    function update() {
      var owner = ownerSelect.value;
      var priorities = checked(form, "priority");
      var kinds = checked(form, "kind");
      var view = (form.querySelector('input[name="view"]:checked') || {}).value || "";
      var sort = sortSelect.value;
      if (arranged !== view + "|" + sort) {
        arrange(view, sort);
        arranged = view + "|" + sort;
      }
      var perColumn = {}, perOwner = {}, shown = 0;
      cards.forEach(function (card) {
        var show = (!owner || card.o === owner) &&
          (!priorities.length || priorities.indexOf(card.p) >= 0) &&
          (!kinds.length || kinds.indexOf(card.k) >= 0);
        if (show !== card.shown) {
          card.shown = show;
          card.el.hidden = !show;
        }
        if (show) {
          shown++;
          perColumn[card.s] = (perColumn[card.s] || 0) + 1;
          perOwner[card.o] = (perOwner[card.o] || 0) + 1;
        }
      });
      Object.keys(columns).forEach(function (status) {
        if (columns[status].count) columns[status].count.textContent = String(perColumn[status] || 0);
      });
      if (view === "owner") {
        var all = ownerGroups();
        owners.forEach(function (key) {
          all[key].count.textContent = String(perOwner[key] || 0);
          all[key].section.hidden = !perOwner[key];
        });
      }
      board.hidden = view === "owner";
      ownerView.hidden = view !== "owner";
      output.textContent = counted(output, "%(shown)s of %(total)s open items", shown,
                                   cards.length);
      if (empty) empty.hidden = shown !== 0;
    }

    function sync() {
      var params = new URLSearchParams();
      if (ownerSelect.value) params.set("owner", ownerSelect.value);
      checked(form, "priority").forEach(function (p) { params.append("priority", p); });
      checked(form, "kind").forEach(function (k) { params.append("kind", k); });
      var view = (form.querySelector('input[name="view"]:checked') || {}).value;
      if (view) params.set("view", view);
      if (sortSelect.value) params.set("sort", sortSelect.value);
      writeUrl(params);
    }

    function restore() {
      var params = new URLSearchParams(location.search);
      var owner = params.get("owner") || "";
      ownerSelect.value = names[owner] ? owner : "";
      setChecked(form, "priority", params.getAll("priority"));
      setChecked(form, "kind", params.getAll("kind"));
      setChecked(form, "view", [params.get("view") === "owner" ? "owner" : ""]);
      sortSelect.value = params.get("sort") === "priority" ? "priority" : "";
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("change", function () { update(); sync(); });
    form.addEventListener("reset", function () { setTimeout(function () { update(); sync(); }, 0); });
    restore();
    form.hidden = false;
    update();
  }

  function loadScriptData(url) {
    return new Promise(function (resolve) {
      var script = document.createElement("script");
      script.src = url;
      script.onload = function () {
        var pushed = window.pmtheaterSearchData || [];
        resolve(pushed.length ? pushed[pushed.length - 1] : {});
      };
      script.onerror = function () { resolve({}); };
      document.head.appendChild(script);
    });
  }

  /* -- Full-text search (Pagefind) ------------------------------------------ */
  // Every word of every playbill is in a Pagefind index that the build writes to
  // pagefind/ (Material's own index keeps only titles, summaries, services, tags and
  // root causes, so it stays small). Pagefind's script is loaded with import() on
  // first use, and loads only the index chunks a query needs. The facets checked in
  // the filter form apply as Pagefind filters. Browsers refuse import() from file://:
  // there the page says so, and the filter form (which works offline) stays.
  var FULLTEXT_RESULTS = 10;
  // How long our worker may take to answer "start" at all (it does before loading
  // anything): a script at its address that is not ours never does.
  var WORKER_SILENCE_MS = 4000;
  var engines = {};  // pagefind.js URL -> Promise of a search engine, kept across pages

  // A search engine: close() ends it; search(term, filters) gives a Promise of
  // {total, load(count)}, load(count) an array of Promises of the first count results'
  // fragments (Pagefind's result.data(): url, meta, content, locations, anchors),
  // fetched only when asked for.
  // The first choice is Pagefind in our own worker (pmtheater-search.js): the page then
  // fetches neither Pagefind's worker script nor the thousands of results a common word
  // finds on a big site (benchmarks/search.py). Where that worker cannot start (a
  // browser without module workers, a theme override without its URL), Pagefind's own
  // worker does the same, loaded on the page.
  function searchEngine(url, workerUrl) {
    if (!engines[url]) {
      engines[url] = (workerUrl ? workerEngine(url, workerUrl) : Promise.reject(null))
        .catch(function () { return pageEngine(url); });
      engines[url].catch(function () { delete engines[url]; });
    }
    return engines[url];
  }

  // After a failed query the next one starts a new engine: Pagefind keeps a file that
  // failed to load as failed.
  function forget(url) {
    var engine = engines[url];
    delete engines[url];
    if (engine) engine.then(function (e) { e.close(); }, function () {});
  }

  // Result URLs start at the folder that holds pagefind/, wherever the site lives.
  function siteRoot(url) { return new URL("..", url).pathname; }

  // Pagefind in our own worker (assets/pmtheater/pmtheater-search.js, kept small, its
  // comments here: its bytes count in every visit's first query). It loads pagefind.js with
  // Pagefind's own worker turned off (noWorker), so Pagefind searches on the worker's
  // thread, not the page's: the page stays responsive, the browser fetches no
  // pagefind-worker.js (40 KB, a second copy of Pagefind's engine), and of the
  // thousands of results a common word finds on a big site only the count and the
  // fragments of the results shown cross to the page. It fetches pagefind.js as the
  // gzipped copy the build writes beside it (pagefind-js.pagefind: 12 KB, not 45, from a
  // server that does not compress scripts), inflates it with DecompressionStream and
  // imports it from a blob: address, telling Pagefind its folder (basePath), which it
  // would otherwise read from the script's address. It imports pagefind.js instead when
  // any of that fails (no copy, a damaged one, a policy refusing blob: scripts) or when
  // the copy is of another Pagefind version than the index's entry (Pagefind never
  // empties its folder: a copy from an earlier build can outlive a re-index by
  // `python -m pagefind`, which writes none). Messages, page to worker:
  //   {type: "start", pagefind: URL of pagefind.js, root: the site's root path, lang}
  //   {type: "search", id, term, filters}  (ids grow. The worker runs one search at a
  //       time, and of those that arrive meanwhile only the newest, answering the others
  //       total -1: a word on every playbill of a big site takes Pagefind 0.2 to 0.3 s, and
  //       each key typed is a search, so typing would otherwise queue them up: with
  //       Pagefind's own worker the last key's results came 1.4 to 1.5 s after it, typed
  //       at 80 ms a key; now 0.3 s)
  //   {type: "show", id, count}            (fetch the first count results' fragments)
  // worker to page:
  //   {type: "starting"}            (at once: the script is ours; none within
  //                                  WORKER_SILENCE_MS: Pagefind's worker)
  //   {type: "started"} | {type: "failed", error}              (then Pagefind's worker)
  //   {type: "found", id, total} | {type: "failed", id, error}
  //   {type: "result", id, rank, data} | {type: "failed", id, rank, error}
  // WARM_UP (warmUp() in the worker): the first search in a fresh worker ran Pagefind's
  // WebAssembly unoptimised, its first part twice as slow as the next (60 to 106 ms against
  // 24 to 30 at 10,000 playbills in five parts): the browser optimises that code only once
  // it has run hot. So once started, if no search is waiting, the worker searches two
  // made-up words found on every page of a made-up index (Pagefind 1.5.2's formats: the
  // entry, the metadata and one chunk, built in memory and answered by a fetch() it wraps
  // meanwhile, under <pagefind>/pmt-warm/: nothing is fetched) in an instance of its own,
  // then drops it. Its entry names no WebAssembly: Pagefind asks for wasm.unknown.pagefind,
  // answered empty (Pagefind's is loaded already; naming the index's own broke on a
  // language without a stemmer, "wasm": null: two console errors and no warm-up). The
  // index's own instances are untouched: results are the same. The first search of two common words (benchmarks/search.py, 10,000 playbills, two runs each,
  // alternating, load 1.7 to 2.9): 253 and 224 ms against 318 and 272; 2.1 KB more script.
  function workerEngine(url, workerUrl) {
    return new Promise(function (resolve, reject) {
      var worker;
      try {
        worker = new Worker(workerUrl, { type: "module" });
      } catch (error) {
        reject(error);
        return;
      }
      var searches = {};  // id -> {resolve, reject} until found
      var shown = {};     // id -> [{resolve, reject}] by rank, once asked for
      var next = 0;
      var started = false;
      var stopped = null;  // the error that ended the worker: later searches fail at once
      // A script there that is not ours (an older deploy's, still cached; a site's own)
      // would leave every search waiting: without a word from it, Pagefind's does them.
      var silence = setTimeout(function () {
        stop(new Error("search worker: no answer"));
      }, WORKER_SILENCE_MS);
      function stop(error) {
        clearTimeout(silence);
        stopped = error;
        worker.terminate();
        Object.keys(searches).forEach(function (id) { searches[id].reject(error); });
        Object.keys(shown).forEach(function (id) {
          shown[id].forEach(function (w) { w.reject(error); });
        });
        searches = {};
        shown = {};
        if (!started) reject(error);
      }
      worker.addEventListener("error", function (event) {
        event.preventDefault();
        stop(new Error("search worker: " + (event.message || "failed")));
      });
      worker.addEventListener("message", function (event) {
        var m = event.data || {};
        clearTimeout(silence);
        if (m.type === "started") {
          started = true;
          resolve(engine);
        } else if (m.type === "failed" && m.id === undefined) {
          stop(new Error(m.error));
        } else if (m.type === "found" && searches[m.id]) {
          var waiting = searches[m.id];
          delete searches[m.id];
          waiting.resolve({
            total: m.total,
            load: function (count) {
              var waiters = [];
              var promises = [];
              for (var i = 0; i < count; i++) {
                promises.push(new Promise(function (res, rej) {
                  waiters.push({ resolve: res, reject: rej });
                }));
              }
              shown = {};  // only the newest search's fragments are waited for
              shown[m.id] = waiters;
              worker.postMessage({ type: "show", id: m.id, count: count });
              return promises;
            }
          });
        } else if (m.type === "failed" && m.rank === undefined && searches[m.id]) {
          searches[m.id].reject(new Error(m.error));
          delete searches[m.id];
        } else if ((m.type === "result" || m.type === "failed") && shown[m.id]) {
          var slot = shown[m.id][m.rank];
          if (slot && m.type === "result") slot.resolve(m.data);
          else if (slot) slot.reject(new Error(m.error));
        }
      });
      var engine = {
        close: function () { stop(new Error("search worker: closed")); },
        search: function (term, filters) {
          var id = ++next;
          return new Promise(function (res, rej) {
            if (stopped) {
              rej(stopped);
              return;
            }
            searches[id] = { resolve: res, reject: rej };
            worker.postMessage({ type: "search", id: id, term: term, filters: filters });
          });
        }
      };
      worker.postMessage({ type: "start", pagefind: url, root: siteRoot(url),
                           lang: document.documentElement.getAttribute("lang") || "" });
    });
  }

  function pageEngine(url) {
    return import(url).then(function (pagefind) {
      var root = siteRoot(url);
      // init() fetches the WebAssembly and the index's entry now, while the reader is
      // still on the way to typing, instead of on the first keystroke. Pagefind searches
      // in its web worker (pagefind-worker.js): a word found on every one of 10,000
      // playbills takes Pagefind's WebAssembly 0.3 to 1.7 s, which on the page's own
      // thread (its noWorker option) froze the page that long.
      return Promise.resolve(pagefind.options({ baseUrl: root })).then(function () {
        return Promise.all([pagefind.init ? pagefind.init() : null,
                            mergeParts(pagefind, url, root)]);
      }).then(function () {
        return {
          close: function () { if (pagefind.destroy) pagefind.destroy(); },
          search: function (term, filters) {
            return pagefind.search(term, { filters: filters }).then(function (search) {
              return search && {
                total: search.results.length,
                load: function (count) {
                  return search.results.slice(0, count).map(function (r) { return r.data(); });
                }
              };
            });
          }
        };
      });
    });
  }

  // A big site's index is written in parts (Pagefind's memory grows with the playbills
  // of one run): pagefind/ holds the first, and its entry file lists the others
  // ("pmtheater_parts": ["shard-2/", ...]), which Pagefind's own multisite search
  // merges; they share the first part's WebAssembly. No list: one part (a small site,
  // or a bundle made by Pagefind's own command). An entry that cannot be read fails the
  // search, which then says full-text search is not available, rather than finding
  // only some of the playbills. (pmtheater-search.js does the same in its worker.)
  function mergeParts(pagefind, url, root) {
    // Revalidated, as Pagefind fetches it: a list from an older deploy could miss a part.
    var entryUrl = new URL("pagefind-entry.json", url).href;
    return fetch(entryUrl, { cache: "no-cache" }).then(function (response) {
      if (!response.ok) throw new Error("pagefind-entry.json: " + response.status);
      return response.json();
    }).then(function (entry) {
      var listed = entry && Array.isArray(entry.pmtheater_parts) ? entry.pmtheater_parts : [];
      listed = listed.filter(function (name) { return /^shard-[0-9]+\/$/.test(name); });
      // Pagefind's mergeIndex waits for the first part's WebAssembly and never gives up:
      // merge once preload("") has it (that fails if it did not load, and fetches nothing).
      return listed.length && Promise.resolve(pagefind.preload("")).then(function () {
        return Promise.all(listed.map(function (name) {
          return pagefind.mergeIndex(new URL(name, url).href, { baseUrl: root });
        }));
      });
    });
  }

  // Where in the playbill the first hit is: the scene (#scene-3), action item (#ai-2)
  // or section heading just before it, from the anchors Pagefind records. Of anchors at
  // the same place the first wins: a scene with an id is <li id="scene-<id>"> holding
  // <span id="scene-3">, and its own anchor is the one to link to.
  function hitAnchor(data) {
    var hit = data.locations && data.locations.length ? data.locations[0] : -1;
    var best = null;
    (data.anchors || []).forEach(function (anchor) {
      if (anchor.location <= hit && anchor.id && anchor.id !== "playbill" &&
          (!best || anchor.location > best.location)) best = anchor;
    });
    return { anchor: best, at: hit };
  }

  // How a result names its place: "Scene 2 (14:02 UTC)" (a scene's first text is its
  // time), "Action item AI-1" (the row starts with the item's id), or the heading.
  function anchorLabel(anchor, words) {
    var text = (anchor.text || "").trim().slice(0, 80);
    var scene = /^li$/i.test(anchor.element) && /^scene-(.+)$/.exec(anchor.id);
    // The scene's time, without the "#flush" that names a scene's own id after it.
    if (scene) text = text.replace(/\s*#[^\s#]+$/, "");
    if (scene) return "Scene " + scene[1] + (text ? " (" + text + ")" : "");
    if (/^tr$/i.test(anchor.element)) return "Action item " + (words[anchor.location] || "");
    return text || anchor.id;
  }

  // The words around the hit, with the matching words in <mark>: built from text
  // nodes, never from markup (incident text is hostile).
  function excerpt(data, at) {
    var words = String(data.content || "").split(/\s+/);
    var hits = {};
    (data.locations || []).forEach(function (l) { hits[l] = true; });
    var from = Math.max(0, at - 12), to = Math.min(words.length, Math.max(at, 0) + 18);
    var p = document.createElement("p");
    p.className = "pmt-ft-excerpt";
    if (from > 0) p.appendChild(document.createTextNode("\u2026 "));
    for (var i = from; i < to; i++) {
      if (i > from) p.appendChild(document.createTextNode(" "));
      if (hits[i]) {
        var mark = document.createElement("mark");
        mark.textContent = words[i];
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(words[i]));
      }
    }
    if (to < words.length) p.appendChild(document.createTextNode(" \u2026"));
    return p;
  }

  function setupFulltext(box) {
    var note = box.parentNode.querySelector(".pmt-ft-note");
    var form = document.querySelector('form[data-pmt-filters="' + box.getAttribute("data-pmt-filters-of") + '"]');
    var input = box.querySelector("input");
    var output = box.querySelector(".pmt-ft-count");
    var list = box.querySelector(".pmt-ft-results");
    var url = box.getAttribute("data-pmt-fulltext");
    var workerUrl = box.getAttribute("data-pmt-fulltext-worker");
    // The words written here, in the site's language (the template's data-pmt-ft-*
    // attributes; English for a template overridden before they were there).
    function words(name, english) { return box.getAttribute("data-pmt-ft-" + name) || english; }
    var FILTER_STILL = " The filter above still searches ids, titles, summaries, services, " +
      "tags and people.";
    function unavailable(text) {
      box.hidden = true;
      if (note) {
        note.textContent = text;
        note.hidden = false;
      }
    }
    if (!url) return;
    if (location.protocol === "file:") {
      unavailable(words("offline", "Full-text search needs the site served over HTTP: " +
                        "browsers do not run it from a file:// page." + FILTER_STILL));
      return;
    }
    url = new URL(url, location.href).href;
    workerUrl = workerUrl ? new URL(workerUrl, location.href).href : null;
    var serial = 0;
    var started = 0;

    function filters() {
      var out = {};
      if (!form) return out;
      ["severity", "service", "tag", "year", "status"].forEach(function (name) {
        var values = checked(form, name);
        if (values.length) out[name] = { any: values };
      });
      return out;
    }

    function entry(data) {
      var where = hitAnchor(data);
      var meta = data.meta || {};
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = data.url + (where.anchor ? "#" + encodeURIComponent(where.anchor.id) : "");
      a.textContent = (meta.id ? meta.id + ": " : "") + (meta.title || data.url);
      li.appendChild(a);
      if (where.anchor) {
        var place = document.createElement("span");
        place.className = "pmt-ft-where";
        place.textContent = " \u2013 " + anchorLabel(
          where.anchor, String(data.content || "").split(/\s+/));
        li.appendChild(place);
      }
      li.appendChild(excerpt(data, where.at));
      return li;
    }

    function measure() {
      if (performance.measure) {
        performance.clearMeasures("pmtheater:fulltext");
        performance.measure("pmtheater:fulltext", { start: started, end: performance.now() });
      }
    }

    // Each result needs its fragment (Pagefind's result.data(): about 2.6 KB, gzipped),
    // fetched for the results shown only. They are shown as they arrive, in rank order
    // (a result waits for those above it), so the first one does not wait for the tenth.
    function show(term, search, mine) {
      var total = search.total;
      var results = search.load(Math.min(total, FULLTEXT_RESULTS));
      var ready = [];
      var next = 0;
      // The earlier query's results stay until the first of these can replace them.
      function replace() {
        list.textContent = "";
        output.textContent = total === 0 ? words("none", "No post-mortem has these words.") :
          total > results.length ? filled(words("first", "%(total)s post-mortems, the first " +
                                                "%(shown)s shown"), results.length, total) :
          filled(total === 1 ? words("one", "%(total)s post-mortem") :
                 words("many", "%(total)s post-mortems"), total, total);
      }
      if (!results.length) {
        replace();
        measure();
        return Promise.resolve();
      }
      return Promise.all(results.map(function (r, i) {
        return r.then(function (data) {
          if (mine !== serial || !box.isConnected) return;
          ready[i] = entry(data);
          if (i === 0) replace();
          while (ready[next]) list.appendChild(ready[next++]);
          if (i === 0) measure();  // the first result is on the page
        });
      }));
    }

    function run() {
      var term = input.value.trim();
      var mine = ++serial;
      started = performance.now();
      if (!term) {
        list.textContent = "";
        output.textContent = "";
        return;
      }
      var reached = false;
      searchEngine(url, workerUrl).then(function (engine) {
        if (mine !== serial) return null;
        reached = true;
        return engine.search(term, filters()).then(function (search) {
          // A total below 0: the worker had a newer search to run (a stale one).
          if (search && search.total >= 0 && mine === serial) return show(term, search, mine);
          return null;
        });
      }).catch(function () {
        if (mine !== serial) return;
        if (reached) {
          // Pagefind started, then a file of its index failed to arrive (the network, a
          // deploy under way): this query failed, not full-text search.
          forget(url);
          list.textContent = "";
          output.textContent = words("failed", "This search failed: a file of the full-text " +
                                     "index could not be loaded. Type again, or reload the page.");
        } else {
          unavailable(words("missing", "Full-text search is not available: this site was " +
                            "built without its Pagefind index (it is not built under mkdocs " +
                            "serve)." + FILTER_STILL));
        }
      });
    }

    input.addEventListener("input", run);
    // Load Pagefind at the first sign of intent: the pointer over the box, or focus.
    function warm() { searchEngine(url, workerUrl).catch(function () {}); }
    box.addEventListener("pointerenter", warm, { once: true });
    input.addEventListener("focus", warm);
    if (form) {
      form.addEventListener("change", function () { if (input.value.trim()) run(); });
      form.addEventListener("reset", function () { setTimeout(function () { if (input.value.trim()) run(); }, 0); });
    }
    box.hidden = false;
  }

  /* -- Edit this page -------------------------------------------------------- */
  // Pages that `pmtheater render` wrote for Zensical say which file "edit this page"
  // should open (the incident's YAML): the theme computes it from the page's own path.
  function pointEditButton() {
    var page = document.querySelector("[data-pmt-edit]");
    if (!page) return;
    var url = page.getAttribute("data-pmt-edit");
    if (!/^https?:\/\//i.test(url)) return;
    Array.prototype.forEach.call(document.querySelectorAll('a[rel="edit"]'), function (a) {
      a.setAttribute("href", url);
    });
  }

  /* -- Start ---------------------------------------------------------------- */
  function init() {
    pointEditButton();
    var tables = document.querySelectorAll("table[data-pmt-table]:not([data-pmt-ready])");
    Array.prototype.forEach.call(tables, function (table) {
      table.setAttribute("data-pmt-ready", "");
      setupIndex(table);
    });
    var boards = document.querySelectorAll("[data-pmt-board]:not([data-pmt-ready])");
    Array.prototype.forEach.call(boards, function (board) {
      board.setAttribute("data-pmt-ready", "");
      setupBoard(board);
    });
    var fulltext = document.querySelectorAll("[data-pmt-fulltext]:not([data-pmt-ready])");
    Array.prototype.forEach.call(fulltext, function (box) {
      box.setAttribute("data-pmt-ready", "");
      setupFulltext(box);
    });
    var plain = document.querySelectorAll("table[data-pmt-sortable]:not([data-pmt-ready])");
    Array.prototype.forEach.call(plain, function (table) {
      table.setAttribute("data-pmt-ready", "");
      sortable(table, null);
    });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);  // Material, with or without instant navigation
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
