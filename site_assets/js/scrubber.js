/* The timeline scrubber of a long grid page: a rail at the right edge with month ticks; drag or
   click to jump, and the month strip of a year page follows the scroll position. */
(function () {
  "use strict";
  var G = window.Gallery;

  function monthTicks(grid) {
    return grid.layout.entries.filter(function (entry) { return entry.type === "month"; });
  }

  function build(grid) {
    var rail = document.createElement("div");
    rail.className = "scrubber";
    rail.setAttribute("aria-hidden", "true");
    rail.innerHTML = '<div class="scrubber-thumb"></div><div class="scrubber-label"></div>';
    document.body.appendChild(rail);
    document.body.classList.add("has-scrubber");
    return rail;
  }

  function placeTicks(rail, grid) {
    var old = rail.querySelectorAll(".scrubber-tick");
    for (var i = 0; i < old.length; i++) old[i].remove();
    var height = rail.clientHeight, total = grid.layout.height, lastTop = -99;
    monthTicks(grid).forEach(function (entry) {
      var top = entry.top / total * height;
      if (top - lastTop < 16) return;   // too close to the previous label
      var tick = document.createElement("div");
      tick.className = "scrubber-tick";
      tick.style.top = top + "px";
      tick.textContent = entry.label.slice(0, 3);
      rail.appendChild(tick);
      lastTop = top;
    });
  }

  function labelAt(grid, offset) {
    var label = "", entries = grid.layout.entries;
    for (var i = 0; i < entries.length && entries[i].top <= offset; i++) {
      if (entries[i].type === "day") label = entries[i].label;
    }
    return label;
  }

  function attachRail(grid) {
    var rail = build(grid), thumb = rail.firstChild, label = rail.lastChild, dragging = false;
    function fraction(event) {
      var box = rail.getBoundingClientRect();
      return Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    }
    function jump(event) {
      var offset = fraction(event) * grid.layout.height;
      window.scrollTo(0, grid.offset() + offset - 56);
    }
    function hover(event) {
      var value = fraction(event);
      label.style.top = value * rail.clientHeight + "px";
      label.textContent = labelAt(grid, value * grid.layout.height);
    }
    rail.addEventListener("pointerdown", function (event) {
      dragging = true; rail.classList.add("dragging"); rail.setPointerCapture(event.pointerId); jump(event);
    });
    rail.addEventListener("pointermove", function (event) { hover(event); if (dragging) jump(event); });
    rail.addEventListener("pointerup", function () { dragging = false; rail.classList.remove("dragging"); });
    window.addEventListener("scroll", function () {
      var value = (window.scrollY - grid.offset() + 56) / grid.layout.height;
      thumb.style.top = Math.min(1, Math.max(0, value)) * rail.clientHeight + "px";
    }, { passive: true });
    grid.section.addEventListener("grid:layout", function () { placeTicks(rail, grid); });
    grid.relayout();     // the rail took some width from the page
    placeTicks(rail, grid);
  }

  function attachMonthStrip(grid) {
    var strip = document.querySelector("nav.months");
    if (!strip) return;
    strip.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-month]");
      if (link && grid.scrollToMonth(link.getAttribute("data-month"))) event.preventDefault();
    });
    var current = null;
    grid.section.addEventListener("grid:month", function (event) {
      var month = (event.detail || "").slice(5, 7);
      if (month === current) return;
      current = month;
      var links = strip.querySelectorAll("a[data-month]");
      for (var i = 0; i < links.length; i++) {
        var on = links[i].getAttribute("data-month") === month;
        links[i].classList.toggle("current", on);
        if (on) strip.scrollLeft = links[i].offsetLeft - strip.clientWidth / 2;
      }
    });
  }

  function attach(grid) {
    attachMonthStrip(grid);
    if (grid.group === "day" && grid.layout.height > 3 * window.innerHeight) attachRail(grid);
  }

  G.scrubber = { attach: attach };
})();
