/* Shared helpers of every page (window.Gallery): URLs relative to the site root, thumbnail
   slots, data loading that also works from file:// (a classic-script twin of each JSON file),
   labels, and link fixing for file:// copies. Classic script on purpose: file:// runs it. */
(function () {
  "use strict";
  var body = document.body;
  var root = body.getAttribute("data-root") || "./";
  var isFile = location.protocol === "file:";
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"];
  var WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  // [width, ext] of each thumbnail slot, from gallery_builder/thumb_layout.py via the page
  var SLOTS = (body.getAttribute("data-slots") || "400:webp").split(",").map(function (item) {
    var parts = item.split(":");
    return [parseInt(parts[0], 10), parts[1]];
  });
  var FLAGS = { video: 1, raw: 2, viewable: 4, future: 8 };

  if (isFile) document.documentElement.classList.add("is-file");

  function url(path) { return root + path; }

  function thumbPath(key, slotIndex) {
    var slot = SLOTS[slotIndex];
    return "thumbs/" + key.slice(0, 2) + "/" + key + "-" + slot[0] + "." + slot[1];
  }

  /* Every written slot of a photo as {path, width}; a slot's file fits within slot x slot pixels
     (gallery_builder/thumb_layout.py thumb_size). */
  function sources(key, slotMask, width, height) {
    var list = [];
    if (!key) return list;
    for (var i = 0; i < SLOTS.length; i++) {
      var scale = Math.min(1, SLOTS[i][0] / Math.max(width, height, 1));
      if (slotMask & (1 << i)) list.push({ path: thumbPath(key, i), width: Math.max(1, Math.round(width * scale)) });
    }
    return list;
  }

  /* The smallest written slot at least `want` pixels wide (else the largest one). */
  function pickThumb(key, slotMask, want) {
    var best = -1;
    for (var i = 0; i < SLOTS.length; i++) {
      if (!(slotMask & (1 << i))) continue;
      best = i;
      if (SLOTS[i][0] >= want) break;
    }
    return best < 0 ? "" : url(thumbPath(key, best));
  }

  /* gallery_builder/site/urls.py photo_url */
  function photoPath(id) { return "photos/" + Math.floor(id / 1000) + "/" + id + ".html"; }

  function pageLink(path) { return isFile && /\/$/.test(path) ? path + "index.html" : path; }

  /* Load a JSON data file; from file:// load its .js twin, which assigns window[globalName]. */
  function loadData(path, globalName) {
    if (!isFile) {
      return fetch(path).then(function (response) {
        if (!response.ok) throw new Error(path + ": HTTP " + response.status);
        return response.json();
      });
    }
    return new Promise(function (resolve, reject) {
      if (!globalName) { reject(new Error("needs a server: " + path)); return; }
      var script = document.createElement("script");
      script.src = path + ".js";
      script.onload = function () { resolve(window[globalName]); };
      script.onerror = function () { reject(new Error("cannot load " + script.src)); };
      document.head.appendChild(script);
    });
  }

  function monthLabel(yearMonth) {
    var month = parseInt(yearMonth.slice(5, 7), 10);
    return month ? MONTHS[month - 1] + " " + yearMonth.slice(0, 4) : "Undated";
  }

  function dayLabel(day) {
    if (!/^\d{4}-\d\d-\d\d$/.test(day)) return "Undated";
    var date = new Date(Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, +day.slice(8, 10)));
    return WEEKDAYS[date.getUTCDay()] + ", " + date.getUTCDate() + " " + MONTHS[date.getUTCMonth()] + " " + date.getUTCFullYear();
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function fixFileLinks(scope) {
    if (!isFile) return;
    var links = (scope || document).querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href");
      if (/^(?!\w+:)[^?#]*\/$/.test(href) || href === "./" || href === "") links[i].setAttribute("href", (href || "./") + "index.html");
    }
  }

  window.Gallery = {
    root: root, isFile: isFile, SLOTS: SLOTS, FLAGS: FLAGS, MONTHS: MONTHS, url: url, sources: sources,
    pickThumb: pickThumb, photoPath: photoPath, pageLink: pageLink, loadData: loadData,
    monthLabel: monthLabel, dayLabel: dayLabel, escapeHtml: escapeHtml, fixFileLinks: fixFileLinks
  };
  fixFileLinks(document);
})();
