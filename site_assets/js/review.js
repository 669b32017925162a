/* Shoot review (culling) on the static review page: the proposed shoots (most recent first) and one
   shoot's groups from the sidecar (/api/review/*); a click, a tap or Space toggles a photo (one
   writing request, kept per photo), the arrow keys move, and "Accept" turns the selection into
   picks or a collection. Classic script; with the sidecar down the page says so. */
(function () {
  "use strict";
  var G = window.Gallery;
  var list = document.getElementById("review-shoots");
  var status = document.getElementById("review-status");
  var pane = document.getElementById("review-shoot");
  var groupsBox = document.getElementById("review-groups");
  var note = document.getElementById("review-note");
  var current = null;     // the shoot shown: {key, groups}
  var focusIndex = 0;

  function api(path) { return G.url("api/" + path); }

  function getJson(path) {
    return fetch(api(path), { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function postJson(path, body) {
    return fetch(api(path), {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.status === 403) throw new Error("Sign in to change the selection (" + (answer.error || "refused") + ")");
        if (!response.ok) throw new Error(answer.error || ("HTTP " + response.status));
        return answer;
      });
    });
  }

  function say(text, isError) {
    note.textContent = text;
    note.classList.toggle("error", !!isError);
  }

  function loadShoots() {
    if (G.isFile) { status.textContent = "Reviewing needs the site served with its sidecar (gallery serve)."; return; }
    getJson("review/shoots?limit=200").then(function (body) {
      var shoots = body.shoots || [];
      status.textContent = shoots.length ? "" :
        "No shoot proposed yet: index runs propose the latest folders; `gallery review propose --recent 20` proposes more.";
      status.hidden = !!shoots.length;
      list.innerHTML = "";
      shoots.forEach(function (shoot) {
        var link = document.createElement("a");
        link.href = "#" + encodeURIComponent(shoot.shoot_key);
        link.className = "review-shoot-link";
        link.setAttribute("data-key", shoot.shoot_key);
        link.innerHTML = "<strong>" + G.escapeHtml(shoot.label) + "</strong><br><small>" +
          G.escapeHtml((shoot.last_taken || "").slice(0, 10)) + " \u00b7 " + shoot.photo_count + " photos \u00b7 " +
          '<span class="review-selected-count">' + shoot.selected + "</span> kept" +
          (shoot.accepted_at ? " \u00b7 accepted" : "") + "</small>";
        list.appendChild(link);
      });
      var wanted = decodeURIComponent(location.hash.slice(1));
      if (wanted) openShoot(wanted); else if (shoots.length) openShoot(shoots[0].shoot_key);
    }).catch(function () {
      status.textContent = "The review needs the search sidecar, which did not answer (start it with gallery serve).";
    });
  }

  function openShoot(key) {
    getJson("review/shoot?key=" + encodeURIComponent(key)).then(function (review) {
      current = { key: key, groups: review.groups, shoot: review.shoot };
      var links = list.querySelectorAll(".review-shoot-link");
      for (var i = 0; i < links.length; i++) {
        links[i].setAttribute("aria-current", links[i].getAttribute("data-key") === key ? "true" : "false");
      }
      document.getElementById("review-title").textContent = review.shoot.label;
      ["csv", "json"].forEach(function (format) {
        document.getElementById("review-download-" + format).href =
          api("selection/export?review=" + encodeURIComponent(key) + "&format=" + format);
      });
      pane.hidden = false;
      render();
    }).catch(function (error) { say("Could not open this shoot: " + error.message, true); });
  }

  function photos() {
    var all = [];
    current.groups.forEach(function (group) { group.photos.forEach(function (photo) { all.push(photo); }); });
    return all;
  }

  function counts() {
    var all = photos(), kept = all.filter(function (photo) { return photo.selected; }).length;
    document.getElementById("review-counts").textContent = all.length + " photos in " + current.groups.length +
      " groups \u00b7 " + kept + " kept";
    var link = list.querySelector('.review-shoot-link[data-key="' + CSS.escape(current.key) + '"] .review-selected-count');
    if (link) link.textContent = String(kept);
  }

  function render() {
    groupsBox.innerHTML = "";
    var index = 0;
    current.groups.forEach(function (group) {
      var box = document.createElement("div");
      box.className = "review-group";
      group.photos.forEach(function (photo) {
        var tile = document.createElement("button");
        tile.type = "button";
        tile.className = "review-photo";
        tile.setAttribute("data-id", photo.id);
        tile.setAttribute("data-index", index++);
        tile.setAttribute("aria-pressed", photo.selected ? "true" : "false");
        tile.title = photo.path + (photo.proposed ? " (proposed)" : "");
        tile.innerHTML = (photo.thumb ? '<img loading="lazy" alt="" src="' + G.escapeHtml(photo.thumb) + '">' : "") +
          (photo.proposed ? '<span class="review-proposed" aria-label="proposed">\u2605</span>' : "");
        tile.addEventListener("click", function () { toggle(photo, tile); });
        box.appendChild(tile);
      });
      groupsBox.appendChild(box);
    });
    counts();
  }

  function toggle(photo, tile) {
    var wanted = !photo.selected;
    postJson("review/select", { key: current.key, ids: [photo.id], selected: wanted }).then(function () {
      photo.selected = wanted;
      tile.setAttribute("aria-pressed", wanted ? "true" : "false");
      counts();
      say("");
    }).catch(function (error) { say(error.message, true); });
  }

  function accept(body) {
    body.key = current.key;
    postJson("review/accept", body).then(function (answer) { say(answer.message || "Accepted"); })
      .catch(function (error) { say(error.message, true); });
  }

  document.getElementById("review-accept-picks").addEventListener("click", function () {
    accept({ as: "picks", reject_others: document.getElementById("review-reject-others").checked });
  });
  document.getElementById("review-accept-collection").addEventListener("click", function () {
    var name = document.getElementById("review-collection").value.trim();
    if (!name) { say("Type a collection name first", true); return; }
    accept({ as: "collection", name: name });
  });

  list.addEventListener("click", function (event) {
    var link = event.target.closest(".review-shoot-link");
    if (!link) return;
    event.preventDefault();
    history.replaceState(null, "", "#" + encodeURIComponent(link.getAttribute("data-key")));
    openShoot(link.getAttribute("data-key"));
  });

  document.addEventListener("keydown", function (event) {
    if (!current || event.target.closest("input, textarea")) return;
    var tiles = groupsBox.querySelectorAll(".review-photo");
    if (!tiles.length) return;
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      focusIndex = Math.max(0, Math.min(tiles.length - 1, focusIndex + (event.key === "ArrowRight" ? 1 : -1)));
      tiles[focusIndex].focus();
      event.preventDefault();
    }
  });

  loadShoots();
})();
