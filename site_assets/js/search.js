/* The search page. When the sidecar answers /api/search its results are shown; otherwise the
   page filters the offline index (pre-compressed JSON shards, one per year or per month of a big
   year) by text, year, month, place, country, camera, folder, colour and person (a person's name
   in the text matches too), loading only the shards whose summary in the manifest can match
   (their facet values, and a bitset of their text's trigrams: gallery_builder/site/search_summary.py). Either way the curation filter (picks, rating, hide
   rejected) narrows the results, and a signed-in person can add the whole result to a collection. */
(function () {
  "use strict";
  var G = window.Gallery;
  var form = document.getElementById("search-form");
  if (!form) return;
  var statusLine = document.getElementById("search-status"), results = document.getElementById("results");
  var FILTERS = ["q", "year", "month", "country", "place", "camera", "folder", "color", "person"];
  var LIMIT = 5000, API_TIMEOUT = 2500;
  var manifest = null, shards = {}, apiDown = false, grid = null, resultIds = [], cardFilter = null;
  var addResults = document.getElementById("add-results");

  function showResultActions(ids) {
    resultIds = ids;
    if (addResults) addResults.parentNode.hidden = !ids.length;
  }
  if (addResults) {
    addResults.addEventListener("click", function () {
      if (G.collectionsUi && resultIds.length) G.collectionsUi.chooseAndAdd(resultIds.slice());
    });
  }

  function clearResults() {
    if (grid) { grid.destroy(); grid = null; }
    if (cardFilter) { cardFilter.bar.remove(); cardFilter = null; }
    results.innerHTML = "";
  }

  function query() {
    var data = new FormData(form), params = {};
    FILTERS.forEach(function (name) { var value = (data.get(name) || "").trim(); if (value) params[name] = value; });
    return params;
  }

  function fillFromAddress() {
    var params = new URLSearchParams(location.search);
    FILTERS.forEach(function (name) {
      var value = params.get(name);
      if (value === null) return;
      var field = form.elements[name];
      if (field && field.length !== undefined && !field.tagName) {
        for (var i = 0; i < field.length; i++) field[i].checked = field[i].value === value;
      } else if (field) field.value = value;
    });
  }

  function loadManifest() {
    if (!manifest) manifest = G.loadData(form.getAttribute("data-index"));
    return manifest;
  }

  function loadShard(entry) {
    if (!shards[entry.url]) {
      shards[entry.url] = G.loadData(G.url(entry.url)).then(function (shard) { shard.year = entry.year; return shard; });
    }
    return shards[entry.url];
  }

  /* FNV-1a of each run of three code points of `word`, mixed by MurmurHash3's fmix32
     (search_summary.py gram_hashes). */
  function gramHashes(word) {
    var points = Array.from(word, function (character) { return character.codePointAt(0); }), hashes = [];
    for (var i = 0; i + 3 <= points.length; i++) {
      var hash = 2166136261;
      for (var k = 0; k < 3; k++) hash = Math.imul(hash ^ points[i + k], 16777619) >>> 0;
      hash ^= hash >>> 16;
      hash = Math.imul(hash, 0x85ebca6b);
      hash ^= hash >>> 13;
      hash = Math.imul(hash, 0xc2b2ae35);
      hash ^= hash >>> 16;
      hashes.push(hash >>> 0);
    }
    return hashes;
  }

  var bitsets = new Map();
  function bitsetOf(entry) {
    if (!bitsets.has(entry.url)) {
      var text = atob(entry.grams), bytes = new Uint8Array(text.length);
      for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      bitsets.set(entry.url, bytes);
    }
    return bitsets.get(entry.url);
  }

  /* Can a row of the shard `entry` match? From the manifest alone: false only when its facets or
     its trigrams rule every row out. Words of fewer than three letters, or with letters outside
     ASCII (lower-casing may differ from Python's there), never rule a shard out. */
  function canMatch(entry, params, words, colorBit) {
    if (params.year && entry.year !== params.year) return false;
    if (!entry.grams) return true;                        // a manifest of version 1: no summaries
    if (params.month && entry.months.indexOf(params.month) < 0) return false;
    var facets = ["place", "country", "camera"];
    for (var i = 0; i < facets.length; i++) {
      if (params[facets[i]] && entry[facets[i]].indexOf(params[facets[i]]) < 0) return false;
    }
    // people are listed by id; their names (which a rename changes) come from the shared table
    var names = (entry.person || []).map(function (id) { return (personNames.get(id) || "").toLowerCase(); });
    if (params.person && names.indexOf(params.person.toLowerCase()) < 0) return false;
    if (colorBit && !(entry.colors & colorBit)) return false;
    var bits = null;
    return words.every(function (word) {
      if (word.length < 3 || /[^\x00-\x7f]/.test(word)) return true;
      if (names.some(function (name) { return name.indexOf(word) >= 0; })) return true;   // a person's name
      bits = bits || bitsetOf(entry);
      return gramHashes(word).every(function (hash) {
        var bit = hash & (entry.bits - 1);
        return (bits[bit >> 3] >> (bit & 7)) & 1;
      });
    });
  }

  function wordsOf(params) { return (params.q || "").toLowerCase().split(/\s+/).filter(Boolean); }

  function haystack(shard, row) {
    var tables = shard.tables, folder = shard.folders[row[6]], month = parseInt(row[4].slice(5, 7), 10);
    return [row[5], folder[2], tables.place[row[10]], tables.country[row[11]], tables.camera[row[12]], row[4],
            month ? G.MONTHS[month - 1] : "", row[14] || ""].concat(peopleOf(shard, row)).join(" ").toLowerCase();
  }

  /* Person id -> name, from the one shared table (people/_people.json's script twin, loaded by the page). */
  var personNames = new Map(((window.GALLERY_PEOPLE || {}).people || []).map(function (entry) {
    return [entry[0], entry[1]];
  }));

  /* The names of the people on a shard row (field "people": indices into the shard's person table of
     person ids; a person missing from the names table is left out). */
  function peopleOf(shard, row) {
    var table = shard.tables.person || [];
    return (row[15] || []).map(function (index) { return personNames.get(table[index]); })
      .filter(function (name) { return name !== undefined; });
  }

  function matcher(params, colors) {
    var words = wordsOf(params);
    var colorBit = params.color ? 1 << colors.indexOf(params.color) : 0;
    return function (shard, row) {
      var tables = shard.tables;
      if (params.month && row[4].slice(5, 7) !== params.month) return false;
      if (params.country && tables.country[row[11]] !== params.country) return false;
      if (params.place && tables.place[row[10]] !== params.place) return false;
      if (params.camera && tables.camera[row[12]] !== params.camera) return false;
      if (params.folder && shard.folders[row[6]][2].indexOf(params.folder) !== 0) return false;
      if (colorBit && !(row[13] & colorBit)) return false;
      if (params.person && peopleOf(shard, row).indexOf(params.person) < 0) return false;
      if (!words.length) return true;
      var text = row.text || (row.text = haystack(shard, row));
      return words.every(function (word) { return text.indexOf(word) >= 0; });
    };
  }

  /* Matching rows of every needed shard, newest first, as grid rows with one merged folder table. */
  function offline(params) {
    return loadManifest().then(function (index) {
      var words = wordsOf(params), colorBit = params.color ? 1 << index.colors.indexOf(params.color) : 0;
      var needed = index.shards.filter(function (entry) { return canMatch(entry, params, words, colorBit); });
      statusLine.textContent = "Searching " + needed.length + " of " + index.shards.length + " parts of the index offline…";
      return Promise.all(needed.map(loadShard)).then(function (loaded) {
        var test = matcher(params, index.colors), folders = [], folderIndex = new Map(), rows = [];
        loaded.forEach(function (shard) {
          shard.rows.forEach(function (row) {
            if (!test(shard, row)) return;
            var folder = shard.folders[row[6]], key = folder[0];
            if (!folderIndex.has(key)) { folderIndex.set(key, folders.length); folders.push(folder); }
            rows.push([row[0], row[1], row[2], row[3], row[4], row[5], folderIndex.get(key), row[7], row[8], row[9]]);
          });
        });
        rows.sort(function (a, b) { return a[4] < b[4] ? 1 : a[4] > b[4] ? -1 : 0; });
        return { rows: rows, folders: folders, source: "offline index" };
      });
    });
  }

  function fromApi(params) {
    if (apiDown || G.isFile) return Promise.resolve(null);
    var controller = new AbortController(), timer = setTimeout(function () { controller.abort(); }, API_TIMEOUT);
    var search = new URLSearchParams(params);
    search.set("limit", "500");
    return fetch(G.url("api/search?" + search.toString()), { signal: controller.signal, headers: { Accept: "application/json" } })
      .then(function (response) {
        clearTimeout(timer);
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) { if (!body || !Array.isArray(body.results)) throw new Error("not a search answer"); return body; })
      .catch(function () { apiDown = true; return null; });
  }

  function apiLink(value, fallback) {
    if (!value) return fallback;
    return /^\//.test(value) ? value : G.url(value);
  }

  function showApi(body) {
    clearResults();
    var flow = document.createElement("div");
    flow.className = "grid-flow";
    body.results.forEach(function (item) {
      var link = document.createElement("a"), ratio = item.width && item.height ? item.width / item.height : 1;
      link.className = "card";
      if (item.id !== undefined) link.setAttribute("data-id", item.id);
      link.style.setProperty("--ratio", ratio.toFixed(4));
      // the site owns its URLs: the permalink comes from the id (the answer's `url` only without one)
      link.href = item.id !== undefined ? G.url(G.photoPath(item.id)) : apiLink(item.url, "");
      link.title = item.path || "";
      var name = item.name || (item.path || "").split("/").pop();
      if (item.thumb) {
        var image = new Image(), large = item.thumbs && item.thumbs["1280"];
        image.alt = item.path || "";
        image.loading = "lazy";
        // result cards are 180 px high: a 2x screen takes the 1280 px slot
        if (large && large !== item.thumb) image.srcset = apiLink(item.thumb, "") + " 1x, " + apiLink(large, "") + " 2x";
        image.src = apiLink(item.thumb, "");
        G.showImage(link, image, name, item.kind);
      } else {
        link.appendChild(G.fileCard(name, item.kind));      // no thumbnail (a RAW without preview, a corrupt file)
      }
      flow.appendChild(link);
    });
    results.appendChild(flow);
    setStatus(body.results.length, "search server");
    var ids = body.results.map(function (item) { return item.id; }).filter(function (id) { return id !== undefined; });
    showResultActions(ids);
    if (G.gridFilter && ids.length) {
      cardFilter = G.gridFilter.attachCards(results, flow.querySelectorAll("a.card[data-id]"));
      if (G.decisions) G.decisions.load(ids);            // the live flags and stars of these results
    }
    rankLinks(ids);
    downloadLinks();
  }

  /* With the sidecar answering: the result as a CSV or JSON file (GET /api/selection/export). */
  function downloadLinks() {
    var params = query();
    params.q = params.q || "";
    var box = document.createElement("span");
    box.className = "selection-download";
    box.innerHTML = "Download: " + ["csv", "json"].map(function (format) {
      var search = new URLSearchParams(params);
      search.set("format", format);
      return '<a download href="' + G.escapeHtml(G.url("api/selection/export?" + search.toString())) + '">' +
        format.toUpperCase() + "</a>";
    }).join(" \u00b7 ");
    statusLine.appendChild(box);
  }

  /* With the sidecar answering, the results can be ranked: Compare / Mosaic / Top 50 of these ids. */
  function rankLinks(ids) {
    if (ids.length < 2) return;
    var scope = encodeURIComponent("ids:" + ids.slice(0, 2000).join(","));
    var box = document.createElement("nav");
    box.className = "rank-links";
    box.setAttribute("aria-label", "Rank these results");
    box.innerHTML = '<a href="' + G.url("rank/compare/?scope=" + scope) + '">Compare these</a>' +
      '<a href="' + G.url("rank/mosaic/?scope=" + scope) + '">Mosaic</a>' +
      '<a href="' + G.url("rank/top/?scope=" + scope) + '">Top 50</a>';
    statusLine.appendChild(box);
  }

  function setStatus(count, source) {
    statusLine.textContent = count.toLocaleString() + " result" + (count === 1 ? "" : "s") +
      (count > LIMIT ? " (showing the newest " + LIMIT.toLocaleString() + ")" : "");
    var badge = document.createElement("span");
    badge.className = "source-badge";
    badge.textContent = source;
    statusLine.appendChild(badge);
  }

  function showOffline(found) {
    clearResults();
    setStatus(found.rows.length, found.source);
    showResultActions(found.rows.map(function (row) { return row[0]; }));
    if (!found.rows.length) return;
    grid = new G.grid.Grid(results, { rows: found.rows.slice(0, LIMIT), folders: found.folders });
    grid.mount();
    if (G.gridFilter) G.gridFilter.attach(grid);
    if (G.selection) G.selection.attach(grid);
  }

  /* "Find similar" from a photo page: /api/similar/<id> (CLIP image neighbours) answers, or says why not. */
  function runSimilar(photoId) {
    statusLine.textContent = "Finding photos similar to #" + photoId + "…";
    if (G.isFile) { statusLine.textContent = "Finding similar photos needs the search service (gallery serve)."; return; }
    fetch(G.url("api/similar/" + encodeURIComponent(photoId) + "?limit=200"), { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          if (!response.ok || !body || !Array.isArray(body.results)) {
            throw new Error(body && body.error ? body.error : "the search service does not answer (start it with gallery serve)");
          }
          return body;
        });
      })
      .then(function (body) { showApi(body); statusLine.firstChild.textContent += " similar to #" + photoId; })
      .catch(function (error) { statusLine.textContent = "Cannot find similar photos: " + error.message; });
  }

  function run() {
    var params = query();
    if (!Object.keys(params).length) { statusLine.textContent = "Type words or choose a filter."; return; }
    statusLine.textContent = "Searching…";
    fromApi(params).then(function (body) {
      if (body) { showApi(body); return null; }
      return offline(params).then(showOffline);
    }).catch(function (error) { statusLine.textContent = "Search failed: " + error.message; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    history.replaceState(null, "", "?" + new URLSearchParams(query()).toString());
    run();
  });
  form.addEventListener("change", function (event) {
    if (event.target.name !== "q") form.requestSubmit();
  });
  fillFromAddress();
  var headerBox = document.querySelector(".searchbar input[name=q]");
  if (headerBox) headerBox.value = new URLSearchParams(location.search).get("q") || "";
  var similar = new URLSearchParams(location.search).get("similar");
  if (similar && /^\d+$/.test(similar)) runSimilar(similar);
  else if (location.search) run();
})();
