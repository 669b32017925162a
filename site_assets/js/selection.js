/* Select mode of a grid (Gallery.selection): a "Select" button in the grid's bar; while on, a tap
   or click picks a card, shift-click picks the range from the last one, Enter on a focused card
   does the same, Esc leaves. A bar at the bottom shows the count and the actions other scripts
   register (Gallery.selection.actions: add to a collection, remove from it, stack edits); a stack
   card stands for all its photos.
   Shown to signed-in people only (html[data-writing=signed-in]). Classic script. */
(function () {
  "use strict";
  var G = window.Gallery;
  var actions = [];          // {label, name, when(): bool, run(ids, selection)}
  var current = null;        // the grid whose selection the bar shows

  function Selection(grid) {
    this.grid = grid;
    this.ids = new Set();
    this.active = false;
    this.last = null;
  }

  Selection.prototype.paint = function (link) {
    var on = this.ids.has(parseInt(link.getAttribute("data-id"), 10));
    link.classList.toggle("is-selected", on);
    if (this.active) link.setAttribute("aria-pressed", on ? "true" : "false"); else link.removeAttribute("aria-pressed");
  };

  Selection.prototype.click = function (index, shift) {
    var rows = this.grid.rows, id = rows[index][0];
    if (shift && this.last !== null && this.last < rows.length) {
      var low = Math.min(this.last, index), high = Math.max(this.last, index);
      for (var i = low; i <= high; i++) this.ids.add(rows[i][0]);
    } else if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.last = index;
    this.changed();
  };

  /* The selected photos in the grid's order; a stack card stands for every photo of its stack (top
     first), so "add to a collection" adds the whole stack. */
  Selection.prototype.list = function () {
    var ids = this.ids, stacks = this.grid.stacks, photos = [];
    this.grid.rows.forEach(function (row) {
      if (!ids.has(row[0])) return;
      var members = stacks && stacks.get(row[0]);
      if (members) Array.prototype.push.apply(photos, members); else photos.push(row[0]);
    });
    return photos;
  };

  Selection.prototype.clear = function () { this.ids.clear(); this.last = null; this.changed(); };

  Selection.prototype.changed = function () {
    this.grid.repaintCards();
    var bar = document.getElementById("selection-bar");
    if (bar && current === this) {
      var photos = this.list().length;
      bar.querySelector(".selection-count").textContent = this.ids.size + " selected" +
        (photos !== this.ids.size ? " (" + photos + " photos with their stacks)" : "");
    }
  };

  Selection.prototype.toggle = function (on) {
    this.active = on;
    current = this;
    document.documentElement.classList.toggle("is-selecting", on);
    if (this.button) this.button.setAttribute("aria-pressed", on ? "true" : "false");
    var bar = ensureBar();
    bar.hidden = !on;
    if (on) fillActions(bar, this);
    this.changed();
  };

  function ensureBar() {
    var bar = document.getElementById("selection-bar");
    if (bar) return bar;
    bar = document.createElement("div");
    bar.id = "selection-bar";
    bar.className = "selection-bar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Selected photos");
    bar.hidden = true;
    bar.innerHTML = '<span class="selection-count" aria-live="polite"></span><span class="selection-actions"></span>' +
      '<button type="button" data-selection="clear">Clear</button><button type="button" data-selection="done">Done</button>';
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !current) return;
      var name = button.getAttribute("data-selection");
      if (name === "clear") current.clear();
      else if (name === "done") current.toggle(false);
      else {
        var action = actions.filter(function (item) { return item.name === name; })[0];
        if (!current.ids.size) { say("Select photos first (tap them)."); return; }
        if (action) action.run(current.list(), current);
      }
    });
    document.body.appendChild(bar);
    return bar;
  }

  function fillActions(bar, selection) {
    var box = bar.querySelector(".selection-actions");
    box.innerHTML = "";
    actions.forEach(function (action) {
      if (action.when && !action.when(selection)) return;
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("data-selection", action.name);
      button.textContent = action.label;
      box.appendChild(button);
    });
  }

  function say(message) { if (G.decisions) G.decisions.say(message); }

  /* A "Select" button in the grid's filter bar (or above it). */
  function attach(grid) {
    if (G.isFile) return;
    var selection = grid.selection = new Selection(grid);
    var button = selection.button = document.createElement("button");
    button.type = "button";
    button.className = "select-toggle";
    button.setAttribute("aria-pressed", "false");
    button.textContent = "Select";
    button.addEventListener("click", function () { selection.toggle(!selection.active); });
    if (grid.filterBar) grid.filterBar.appendChild(button); else grid.section.insertBefore(button, grid.section.firstChild);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && current && current.active && !document.documentElement.getAttribute("data-lightbox")) {
      current.toggle(false);
    }
  });

  G.selection = { attach: attach, actions: actions, current: function () { return current; } };
})();
