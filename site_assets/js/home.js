/* The home page's "On this day": picked in the browser from the small per-month index, so it is
   right every day without a rebuild (photos of today's date from earlier years).
   `?today=MM-DD` shows another day (handy to check the feature). */
(function () {
  "use strict";
  var G = window.Gallery;
  var section = document.querySelector("[data-on-this-day]");
  if (!section || G.isFile) return;
  var now = new Date();
  function pad(value) { return (value < 10 ? "0" : "") + value; }
  var today = new URLSearchParams(location.search).get("today") || pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  if (!/^\d\d-\d\d$/.test(today)) return;

  function memory(entry) {
    var year = entry[0], id = entry[1], link = document.createElement("a");
    link.className = "memory";
    link.href = G.url(G.photoPath(id));
    var ago = now.getFullYear() - year;
    link.innerHTML = '<img alt="" loading="lazy"><span></span>';
    link.firstChild.src = G.pickThumb(entry[2], entry[5], 400);
    link.firstChild.width = Math.round(220 * entry[3] / entry[4]);
    link.firstChild.height = 220;
    link.lastChild.textContent = ago === 1 ? "1 year ago" : ago + " years ago";
    return link;
  }

  G.loadData(section.getAttribute("data-on-this-day") + today.slice(0, 2) + ".json").then(function (data) {
    var entries = (data.days[today] || []).filter(function (entry) { return entry[0] < now.getFullYear(); });
    if (!entries.length) return;
    entries.sort(function (a, b) { return b[0] - a[0]; });
    var box = section.querySelector(".memories");
    entries.forEach(function (entry) { box.appendChild(memory(entry)); });
    section.hidden = false;
  }).catch(function () { /* no photo was taken in this month: nothing to show */ });
})();
