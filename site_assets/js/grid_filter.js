/* The curation filter of a grid page (Gallery.gridFilter): all photos, picks only, at least N
   stars, and hide rejected, applied in the browser to the rows the page already has, with each
   photo's live decision (Gallery.decisions) where the overlay knows it; and, when the page knows
   something of its photos' worth (ratings, stars, aesthetic scores), a "best first" order (the
   page's `best` row order, as of the build). The choice is kept for the session (sessionStorage)
   and shown as "N of M photos". Classic script. */
(function () {
  "use strict";
  var G = window.Gallery;
  var KEY = "gallery-grid-filter";

  function saved() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "null") || {}; } catch (error) { return {}; }
  }

  function decisionOfRow(row) {
    var built = G.decisions ? G.decisions.fromBits(row[8]) : { flag: null, stars: 0 };
    return G.decisions ? G.decisions.decisionOf(row[0], built) : built;
  }

  /* Does `row` pass `filter` ({show: "all"|"picks", min: 0-5, hideRejected: bool})? */
  function passes(row, filter) {
    if (!filter.show || (filter.show === "all" && !filter.min && !filter.hideRejected)) return true;
    var decision = decisionOfRow(row);
    if (filter.show === "picks" && decision.flag !== "pick") return false;
    if (filter.hideRejected && decision.flag === "reject") return false;
    return decision.stars >= (filter.min || 0);
  }

  function barHtml(filter, canSort) {
    var stars = '<option value="0">any rating</option>';
    for (var n = 1; n <= 5; n++) stars += '<option value="' + n + '"' + (filter.min === n ? " selected" : "") + ">" + new Array(n + 1).join("\u2605") + " or more</option>";
    return '<label>Show <select name="show"><option value="all">all photos</option>' +
      '<option value="picks"' + (filter.show === "picks" ? " selected" : "") + ">picks</option></select></label> " +
      '<label><select name="min" aria-label="Rating">' + stars + "</select></label> " +
      '<label><input type="checkbox" name="hideRejected"' + (filter.hideRejected ? " checked" : "") + "> hide rejected</label> " +
      (canSort ? '<label>Order <select name="order"><option value="date">by date</option><option value="best"' +
        (filter.order === "best" ? " selected" : "") + ">best first</option></select></label> " : "") +
      '<span class="grid-filter-count" aria-live="polite"></span>';
  }

  /* Put a filter bar above `grid` (a Gallery.grid.Grid) and keep its rows filtered. */
  function attach(grid) {
    var filter = saved(), byDate = grid.rows.slice(), group = grid.group;
    var byBest = grid.best ? grid.best.map(function (index) { return byDate[index]; }) : null;
    var bar = document.createElement("form");
    bar.className = "grid-filter";
    bar.innerHTML = barHtml(filter, !!byBest);
    grid.section.insertBefore(bar, grid.section.firstChild);

    function apply() {
      var best = byBest && filter.order === "best", all = best ? byBest : byDate;
      grid.group = best ? "none" : group;         // no day headings in an order that is not by date
      grid.section.setAttribute("data-order", best ? "best" : "date");
      var kept = all.filter(function (row) { return passes(row, filter); });
      grid.setRows(kept);
      bar.querySelector(".grid-filter-count").textContent =
        kept.length === all.length ? all.length + " photos" : kept.length + " of " + all.length + " photos";
    }

    bar.addEventListener("change", function () {
      filter = { show: bar.elements.show.value, min: parseInt(bar.elements.min.value, 10) || 0,
                 hideRejected: bar.elements.hideRejected.checked,
                 order: bar.elements.order ? bar.elements.order.value : filter.order };
      try { sessionStorage.setItem(KEY, JSON.stringify(filter)); } catch (error) { /* private mode */ }
      apply();
    });
    bar.addEventListener("submit", function (event) { event.preventDefault(); });
    document.addEventListener("gallery:decisions", function () { if (filter.show !== "all" || filter.min || filter.hideRejected) apply(); });
    apply();
  }

  G.gridFilter = { attach: attach, passes: passes };
})();
