/* A person's decisions on a static page (window.Gallery.decisions): flags (pick / reject) and 0-5
   stars, shown as of the last build and brought up to date by the live overlay: with the sidecar
   up, one request (/api/decisions?since=published) returns what changed since this site was built,
   and every card, photo page and lightbox slide on the page shows it. Signed-in people change them
   with Lightroom's keys (P pick, X reject, U unflag, 0-5 stars) or the buttons; each change is one
   writing request to the sidecar, which republishes the static pages within seconds. With the
   sidecar down the page keeps its built state; from file:// nothing is asked. Classic script. */
(function () {
  "use strict";
  var G = window.Gallery;
  var PICK = 16, REJECT = 32, STARS_SHIFT = 6;          // gallery_builder/site/cards.py flag bits
  var state = {};                                       // id -> {flag, stars}: live values only
  var shown = {};                                       // id -> what the page shows now (built or live)
  var session = { signed_in: false, writing_enabled: false, how_to_enable: null, known: false };
  var version = null, refreshing = false;

  function fromBits(bits) {
    bits = bits || 0;
    return { flag: bits & PICK ? "pick" : bits & REJECT ? "reject" : null, stars: (bits >> STARS_SHIFT) & 7 };
  }

  /* The decision of photo `id`: live when the overlay knows it, else `built` (as of the build). */
  function decisionOf(id, built) {
    var decision = state[id] || built || shown[id] || { flag: null, stars: 0 };
    shown[id] = decision;
    return decision;
  }

  function starsText(stars) { return stars ? new Array(stars + 1).join("\u2605") : ""; }

  /* Show `decision` on one grid card (classes and a star badge). */
  function paintCard(card, decision) {
    card.classList.toggle("is-pick", decision.flag === "pick");
    card.classList.toggle("is-reject", decision.flag === "reject");
    var badge = card.querySelector(".card-decision");
    var text = (decision.flag === "pick" ? "\u2691 " : decision.flag === "reject" ? "\u2715 " : "") + starsText(decision.stars);
    if (!text) { if (badge) badge.remove(); return; }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "card-decision";
      card.appendChild(badge);
    }
    badge.textContent = text.trim();
  }

  /* Show `decision` on a decision panel (photo page, lightbox): pressed buttons and the state line. */
  function paintPanel(panel, decision) {
    panel.setAttribute("data-flag", decision.flag || "");
    panel.setAttribute("data-stars", String(decision.stars));
    var buttons = panel.querySelectorAll("button[data-set]");
    for (var i = 0; i < buttons.length; i++) {
      var parts = buttons[i].getAttribute("data-set").split(":");
      var on = parts[0] === "flag" ? (decision.flag || "none") === parts[1] : decision.stars >= parseInt(parts[1], 10) && parts[1] !== "0";
      buttons[i].setAttribute("aria-pressed", on ? "true" : "false");
      buttons[i].disabled = !session.signed_in;
    }
    var note = panel.querySelector(".decide-note");
    if (note) note.innerHTML = noteHtml();
  }

  function noteHtml() {
    if (!session.known) return "";
    if (session.signed_in) return "Keys: P pick \u00b7 X reject \u00b7 U unflag \u00b7 0\u20135 stars";
    if (!session.writing_enabled) {
      return "Read-only: to flag and rate here, set a password on the server: <code>" +
        G.escapeHtml(session.how_to_enable || "gallery passwd") + "</code>";
    }
    return '<a href="' + G.escapeHtml("/signin?next=" + encodeURIComponent(location.pathname + location.hash)) +
      '">Sign in</a> to flag and rate';
  }

  /* Repaint everything on the page that shows photo `id` (or every photo when id is undefined). */
  function repaint(id) {
    var selector = id === undefined ? "[data-id]" : '[data-id="' + id + '"]';
    var cards = document.querySelectorAll("a.card" + selector);
    for (var i = 0; i < cards.length; i++) {
      var cardId = cards[i].getAttribute("data-id");
      paintCard(cards[i], decisionOf(cardId, fromBits(parseInt(cards[i].getAttribute("data-x") || "0", 10))));
    }
    var panels = document.querySelectorAll(".decide" + (id === undefined ? "" : '[data-id="' + id + '"]'));
    for (var k = 0; k < panels.length; k++) {
      var panelId = panels[k].getAttribute("data-id");
      if (panelId) paintPanel(panels[k], decisionOf(panelId, builtOfPanel(panels[k])));
    }
  }

  function builtOfPanel(panel) {
    if (!panel.hasAttribute("data-built-stars")) return null;
    return { flag: panel.getAttribute("data-built-flag") || null, stars: parseInt(panel.getAttribute("data-built-stars"), 10) || 0 };
  }

  function absorb(decisions) {
    for (var i = 0; i < decisions.length; i++) {
      state[decisions[i].id] = { flag: decisions[i].flag, stars: decisions[i].stars };
    }
  }

  function api(path) { return G.url("api/" + path); }

  /* One request: the changes since the published build (first time), then since what we saw. */
  function refresh() {
    if (G.isFile || refreshing) return;
    refreshing = true;
    fetch(api("decisions?since=" + (version === null ? "published" : version)), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        refreshing = false;
        if (!body) return;
        absorb(body.decisions || []);
        version = body.version;
        repaint();
        if ((body.decisions || []).length) document.dispatchEvent(new CustomEvent("gallery:decisions"));
      })
      .catch(function () { refreshing = false; });     // sidecar down: the built state stays
  }

  function loadSession() {
    if (G.isFile) return;
    fetch(api("session"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        session = { signed_in: !!body.signed_in, writing_enabled: !!body.writing_enabled,
                    how_to_enable: body.how_to_enable, known: true };
        document.documentElement.setAttribute("data-writing", session.signed_in ? "signed-in" :
          session.writing_enabled ? "signed-out" : "read-only");
        showRankLinks();
        repaint();
        document.dispatchEvent(new CustomEvent("gallery:session", { detail: session }));
      })
      .catch(function () {});
  }

  /* The sidecar answered: show the links to the ranking pages (Compare and Mosaic when signed in)
     and what else needs it (downloads of a selection: [data-needs-sidecar]). */
  function showRankLinks() {
    var served = document.querySelectorAll("[data-needs-sidecar]");
    for (var j = 0; j < served.length; j++) served[j].hidden = false;
    var boxes = document.querySelectorAll(".rank-links");
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].hidden = false;
      var writing = boxes[i].querySelectorAll("[data-needs-writing]");
      for (var k = 0; k < writing.length; k++) writing[k].hidden = !session.signed_in;
    }
  }

  function say(message) {
    var box = document.getElementById("decide-message");
    if (!box) {
      box = document.createElement("div");
      box.id = "decide-message";
      box.setAttribute("role", "status");
      document.body.appendChild(box);
    }
    box.textContent = message;
    box.classList.add("shown");
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { box.classList.remove("shown"); }, 4000);
  }

  /* Set `field` ("flag" or "stars") of photo `id`: shown at once, written, undone if refused. */
  function set(id, field, value) {
    if (!session.signed_in) {
      say(session.writing_enabled ? "Sign in to flag and rate (link under the photo)." :
        "This gallery is read-only: " + (session.how_to_enable || "run gallery passwd on the server") + ".");
      return;
    }
    var before = decisionOf(id, null), after = { flag: before.flag, stars: before.stars };
    var hadLive = Object.prototype.hasOwnProperty.call(state, id), live = state[id];
    after[field] = value;
    state[id] = after;
    repaint(id);
    var body = { ids: [Number(id)] };
    body[field] = value;
    fetch(api(field === "flag" ? "photos/flag" : "photos/stars"), {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
    }).then(function (result) {
      if (!result.ok) throw new Error(result.answer.error || "refused");
      version = Math.max(version || 0, result.answer.version || 0);
    }).catch(function (error) {
      if (hadLive) state[id] = live; else delete state[id];
      shown[id] = before;
      repaint(id);
      say("Not saved: " + error.message);
    });
  }

  /* P, X, U, 0-5 for photo `id`; true when the key was one of them. */
  function handleKey(key, id) {
    if (id === undefined || id === null) return false;
    var lower = key.toLowerCase();
    if (lower === "p") set(id, "flag", "pick");
    else if (lower === "x") set(id, "flag", "reject");
    else if (lower === "u") set(id, "flag", null);
    else if (/^[0-5]$/.test(key)) set(id, "stars", parseInt(key, 10));
    else return false;
    return true;
  }

  function panelHtml(id) {
    var html = '<div class="decide" data-id="' + id + '">';
    html += '<button type="button" data-set="flag:pick" title="Pick (P)">\u2691 Pick</button>';
    html += '<button type="button" data-set="flag:reject" title="Reject (X)">\u2715 Reject</button>';
    html += '<button type="button" data-set="flag:none" title="Unflag (U)">Unflag</button>';
    html += '<span class="decide-stars">';
    for (var s = 1; s <= 5; s++) html += '<button type="button" data-set="stars:' + s + '" title="' + s + ' star' + (s > 1 ? "s" : "") + ' (' + s + ')">\u2605</button>';
    html += '<button type="button" data-set="stars:0" title="No stars (0)">0</button></span>';
    return html + '<span class="decide-note"></span></div>';
  }

  /* Clicks on any panel's buttons (photo page and lightbox alike). */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".decide button[data-set]");
    if (!button) return;
    var panel = button.closest(".decide"), parts = button.getAttribute("data-set").split(":");
    if (parts[0] === "flag") set(panel.getAttribute("data-id"), "flag", parts[1] === "none" ? null : parts[1]);
    else set(panel.getAttribute("data-id"), "stars", parseInt(parts[1], 10));
  });

  /* The lightbox gets a decision panel for its current slide and the keys while it is open. */
  function attachLightbox(lightbox) {
    lightbox.on("uiRegister", function () {
      lightbox.pswp.ui.registerElement({
        name: "decide", order: 10, isButton: false, appendTo: "root",
        onInit: function (element, pswp) {
          element.classList.add("pswp-decide");
          pswp.on("change", function () {
            var data = pswp.currSlide.data, built = fromBits(data.decisionBits);
            element.innerHTML = panelHtml(data.id);
            var panel = element.firstChild;
            panel.setAttribute("data-built-flag", built.flag || "");
            panel.setAttribute("data-built-stars", String(built.stars));
            paintPanel(panel, decisionOf(data.id, built));
          });
        }
      });
    });
    lightbox.on("change", function () { lightboxId = lightbox.pswp.currSlide.data.id; });
    lightbox.on("close", function () { lightboxId = null; });
  }

  /* Keys act on the lightbox's photo while it is open, else on the photo page's panel (whatever
     has the focus: a panel button just tapped, the lightbox, the page). */
  var lightboxId = null;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) return;
    var panel = document.querySelector("main .decide[data-id]");
    var id = lightboxId !== null ? lightboxId : panel ? panel.getAttribute("data-id") : null;
    if (handleKey(event.key, id)) event.preventDefault();
  });

  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });

  /* The live decisions of `ids` (at most 1,000: search results), absorbed and repainted. */
  function load(ids) {
    if (G.isFile || !ids.length) return Promise.resolve();
    return fetch(api("decisions?ids=" + ids.slice(0, 1000).join(",")), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        absorb(body.decisions || []);
        repaint();
        document.dispatchEvent(new CustomEvent("gallery:decisions"));
      })
      .catch(function () {});
  }

  /* After a write made elsewhere on the page (e.g. "reject the others"): show these decisions. */
  function accept(decisions) {
    absorb(decisions);
    decisions.forEach(function (decision) { delete shown[decision.id]; });
    repaint();
    document.dispatchEvent(new CustomEvent("gallery:decisions"));
  }

  G.decisions = { decisionOf: decisionOf, fromBits: fromBits, paintCard: paintCard, attachLightbox: attachLightbox,
                  set: set, refresh: refresh, repaint: repaint, load: load, accept: accept, say: say,
                  session: function () { return session; } };
  loadSession();
  refresh();
  setInterval(refresh, 30000);      // other devices' changes, while the page stays open
})();
