/* The ranking pages (rank/compare/, rank/mosaic/, rank/top/): Swiss A/B, Mosaic and Top 50 against
   the sidecar's /api/rank/*, for the scope in the URL (?scope=year:2019). The next pair or grid is
   fetched and its images preloaded while the person looks at the current one, and writes go out in
   order behind the scenes, so a pick never waits. Comparing needs a signed-in session; Top 50 reads
   without one. With the sidecar down the page says so. Classic script. */
(function () {
  "use strict";
  var G = window.Gallery;
  var section = document.querySelector("[data-rank-mode]");
  if (!section) return;
  var mode = section.getAttribute("data-rank-mode");
  var params = new URLSearchParams(location.search);
  var scope = params.get("scope") || "all";
  var note = section.querySelector(".rank-note");
  var lastLine = section.querySelector(".rank-last");
  var session = { signed_in: false, writing_enabled: false, how_to_enable: null };
  var writes = Promise.resolve();            // every write, in order
  var current = null, upcoming = null, previous = [];   // `previous`: what was shown before each pick, for undo
  var KEEP = 50;

  function api(path) { return G.url("api/rank/" + path); }
  function withScope(path) { return path + (path.indexOf("?") < 0 ? "?" : "&") + "scope=" + encodeURIComponent(scope); }

  function say(text, state) {
    note.textContent = text;
    if (state) section.setAttribute("data-state", state);
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) throw new Error(body.error || "the sidecar answered " + response.status);
        return body;
      });
    });
  }

  /* Queue a write after the earlier ones; resolves with the answer (rejects with the refusal). */
  function post(path, body) {
    var done = writes.then(function () {
      return fetch(api(path), { method: "POST", credentials: "same-origin",
                                headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (answer) {
            if (!response.ok) throw new Error(answer.error || "the sidecar answered " + response.status);
            return answer;
          });
        });
    });
    writes = done.catch(function () {});
    return done;
  }

  function remember(shown) {
    previous.push(shown);
    if (previous.length > KEEP) previous.shift();
  }

  function report(text) { if (lastLine) lastLine.textContent = text; }
  function failed(error) { report("Not recorded: " + error.message); }

  /* The smallest thumbnail at least `want` pixels wide (else the largest), from a card's `thumbs`. */
  function thumbFor(photo, want) {
    var widths = Object.keys(photo.thumbs || {}).map(Number).sort(function (a, b) { return a - b; });
    if (!widths.length) return "";
    for (var i = 0; i < widths.length; i++) if (widths[i] >= want) return photo.thumbs[widths[i]];
    return photo.thumbs[widths[widths.length - 1]];
  }

  function preload(answer, want) {
    (answer.photos || []).forEach(function (photo) {
      var src = thumbFor(photo, want);
      if (src) new Image().src = src;
    });
    return answer;
  }

  function standing(photo) {
    return Math.round(photo.rating) + " \u00b1 " + Math.round(photo.deviation) + " \u00b7 " +
      photo.comparisons + " comparison" + (photo.comparisons === 1 ? "" : "s");
  }

  function imageHtml(photo, want) {
    var src = thumbFor(photo, want);
    var name = G.escapeHtml(photo.name || "photo " + photo.id);
    return (src ? '<img src="' + G.escapeHtml(src) + '" alt="' + name + '">' : '<span class="card-missing">' + name + "</span>") +
      '<span class="rank-caption">' + name + " \u00b7 " + standing(photo) + "</span>";
  }

  function canWrite() {
    if (session.signed_in) return true;
    say(session.writing_enabled ? "Sign in to compare: your picks are saved in the library." :
      "This gallery is read-only: " + (session.how_to_enable || "run gallery passwd on the server") + ".", "signed-out");
    return false;
  }

  /* ---- Swiss A/B ---- */
  var sides = section.querySelectorAll(".rank-pick");

  function pairWidth() { return Math.ceil((window.innerWidth / 2) * (window.devicePixelRatio || 1)); }
  function loadPair() { return getJson(api(withScope("pair"))).then(function (answer) { return preload(answer, pairWidth()); }); }

  function showPair(answer) {
    current = answer;
    upcoming = null;
    if (!answer.pair) { say(answer.note || "Fewer than two photos in this scope.", "empty"); return; }
    for (var i = 0; i < 2; i++) {
      sides[i].innerHTML = imageHtml(answer.photos[i], pairWidth());
      sides[i].setAttribute("data-id", answer.pair[i]);
    }
    section.setAttribute("data-pair", answer.pair.join(","));
    say(session.signed_in ? "Which is better?" : "", "ready");
    if (!session.signed_in) canWrite();
    upcoming = loadPair();                       // ready before the person decides
  }

  function nextPair() {
    var waiting = upcoming || loadPair();
    upcoming = null;
    waiting.then(showPair, sidecarDown);
  }

  function pickSide(side) {
    if (!current || !current.pair || !canWrite()) return;
    var winner = current.pair[side], loser = current.pair[1 - side];
    var names = [current.photos[side].name, current.photos[1 - side].name];
    remember(current);
    post("compare", { winner: winner, loser: loser, scope: scope, mode: "swiss" }).then(function (answer) {
      report("Recorded: " + names[0] + " over " + names[1] + (answer.nudged ? " (and " + answer.nudged + " look-alikes nudged)" : ""));
      section.setAttribute("data-recorded", String(answer.pick));
    }, failed);
    nextPair();
  }

  /* ---- Mosaic ---- */
  var grid = section.querySelector(".rank-mosaic");
  var options = section.querySelector(".rank-options");
  var size = Math.max(6, Math.min(12, parseInt(params.get("n"), 10) || 9));

  function cellWidth() { return Math.ceil(360 * (window.devicePixelRatio || 1)); }
  function loadSet() {
    return getJson(api(withScope("set?n=" + size))).then(function (answer) { return preload(answer, cellWidth()); });
  }

  function showSet(answer) {
    current = answer;
    upcoming = null;
    if ((answer.photos || []).length < 2) { say("Fewer than two photos in this scope.", "empty"); return; }
    grid.innerHTML = answer.photos.map(function (photo, index) {
      return '<button type="button" class="rank-cell" data-index="' + index + '" data-id="' + photo.id + '">' +
        '<span class="rank-key">' + (index < 9 ? index + 1 : "") + "</span>" + imageHtml(photo, cellWidth()) + "</button>";
    }).join("");
    section.setAttribute("data-set", answer.photos.map(function (photo) { return photo.id; }).join(","));
    say(session.signed_in ? (options.elements.worst.checked ? "Which is the worst?" : "Which is the best?") : "", "ready");
    if (!session.signed_in) canWrite();
    upcoming = loadSet();
  }

  function nextSet() {
    var waiting = upcoming || loadSet();
    upcoming = null;
    waiting.then(showSet, sidecarDown);
  }

  function pickCell(index) {
    if (!current || !current.photos || !current.photos[index] || !canWrite()) return;
    var ids = current.photos.map(function (photo) { return photo.id; });
    var chosen = ids[index], worst = options.elements.worst.checked;
    var body = { others: ids, scope: scope };
    body[worst ? "worst" : "best"] = chosen;
    remember(current);
    post("mosaic", body).then(function (answer) {
      report("Recorded: " + current.photos.length + " photos, " + answer.events.length + (worst ? " losses" : " wins") +
        " for " + (worst ? "the worst" : "the best"));
      section.setAttribute("data-recorded", String(answer.pick));
    }, failed);
    nextSet();
  }

  /* ---- Top 50 ---- */
  var list = section.querySelector(".rank-top");
  var dragged = null;

  function loadTop() {
    getJson(api(withScope("top?n=50"))).then(function (answer) {
      var rows = answer.photos || [];
      section.setAttribute("data-top", rows.map(function (row) { return row.id; }).join(","));
      if (!rows.length) { list.innerHTML = ""; say("No photo of this scope has been compared yet: start with Compare or Mosaic.", "empty"); return; }
      say("", "ready");
      list.innerHTML = rows.map(function (row, index) {
        var src = thumbFor(row, 200);
        return '<li draggable="' + (session.signed_in ? "true" : "false") + '" data-id="' + row.id + '" data-index="' + index + '">' +
          '<span class="rank-place">' + row.rank + "</span>" +
          '<a href="' + G.escapeHtml(row.url || "#") + '">' + (src ? '<img src="' + G.escapeHtml(src) + '" alt="" loading="lazy">' : "") + "</a>" +
          '<span class="rank-name">' + G.escapeHtml(row.name || row.path) + "</span>" +
          '<span class="rank-rating" title="rating \u00b1 deviation">' + Math.round(row.rating) + " \u00b1 " + Math.round(row.deviation) + "</span>" +
          '<span class="rank-confidence" title="confidence">' + Math.round(row.confidence * 100) + "% sure</span>" +
          '<span class="muted">' + row.comparisons + " cmp</span>" +
          (index && session.signed_in ? '<button type="button" data-action="up" aria-label="Put it above the one before">\u2191</button>' : "") + "</li>";
      }).join("");
    }, sidecarDown);
  }

  /* `winner` goes above `target`: it beats `target` and every photo listed between them. */
  function putAbove(winner, target) {
    if (!canWrite() || winner === target) return;
    var items = Array.prototype.map.call(list.children, function (item) { return parseInt(item.getAttribute("data-id"), 10); });
    var from = items.indexOf(winner), to = items.indexOf(target);
    var losers = from > to ? items.slice(to, from) : [target];
    post("compare", { winner: winner, losers: losers, scope: scope, mode: "top" }).then(function (answer) {
      report("Recorded: " + answer.events.length + " comparison" + (answer.events.length === 1 ? "" : "s"));
      section.setAttribute("data-recorded", String(answer.pick));
      loadTop();
    }, failed);
  }

  /* ---- shared ---- */
  function undo() {
    if (!canWrite()) return;
    post("undo", {}).then(function (answer) {
      report("Undone: the last comparison (" + answer.events.length + " event" + (answer.events.length === 1 ? "" : "s") + ")");
      section.setAttribute("data-recorded", "undone-" + answer.pick);
      if (mode === "top") { loadTop(); return; }
      var back = previous.pop();
      if (back) {                                // show the undone photos again; the ones shown now come next
        var shownNow = current;
        (mode === "compare" ? showPair : showSet)(back);
        upcoming = Promise.resolve(shownNow);
      }
    }, function (error) { report(error.message); });
  }

  function sidecarDown(error) {
    say("The ranking needs the search sidecar, which is not answering (" + (error && error.message || "no answer") +
      "). Start it with `gallery serve`; browsing the gallery works without it.", "down");
  }

  function scopeLabel() {
    var match = /^year:(\d{4})$/.exec(scope);
    if (match) return "in " + match[1];
    if (/^folder:/.test(scope)) return "in " + scope.slice(7);
    if (/^collection:/.test(scope)) return "in a collection";
    if (/^stack:/.test(scope)) return "in a stack";
    if (/^ids:/.test(scope)) return "in a search result";
    return "in the whole library";
  }

  function linkScope() {
    section.parentNode.querySelector(".rank-scope").textContent = scopeLabel();
    var links = document.querySelectorAll("a[data-rank-link], a[data-export]");
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href").split("?");
      var query = new URLSearchParams(href[1] || "");
      query.set("scope", scope);
      links[i].setAttribute("href", href[0] + "?" + query.toString());
    }
  }

  function start() {
    if (mode === "compare") nextPair();
    else if (mode === "mosaic") nextSet();
    else loadTop();
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || /INPUT|SELECT|TEXTAREA/.test(event.target.tagName)) return;
    var key = event.key;
    if (key === "z" || key === "Z") { event.preventDefault(); undo(); return; }
    if (mode === "compare") {
      if (key === "ArrowLeft") { event.preventDefault(); pickSide(0); }
      else if (key === "ArrowRight") { event.preventDefault(); pickSide(1); }
      else if (key === "ArrowDown") { event.preventDefault(); nextPair(); }
    } else if (mode === "mosaic") {
      if (/^[1-9]$/.test(key)) { event.preventDefault(); pickCell(parseInt(key, 10) - 1); }
      else if (key === "ArrowDown") { event.preventDefault(); nextSet(); }
    }
  });

  section.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;
    var action = target.getAttribute("data-action");
    if (action === "undo") undo();
    else if (action === "skip") (mode === "compare" ? nextPair : nextSet)();
    else if (action === "up") {
      var item = target.closest("li");
      putAbove(parseInt(item.getAttribute("data-id"), 10), parseInt(item.previousElementSibling.getAttribute("data-id"), 10));
    } else if (target.classList.contains("rank-pick")) pickSide(parseInt(target.getAttribute("data-side"), 10));
    else if (target.classList.contains("rank-cell")) pickCell(parseInt(target.getAttribute("data-index"), 10));
  });

  if (list) {
    list.addEventListener("dragstart", function (event) {
      var item = event.target.closest("li");
      dragged = item ? parseInt(item.getAttribute("data-id"), 10) : null;
      if (event.dataTransfer) event.dataTransfer.setData("text/plain", String(dragged));
    });
    list.addEventListener("dragover", function (event) { if (dragged !== null) event.preventDefault(); });
    list.addEventListener("drop", function (event) {
      var item = event.target.closest("li");
      event.preventDefault();
      if (item && dragged !== null) putAbove(dragged, parseInt(item.getAttribute("data-id"), 10));
      dragged = null;
    });
  }

  if (options) {
    options.elements.n.value = String(size);
    options.addEventListener("change", function () {
      var chosen = parseInt(options.elements.n.value, 10);
      if (chosen !== size) { size = chosen; params.set("n", String(size)); history.replaceState(null, "", "?" + params.toString()); upcoming = null; nextSet(); }
      else if (current) say(options.elements.worst.checked ? "Which is the worst?" : "Which is the best?", "ready");
    });
    options.addEventListener("submit", function (event) { event.preventDefault(); });
  }

  linkScope();
  if (G.isFile) { say("Ranking needs the gallery served over HTTP with the search sidecar.", "down"); return; }
  say("Loading\u2026", "loading");
  fetch(G.url("api/session"), { credentials: "same-origin" })
    .then(function (response) { if (!response.ok) throw new Error("the sidecar answered " + response.status); return response.json(); })
    .then(function (body) {
      session = { signed_in: !!body.signed_in, writing_enabled: !!body.writing_enabled, how_to_enable: body.how_to_enable };
      section.setAttribute("data-writing", session.signed_in ? "signed-in" : "signed-out");
      start();
    }, sidecarDown);
})();
