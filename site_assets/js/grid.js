/* The justified photo grid: justified-layout (vendored) computes boxes per day, only the boxes
   near the viewport are in the DOM (windowing keeps 20,000-photo pages fast), day and month
   headings, a sticky current-day label, a month scrubber, and the lightbox on click. A stack
   shows as its top card with a count badge; clicking it opens the stack's photos, top first.
   Pictures are drawn into each card's canvas (fillPicture), so the tab's memory does not grow
   with the distance scrolled. */
(function () {
  "use strict";
  var G = window.Gallery;
  var justify = window.require("justified-layout");
  var MONTH_HEAD = 64, DAY_HEAD = 40, SECTION_GAP = 8, MARGIN = 1200, SETTLE_MS = 150, HAND_OVER_MS = 800;

  function rowHeight(width) { return width < 600 ? 110 : width < 1100 ? 170 : 220; }

  /* Runs of cards under one heading: by capture day ("day"), by year ("year"), or one run. */
  function sections(rows, group) {
    if (group !== "day" && group !== "year") return [{ day: "", start: 0, end: rows.length }];
    var list = [], width = group === "day" ? 10 : 4;
    for (var i = 0; i < rows.length; i++) {
      var day = rows[i][4].slice(0, width) || "undated";
      if (!list.length || list[list.length - 1].day !== day) list.push({ day: day, start: i, end: i });
      list[list.length - 1].end = i + 1;
    }
    return list;
  }

  /* Absolute boxes for every heading and card, in top order, plus the total height. */
  function computeLayout(rows, group, width) {
    var entries = [], y = 0, lastMonth = null, target = rowHeight(width);
    sections(rows, group).forEach(function (section) {
      if (group === "day") {
        var month = section.day.slice(0, 7);
        if (month !== lastMonth) {
          entries.push({ type: "month", top: y, height: MONTH_HEAD, label: G.monthLabel(month), month: month });
          y += MONTH_HEAD;
          lastMonth = month;
        }
        entries.push({ type: "day", top: y, height: DAY_HEAD, label: G.dayLabel(section.day) });
        y += DAY_HEAD;
      } else if (group === "year") {
        entries.push({ type: "month", top: y, height: MONTH_HEAD, month: "", label: section.day === "undated" ? "Undated" : section.day });
        y += MONTH_HEAD;
      }
      var ratios = [];
      for (var i = section.start; i < section.end; i++) ratios.push(rows[i][2] / rows[i][3]);
      var result = justify(ratios, { containerWidth: width, containerPadding: 0, boxSpacing: 4,
                                     targetRowHeight: target, targetRowHeightTolerance: 0.3 });
      result.boxes.forEach(function (box, k) {
        entries.push({ type: "card", index: section.start + k, top: y + box.top, left: box.left,
                       width: box.width, height: box.height });
      });
      y += result.containerHeight + SECTION_GAP;
    });
    return { entries: entries, height: y };
  }

  function firstVisible(entries, top) {
    var low = 0, high = entries.length;
    while (low < high) {
      var mid = (low + high) >> 1;
      if (entries[mid].top + entries[mid].height < top) low = mid + 1; else high = mid;
    }
    return Math.max(0, low - 40);   // rows of one day are not strictly sorted by bottom
  }

  function Grid(section, payload) {
    this.section = section;
    this.rows = payload.rows;
    this.folders = payload.folders;
    this.people = G.people ? G.people.read(payload) : null;
    this.best = payload.best || null;          // row indices "best first" (gallery_builder/core/best_first.py)
    this.group = section.getAttribute("data-group") || "day";
    this.nodes = new Map();                                  // entry index -> its node in the window
    this.spare = { A: [], H2: [], H3: [] };                  // pooled nodes out of the window, by tag
    this.waiting = new Set();                                // entries in the window whose picture waits
    this.window = document.createElement("div");
    this.window.className = "grid-window";
    this.sticky = document.createElement("div");
    this.sticky.className = "grid-sticky";
    this.sticky.innerHTML = "<span></span>";
    this.lightbox = G.lightbox.create(this.rows, this.folders, { onIndex: this.reveal.bind(this), people: this.people });
    this.stacks = new Map(payload.stacks || []);             // card id -> member ids, card first
    this.allCards = this.rows.slice();                       // every card, before any filter (stack edits)
    var byId = this.byId = new Map();
    (payload.members || []).concat(payload.rows).forEach(function (row) { byId.set(row[0], row); });
  }

  /* The rows of the stack card `id` stands for (top first), or null when it is a single photo. */
  Grid.prototype.stackRows = function (id) {
    var ids = this.stacks.get(id), byId = this.byId;
    return ids ? ids.map(function (member) { return byId.get(member); }).filter(Boolean) : null;
  };

  Grid.prototype.openStack = function (id) {
    if (this.stackBox) this.stackBox.destroy();
    this.stackBox = G.lightbox.create(this.stackRows(id), this.folders, { stackOf: id, grid: this });
    this.stackBox.loadAndOpen(0);
  };

  /* A stack edit made in the stack's lightbox (curation.js; `answer`: POST /api/stacks/edit's): the
     card shows the new top with the new count, a photo taken out gets a card of its own after it,
     and a stack of one photo is a plain card. The static pages follow when the sidecar republishes. */
  Grid.prototype.stackEdited = function (cardId, answer) {
    var old = this.stacks.get(cardId), byId = this.byId, cards = this.allCards;
    var at = cards.findIndex(function (row) { return row[0] === cardId; });
    if (!old || at < 0) return;
    this.stacks.delete(cardId);
    var replacement = [];
    if (answer.members.length) {
      this.stacks.set(answer.top, [answer.top].concat(old.filter(function (id) {
        return id !== answer.top && answer.members.indexOf(id) >= 0;
      })));
      replacement.push(byId.get(answer.top));
    }
    old.forEach(function (id) { if (answer.members.indexOf(id) < 0) replacement.push(byId.get(id)); });
    cards.splice.apply(cards, [at, 1].concat(replacement.filter(Boolean)));
    if (this.refilter) this.refilter(cards.slice()); else this.setRows(cards.slice());
  };

  Grid.prototype.mount = function () {
    var staticPart = this.section.querySelector(".grid-static");
    this.section.appendChild(this.sticky);
    this.section.appendChild(this.window);
    this.relayout();
    if (staticPart) this.handOver(staticPart);
    var self = this, pending = false;
    this.onScroll = function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; if (self.layout) self.paint(); });
    };
    this.onResize = function () {
      clearTimeout(self.resizeTimer);
      self.resizeTimer = setTimeout(function () { self.relayout(); }, 120);
    };
    window.addEventListener("scroll", this.onScroll, { passive: true });
    window.addEventListener("resize", this.onResize);
    this.window.addEventListener("click", this.onClick.bind(this));
  };

  /* The plain-HTML first screen stays over the window (out of the flow, deaf to the pointer and to
     screen readers) until the window has drawn the pictures it asked for, at most HAND_OVER_MS, so
     mounting shows no blank cards; those first pictures appear without the fade-in. */
  Grid.prototype.handOver = function (staticPart) {
    var windowPart = this.window, started = Date.now();
    staticPart.classList.add("grid-static-leaving");
    staticPart.setAttribute("aria-hidden", "true");
    windowPart.classList.add("grid-window-instant");
    (function check() {
      if (windowPart.querySelector("canvas[data-src]:not(.loaded)") && Date.now() - started < HAND_OVER_MS) {
        requestAnimationFrame(check);
        return;
      }
      staticPart.remove();
      requestAnimationFrame(function () { windowPart.classList.remove("grid-window-instant"); });
    })();
  };

  Grid.prototype.destroy = function () {
    window.removeEventListener("scroll", this.onScroll);
    clearTimeout(this.settleTimer);
    window.removeEventListener("resize", this.onResize);
    this.lightbox.destroy();
    if (this.stackBox) this.stackBox.destroy();
    if (this.filterBar) this.filterBar.remove();
    if (this.selection && this.selection.button) this.selection.button.remove();
    this.destroyed = true;
    this.window.remove();
    this.sticky.remove();
    this.layout = null;
  };

  /* Show only `rows` (a filter): the lightbox's list is the same array, changed in place. */
  Grid.prototype.setRows = function (rows) {
    if (this.destroyed) return;
    this.rows.length = 0;
    Array.prototype.push.apply(this.rows, rows);
    this.relayout(true);
  };

  Grid.prototype.relayout = function (force) {
    var width = Math.floor(this.section.clientWidth);
    if (width === this.width && !force) return;
    var anchor = this.topIndex();
    this.width = width;
    this.layout = computeLayout(this.rows, this.group, width);
    this.window.style.height = this.layout.height + "px";
    var spare = this.spare;
    this.nodes.forEach(function (node) { spare[node.tagName].push(node); });
    this.nodes.clear();
    this.waiting.clear();
    if (anchor > 0) this.reveal(anchor, true);
    this.paint();
    this.section.dispatchEvent(new CustomEvent("grid:layout", { detail: this }));
  };

  Grid.prototype.offset = function () { return this.window.getBoundingClientRect().top + window.scrollY; };

  Grid.prototype.topIndex = function () {
    if (!this.layout) return 0;
    var top = window.scrollY - this.offset(), entries = this.layout.entries;
    for (var i = firstVisible(entries, top); i < entries.length; i++) {
      if (entries[i].type === "card" && entries[i].top >= top) return entries[i].index;
    }
    return 0;
  };

  /* Card and heading nodes are pooled: a node leaving the window is re-used for the next entry
     entering it (attributes, picture, badges and state rewritten), so scrolling a 100,000-photo
     year makes no garbage DOM; each dropped card used to leave an <a> and its picture for the
     collector, and the tab grew to 750 MB before it ran.
     A jump of more than a screen (the scrubber, a fling) loads the pictures on screen only: the
     margin's pictures wait until the scroll settles, so a jump fetches no picture it flies past
     (each one costs the tab memory until the next garbage collection). */
  Grid.prototype.paint = function () {
    var entries = this.layout.entries, top = window.scrollY - this.offset(), screen = window.innerHeight;
    var start = top - MARGIN, end = top + screen + MARGIN;
    var jumped = this.paintedAt !== undefined && Math.abs(top - this.paintedAt) > screen;
    var pictureStart = jumped ? top : start, pictureEnd = jumped ? top + screen : end;
    this.paintedAt = top;
    var first = firstVisible(entries, start), last = first;
    while (last < entries.length && entries[last].top <= end) last++;
    var nodes = this.nodes, spare = this.spare, waiting = this.waiting;
    nodes.forEach(function (node, key) {
      if (key >= first && key < last && entries[key].top + entries[key].height >= start) return;
      if (node === document.activeElement) node.blur();     // focus must not follow a node to another photo
      nodes.delete(key);
      waiting.delete(key);
      spare[node.tagName].push(node);
    });
    for (var i = first; i < last; i++) {
      var entry = entries[i];
      if (entry.top + entry.height < start) continue;
      var withPicture = entry.top + entry.height >= pictureStart && entry.top <= pictureEnd;
      var node = nodes.get(i);
      if (node) {
        if (withPicture && waiting.has(i)) { waiting.delete(i); this.fillPicture(node, this.rows[entry.index], entry); }
        continue;
      }
      nodes.set(i, this.fill(spare[TAGS[entry.type]].pop() || this.create(entry.type), entry, withPicture));
      if (!withPicture && entry.type === "card") waiting.add(i);
    }
    for (var tag in spare) {
      spare[tag].forEach(function (node) { if (node.parentNode) node.remove(); });
    }
    var next = this.window.firstChild;        // the nodes in top order: the order of Tab and of screen readers
    for (var k = first; k < last; k++) {
      var placed = nodes.get(k);
      if (!placed) continue;
      if (placed === next) next = placed.nextSibling; else this.window.insertBefore(placed, next);
    }
    clearTimeout(this.settleTimer);
    if (waiting.size) this.settleTimer = setTimeout(this.onScroll, SETTLE_MS);
    this.updateSticky(top);
  };

  var TAGS = { month: "H2", day: "H3", card: "A" };

  /* Change an element's text in place (textContent would make a new text node every scroll frame). */
  function setText(element, text) {
    var node = element.firstChild;
    if (node && node.nodeType === 3 && !node.nextSibling) { if (node.data !== text) node.data = text; }
    else element.textContent = text;
  }

  Grid.prototype.create = function (type) {
    return document.createElement(TAGS[type].toLowerCase());
  };

  Grid.prototype.fill = function (node, entry, withPicture) {
    var style = "top:" + entry.top + "px;";
    if (entry.type !== "card") {
      node.className = "grid-heading grid-heading-" + entry.type;
      node.style.cssText = style + "height:" + entry.height + "px";
      if (entry.month) node.id = "m-" + entry.month.slice(5, 7); else node.removeAttribute("id");
      setText(node, entry.label);
      return node;
    }
    var row = this.rows[entry.index], link = node;
    link.className = "card" + (row[8] & G.FLAGS.video ? " card-video" : "");
    link.href = G.url(G.pageLink(G.photoPath(row[0])));
    link.setAttribute("data-index", entry.index);
    link.setAttribute("data-id", row[0]);
    link.setAttribute("data-x", row[8]);
    link.style.cssText = style + "left:" + entry.left + "px;width:" + entry.width + "px;height:" + entry.height + "px";
    if (withPicture) this.fillPicture(link, row, entry); else this.clearPicture(link, row);
    if (G.decisions) G.decisions.paintCard(link, G.decisions.decisionOf(row[0], G.decisions.fromBits(row[8])));
    var badge = link.querySelector(".card-stack"), members = this.stacks.get(row[0]);
    if (members) {
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "card-stack";
        link.appendChild(badge);
      }
      badge.title = "A stack of " + members.length + " photos";
      setText(badge, String(members.length));
    } else if (badge) badge.remove();
    if (this.selection) this.selection.paint(link);
    return link;
  };

  /* The card's picture, drawn into its <canvas>: the thumbnail is loaded by an Image outside the
     document, decoded once by createImageBitmap at the card's device pixels (cropped to fill it,
     as object-fit: cover would) and the bitmap closed as soon as it is drawn. An <img> in the card
     left every decoded thumbnail in Chromium's compositor decode cache, which grows with the
     distance scrolled: a 100,000-photo year grew the tab from 260 to 860 MB; drawn, it stays near
     its first screen (bench/bench_browser.py). A card whose row and size did not change keeps
     what it shows; a newer request for the same canvas wins over one still on its way. */
  Grid.prototype.fillPicture = function (link, row, entry) {
    var picture = G.gridImage(row[1], row[7], row[2], row[3], entry.width);
    if (!picture) {
      var canvas = link.querySelector("canvas");
      if (canvas) canvas.remove();
      if (!link.querySelector(".card-file")) link.insertBefore(G.fileCard(row[5], G.kindOf(row[8])), link.firstChild);
      return;
    }
    canvas = this.cardCanvas(link, row);
    var ratio = window.devicePixelRatio || 1;
    var width = Math.max(1, Math.round(entry.width * ratio)), height = Math.max(1, Math.round(entry.height * ratio));
    var key = picture.forScreen + " " + width + "x" + height;
    if (canvas.getAttribute("data-key") === key) return;
    if (canvas.getAttribute("data-src") !== picture.forScreen) canvas.classList.remove("loaded");
    canvas.setAttribute("data-key", key);
    canvas.setAttribute("data-src", picture.forScreen);
    drawPicture(canvas, picture.forScreen, width, height, this.pictureFailed.bind(this, link, canvas));
  };

  /* Load `src` and draw it filling `canvas` (width x height device pixels); `failed` when the file
     cannot be loaded or decoded. Nothing is drawn when the canvas was given another picture since.
     A browser without createImageBitmap (Safari before 15) draws from the Image itself. */
  function drawPicture(canvas, src, width, height, failed) {
    var token = canvas.pictureToken = (canvas.pictureToken || 0) + 1;
    var image = new Image();
    function current() { return canvas.pictureToken === token; }
    function draw(picture, crop) {
      if (canvas.width !== width) canvas.width = width;
      if (canvas.height !== height) canvas.height = height;
      var context = canvas.getContext("2d");
      if (crop) context.drawImage(picture, crop[0], crop[1], crop[2], crop[3], 0, 0, width, height);
      else context.drawImage(picture, 0, 0, width, height);
      canvas.classList.add("loaded");
    }
    image.onload = function () {
      if (!current()) return;
      var scale = Math.max(width / image.naturalWidth, height / image.naturalHeight);
      var cropWidth = Math.min(image.naturalWidth, width / scale), cropHeight = Math.min(image.naturalHeight, height / scale);
      var crop = [(image.naturalWidth - cropWidth) / 2, (image.naturalHeight - cropHeight) / 2, cropWidth, cropHeight];
      if (!window.createImageBitmap) { draw(image, crop); return; }
      createImageBitmap(image, crop[0], crop[1], crop[2], crop[3],
                        { resizeWidth: width, resizeHeight: height, resizeQuality: "medium" })
        .then(function (bitmap) {
          if (current()) draw(bitmap, null);
          bitmap.close();
        }, function () { if (current()) failed(); });
    };
    image.onerror = function () { if (current()) failed(); };
    image.src = src;
  }

  /* No picture yet (it waits for the scroll to settle): the re-used canvas must not show the last
     photo, and a draw still on its way for it is dropped. */
  Grid.prototype.clearPicture = function (link, row) {
    var canvas = this.cardCanvas(link, row);
    canvas.pictureToken = (canvas.pictureToken || 0) + 1;
    canvas.classList.remove("loaded");
    canvas.removeAttribute("data-key");
    canvas.removeAttribute("data-src");
  };

  /* The card's canvas (made once per pooled card), named for screen readers by the row's file
     name as an <img alt> would be; no file card beside it. */
  Grid.prototype.cardCanvas = function (link, row) {
    var canvas = link.querySelector("canvas"), fileCard = link.querySelector(".card-file");
    if (fileCard) fileCard.remove();
    if (!canvas) {
      canvas = document.createElement("canvas");
      canvas.className = "card-picture";
      canvas.setAttribute("role", "img");
      link.insertBefore(canvas, link.firstChild);
    }
    canvas.setAttribute("aria-label", row[5]);
    return canvas;
  };

  /* A thumbnail that could not be loaded or decoded: the card says so instead of showing nothing. */
  Grid.prototype.pictureFailed = function (link, canvas) {
    if (canvas.parentNode !== link) return;
    var row = this.rows[parseInt(link.getAttribute("data-index"), 10)];
    canvas.replaceWith(G.fileCard(row[5], G.kindOf(row[8]), "No preview: its thumbnail file could not be loaded"));
  };

  Grid.prototype.updateSticky = function (top) {
    if (this.group !== "day") return;
    var label = "", month = "", entries = this.layout.entries, k = firstVisible(entries, top);
    while (k < entries.length && entries[k].top <= top + 8) k++;
    for (var i = k - 1; i >= 0; i--) {
      if (entries[i].type !== "card") { label = label || entries[i].label; }
      if (entries[i].type === "month") { month = entries[i].month; break; }
    }
    setText(this.sticky.firstChild, label);
    this.sticky.classList.toggle("show", top > MONTH_HEAD && !!label);
    this.section.dispatchEvent(new CustomEvent("grid:month", { detail: month }));
  };

  Grid.prototype.onClick = function (event) {
    var link = event.target.closest("a.card");
    if (!link || event.button !== 0) return;
    if (this.selection && this.selection.active) {          // select mode: taps and clicks pick cards
      event.preventDefault();
      this.selection.click(parseInt(link.getAttribute("data-index"), 10), event.shiftKey);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    var id = parseInt(link.getAttribute("data-id"), 10);
    if (this.stacks.has(id)) this.openStack(id);
    else this.lightbox.loadAndOpen(parseInt(link.getAttribute("data-index"), 10));
  };

  /* Repaint the cards in the DOM (after a selection change). */
  Grid.prototype.repaintCards = function () {
    var selection = this.selection;
    this.nodes.forEach(function (node) { if (selection && node.classList.contains("card")) selection.paint(node); });
  };

  /* Scroll so that card `index` is visible (used by the lightbox and deep links). */
  Grid.prototype.reveal = function (index, instant) {
    var entries = this.layout.entries;
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].type === "card" && entries[i].index === index) {
        var y = this.offset() + entries[i].top - 160;
        var visible = y > window.scrollY - 100 && y < window.scrollY + window.innerHeight - 300;
        if (!visible || instant) window.scrollTo(0, Math.max(0, y));
        return;
      }
    }
  };

  Grid.prototype.scrollToMonth = function (month) {
    var entries = this.layout.entries;
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].type === "month" && entries[i].month.slice(5, 7) === month) {
        window.scrollTo(0, this.offset() + entries[i].top - 56);
        return true;
      }
    }
    return false;
  };

  Grid.prototype.openDeepLink = function () {
    var id = G.lightbox.deepLinkedId();
    if (id === null) return;
    for (var i = 0; i < this.rows.length; i++) {
      if (this.rows[i][0] === id) { this.reveal(i, true); this.lightbox.loadAndOpen(i); return; }
    }
  };

  /* Resolves once the first screen's thumbnails have loaded or the user scrolls, whichever
     comes first: the rest of a big page must not compete with what is on screen. */
  function firstScreenDone() {
    return new Promise(function (resolve) {
      if (document.readyState === "complete") { resolve(); return; }
      window.addEventListener("load", resolve, { once: true });
      window.addEventListener("scroll", resolve, { once: true, passive: true });
    });
  }

  function payloadOf(section) {
    var inline = section.querySelector("script.grid-data");
    if (inline) return Promise.resolve(JSON.parse(inline.textContent));
    return firstScreenDone().then(function () {
      return G.loadData(section.getAttribute("data-src"), "GALLERY_GRID");
    });
  }

  function start(section) {
    return payloadOf(section).then(function (payload) {
      var grid = new Grid(section, payload);
      grid.mount();
      G.fixFileLinks(section);
      if (G.scrubber) G.scrubber.attach(grid);
      if (G.gridFilter) G.gridFilter.attach(grid);
      if (G.selection) G.selection.attach(grid);
      document.dispatchEvent(new CustomEvent("gallery:grid", { detail: grid }));
      grid.openDeepLink();
      return grid;
    }).catch(function (error) {
      var note = document.createElement("p");
      note.className = "grid-more";
      note.textContent = "Could not load the rest of this page (" + error.message + ").";
      section.appendChild(note);
    });
  }

  G.grid = { Grid: Grid, computeLayout: computeLayout, start: start };
  var sectionsFound = document.querySelectorAll("section[data-grid]");
  for (var i = 0; i < sectionsFound.length; i++) start(sectionsFound[i]);
})();
