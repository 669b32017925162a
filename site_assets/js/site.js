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
  // the grid draws from the first two slots only; it keeps the grid slot up to 1.4x upscaled at DPR 1
  var GRID_SLOTS = 2, GRID_STRETCH = 1.4;

  if (isFile) document.documentElement.classList.add("is-file");

  function url(path) { return root + path; }

  function thumbPath(key, slotIndex) {
    var slot = SLOTS[slotIndex];
    return "thumbs/" + key.slice(0, 2) + "/" + key + "-" + slot[0] + "." + slot[1];
  }

  /* Every written slot of a photo as {path, width, slot}; a slot's file fits within slot x slot pixels
     (gallery_builder/thumb_layout.py thumb_size). */
  function sources(key, slotMask, width, height) {
    var list = [];
    if (!key) return list;
    for (var i = 0; i < SLOTS.length; i++) {
      var scale = Math.min(1, SLOTS[i][0] / Math.max(width, height, 1));
      if (slotMask & (1 << i)) list.push({ path: thumbPath(key, i), width: Math.max(1, Math.round(width * scale)), slot: i });
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

  /* A grid picture for a card `box` CSS pixels wide, from the first GRID_SLOTS slots (the grid WebP,
     and the lightbox JPEG as the 2x source): `src` is what a DPR-1 screen always loaded (the grid
     slot until the box is wider than 1.4 times it), `src2x` the smallest of those files at least
     twice the box wide (else the largest), so a phone or retina screen is sharp and a DPR-1 screen
     fetches the same bytes as ever; `forScreen` the one of the two this screen takes. null when the
     photo has no thumbnail. */
  function gridImage(key, slotMask, width, height, box) {
    var list = sources(key, slotMask & ((1 << GRID_SLOTS) - 1), width, height);
    if (!list.length) return null;
    var one = list[list.length - 1], two = one;
    for (var i = list.length - 1; i >= 0; i--) {
      if (SLOTS[list[i].slot][0] * GRID_STRETCH >= box) one = list[i];
      if (list[i].width >= 2 * box) two = list[i];
    }
    var src = url(one.path), src2x = url(two.path);
    return { src: src, src2x: src2x, forScreen: (window.devicePixelRatio || 1) > 1 ? src2x : src };
  }

  /* What a card shows for a photo without a thumbnail (or whose thumbnail failed to load): its
     name, its kind and why there is no picture, never a broken image. */
  var KIND_LABELS = { photo: "Photo", raw: "RAW", video: "Video" };
  var NO_PREVIEW = { raw: "No preview: a RAW file without an embedded preview, or not made yet",
                     video: "No preview: no poster frame made yet",
                     photo: "No preview: the file could not be decoded, or not made yet" };

  function fileCard(name, kind, reason) {
    var card = document.createElement("span"), title = document.createElement("strong");
    var label = document.createElement("span"), why = document.createElement("span");
    card.className = "card-file";
    title.className = "card-file-name";
    title.textContent = name || "";
    label.className = "card-file-kind";
    label.textContent = KIND_LABELS[kind] || kind || "File";
    why.className = "card-file-reason";
    why.textContent = reason || NO_PREVIEW[kind] || NO_PREVIEW.photo;
    card.appendChild(title);
    card.appendChild(label);
    card.appendChild(why);
    return card;
  }

  function kindOf(flags) { return flags & FLAGS.video ? "video" : flags & FLAGS.raw ? "raw" : "photo"; }

  /* Show `image` in `link`, or a file card if it cannot be loaded (a thumbnail gone from the server). */
  function showImage(link, image, name, kind) {
    image.addEventListener("error", function () {
      if (image.parentNode) image.replaceWith(fileCard(name, kind, "No preview: its thumbnail file could not be loaded"));
    });
    link.appendChild(image);
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

  /* POST `body` as JSON to the sidecar's `api/<path>`; resolves with the answer, or rejects with
     its error message (the sidecar names what was wrong). */
  function postJson(path, body) {
    return fetch(url("api/" + path), {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) throw new Error(answer.error || "HTTP " + response.status);
        return answer;
      });
    });
  }

  function getJson(path) {
    return fetch(url("api/" + path), { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
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
    pickThumb: pickThumb, gridImage: gridImage, fileCard: fileCard, kindOf: kindOf, showImage: showImage,
    photoPath: photoPath, pageLink: pageLink, loadData: loadData,
    monthLabel: monthLabel, dayLabel: dayLabel, escapeHtml: escapeHtml, fixFileLinks: fixFileLinks,
    postJson: postJson, getJson: getJson
  };
  fixFileLinks(document);
})();
