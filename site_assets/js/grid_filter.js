/* The curation filter of a grid page (Gallery.gridFilter): all photos, picks only, at least N
   stars, hide rejected, and (when the page's cards show named people) one person, applied in the
   browser to the rows the page already has, with each photo's live decision (Gallery.decisions)
   where the overlay knows it. The choice is kept for the session (sessionStorage) and shown as
   "N of M photos"; the person choice is the page's own (the address's #person=<id> keeps it). Classic script. */
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

  function barHtml(filter, people, person) {
    var stars = '<option value="0">any rating</option>';
    for (var n = 1; n <= 5; n++) stars += '<option value="' + n + '"' + (filter.min === n ? " selected" : "") + ">" + new Array(n + 1).join("\u2605") + " or more</option>";
    return '<label>Show <select name="show"><option value="all">all photos</option>' +
      '<option value="picks"' + (filter.show === "picks" ? " selected" : "") + ">picks</option></select></label> " +
      '<label><select name="min" aria-label="Rating">' + stars + "</select></label> " +
      '<label><input type="checkbox" name="hideRejected"' + (filter.hideRejected ? " checked" : "") + "> hide rejected</label> " +
      personHtml(people, person) +
      '<span class="grid-filter-count" aria-live="polite"></span>';
  }

  /* Put a filter bar above `grid` (a Gallery.grid.Grid) and keep its rows filtered. */
  function attach(grid) {
    var filter = saved(), all = grid.rows.slice(), people = grid.people;
    var person = people && people.names.some(function (entry) { return entry.id === chosenPerson(); }) ? chosenPerson() : 0;
    var bar = document.createElement("form");
    bar.className = "grid-filter";
    bar.innerHTML = barHtml(filter, people, person);
    grid.section.insertBefore(bar, grid.section.firstChild);

    function apply() {
      var kept = all.filter(function (row) {
        return passes(row, filter) && (!person || G.people.idsOn(people, row[0]).indexOf(person) >= 0);
      });
      grid.setRows(kept);
      bar.querySelector(".grid-filter-count").textContent =
        kept.length === all.length ? all.length + " photos" : kept.length + " of " + all.length + " photos";
    }

    bar.addEventListener("change", function () {
      filter = { show: bar.elements.show.value, min: parseInt(bar.elements.min.value, 10) || 0,
                 hideRejected: bar.elements.hideRejected.checked };
      try { sessionStorage.setItem(KEY, JSON.stringify(filter)); } catch (error) { /* private mode */ }
      if (people) {
        person = parseInt(bar.elements.person.value, 10) || 0;
        history.replaceState(null, "", location.pathname + location.search + (person ? "#person=" + person : ""));
      }
      apply();
    });
    bar.addEventListener("submit", function (event) { event.preventDefault(); });
    document.addEventListener("gallery:decisions", function () { if (filter.show !== "all" || filter.min || filter.hideRejected) apply(); });
    apply();
  }

  G.gridFilter = { attach: attach, passes: passes };
})();
