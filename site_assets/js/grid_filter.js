/* The curation filter of a grid (Gallery.gridFilter): all photos, picks only, at least N stars, and
   hide rejected, applied in the browser to the photos the page already has, with each photo's live
   decision (Gallery.decisions) where the overlay knows it. The bar counts what each choice keeps;
   the choice is kept for the session (sessionStorage). Year, folder, collection and stack grids,
   and both kinds of search results (offline grid, or the sidecar's cards). When a grid's cards show
   named people, one person too: that choice is the page's own (the address's #person=<id> keeps it).
   When the page knows something of its photos' worth (ratings, stars, aesthetic scores), a "best
   first" order too (the page's `best` row order, as of the build). Classic script. */
(function () {
  "use strict";
  var G = window.Gallery;
  var KEY = "gallery-grid-filter";

  function saved() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "null") || {}; } catch (error) { return {}; }
  }

  function decisionOf(id, bits) {
    var built = G.decisions ? G.decisions.fromBits(bits) : { flag: null, stars: 0 };
    return G.decisions ? G.decisions.decisionOf(id, built) : built;
  }

  function decisionOfRow(row) { return decisionOf(row[0], row[8]); }

  function isActive(filter) { return !!filter.show && (filter.show !== "all" || !!filter.min || !!filter.hideRejected); }

  /* Does a photo with `decision` pass `filter` ({show: "all"|"picks", min: 0-5, hideRejected: bool})? */
  function keeps(decision, filter) {
    if (!isActive(filter)) return true;
    if (filter.show === "picks" && decision.flag !== "pick") return false;
    if (filter.hideRejected && decision.flag === "reject") return false;
    return decision.stars >= (filter.min || 0);
  }

  function passes(row, filter) { return keeps(decisionOfRow(row), filter); }

  function personHtml(people, chosen) {
    if (!people) return "";
    return '<label>With <select name="person"><option value="">anyone</option>' + people.names.map(function (person) {
      return '<option value="' + person.id + '"' + (person.id === chosen ? " selected" : "") + ">" + G.escapeHtml(person.name) + "</option>";
    }).join("") + "</select></label> ";
  }

  function chosenPerson() {
    var match = /(?:^#|&)person=(\d+)/.exec(location.hash);
    return match ? parseInt(match[1], 10) : 0;
  }

  function barHtml(filter, people, person, canSort) {
    var stars = '<option value="0">any rating</option>';
    for (var n = 1; n <= 5; n++) stars += '<option value="' + n + '"' + (filter.min === n ? " selected" : "") + ">" + new Array(n + 1).join("\u2605") + " or more</option>";
    return '<label>Show <select name="show"><option value="all">all photos</option>' +
      '<option value="picks"' + (filter.show === "picks" ? " selected" : "") + ">picks</option></select></label> " +
      '<label><select name="min" aria-label="Rating">' + stars + "</select></label> " +
      '<label><input type="checkbox" name="hideRejected"' + (filter.hideRejected ? " checked" : "") + '> hide rejected<span class="count-rejected"></span></label> ' +
      personHtml(people, person) +
      (canSort ? '<label>Order <select name="order"><option value="date">by date</option><option value="best"' +
        (filter.order === "best" ? " selected" : "") + ">best first</option></select></label> " : "") +
      '<span class="grid-filter-count" aria-live="polite"></span>';
  }

  /* Counts of what each choice keeps, written into the bar's option labels. */
  function showCounts(bar, decisions) {
    var picks = 0, rejected = 0, atLeast = [0, 0, 0, 0, 0, 0];
    decisions.forEach(function (decision) {
      if (decision.flag === "pick") picks++;
      if (decision.flag === "reject") rejected++;
      for (var n = 0; n <= decision.stars && n <= 5; n++) atLeast[n]++;
    });
    bar.elements.show.options[1].textContent = "picks (" + picks + ")";
    for (var n = 1; n <= 5; n++) bar.elements.min.options[n].textContent = new Array(n + 1).join("\u2605") + " or more (" + atLeast[n] + ")";
    bar.querySelector(".count-rejected").textContent = " (" + rejected + ")";
  }

  /* A filter bar at the top of `container` over `items`; `decide(item)` gives an item's decision,
     `show(kept, best)` displays the kept items; `people` (a grid's named people, or null) and
     `idOf(item)` add the person choice; `bestItems` (the items "best first", or null) the order
     choice. Returns {bar, setItems(items), apply()}. */
  function makeBar(container, items, decide, show, people, idOf, bestItems) {
    var filter = saved(), all = items;
    var person = people && people.names.some(function (entry) { return entry.id === chosenPerson(); }) ? chosenPerson() : 0;
    var bar = document.createElement("form");
    bar.className = "grid-filter";
    bar.innerHTML = barHtml(filter, people, person, !!bestItems);
    container.insertBefore(bar, container.firstChild);

    function withPerson(item) { return !person || G.people.idsOn(people, idOf(item)).indexOf(person) >= 0; }

    function apply(countsOnly) {
      var best = !!bestItems && filter.order === "best", list = best ? bestItems : all;
      var decisions = list.map(decide);
      var kept = list.filter(function (item, index) { return keeps(decisions[index], filter) && withPerson(item); });
      if (countsOnly !== true) show(kept, best);
      showCounts(bar, decisions);
      bar.querySelector(".grid-filter-count").textContent =
        kept.length === all.length ? all.length + " photos" : kept.length + " of " + all.length + " photos";
    }

    bar.addEventListener("change", function (event) {
      if (people && event.target.name === "person") {
        person = parseInt(bar.elements.person.value, 10) || 0;
        history.replaceState(null, "", location.pathname + location.search + (person ? "#person=" + person : ""));
        apply();
        return;
      }
      if (!bar.elements.show || !event.target.name ||
          ["show", "min", "hideRejected", "order"].indexOf(event.target.name) < 0) return;
      filter = { show: bar.elements.show.value, min: parseInt(bar.elements.min.value, 10) || 0,
                 hideRejected: bar.elements.hideRejected.checked,
                 order: bar.elements.order ? bar.elements.order.value : filter.order };
      try { sessionStorage.setItem(KEY, JSON.stringify(filter)); } catch (error) { /* private mode */ }
      apply();
    });
    bar.addEventListener("submit", function (event) { event.preventDefault(); });
    document.addEventListener("gallery:decisions", function () { apply(!isActive(filter)); });
    apply();
    return { bar: bar, apply: apply, setItems: function (items) { all = items; apply(); } };
  }

  /* Put a filter bar above `grid` (a Gallery.grid.Grid) and keep its rows filtered;
     `grid.refilter(rows)` replaces the rows it filters (e.g. a collection's live order). */
  function attach(grid) {
    var byDate = grid.rows.slice(), group = grid.group;
    var byBest = grid.best ? grid.best.map(function (index) { return byDate[index]; }) : null;
    var control = makeBar(grid.section, byDate, decisionOfRow, function (kept, best) {
      grid.group = best ? "none" : group;         // no day headings in an order that is not by date
      grid.section.setAttribute("data-order", best ? "best" : "date");
      grid.setRows(kept);
    }, grid.people, function (row) { return row[0]; }, byBest);
    grid.filterBar = control.bar;
    grid.refilter = control.setItems;
  }

  /* The same filter over plain result cards (a.card[data-id], e.g. the sidecar's search results). */
  function attachCards(container, cards) {
    return makeBar(container, Array.prototype.slice.call(cards),
      function (card) { return decisionOf(card.getAttribute("data-id"), parseInt(card.getAttribute("data-x") || "0", 10)); },
      function (kept) {
        var keep = new Set(kept);
        cards.forEach(function (card) { card.hidden = !keep.has(card); });
      });
  }

  G.gridFilter = { attach: attach, attachCards: attachCards, passes: passes };
})();
