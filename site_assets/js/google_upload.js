/* "Upload to Google Photos" on a collection page and a photo page (.google-upload panels). Shown only
   when the sidecar answers, the visitor is signed in and Google Photos is connected (else a link to
   connect it). A click starts the upload (POST /api/google/uploads); its events stream in through
   /api/google/uploads/JOB/events (Server-Sent Events) and show as a progress bar and a line of text;
   Cancel stops after the current file. Classic script; from file:// nothing is asked. */
(function () {
  "use strict";
  var G = window.Gallery;
  var panels = document.querySelectorAll(".google-upload");
  if (!panels.length || G.isFile || !window.EventSource) return;
  function api(path) { return G.url("api/google/" + path); }
  function post(path, body) {
    return fetch(api(path), { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
                              body: JSON.stringify(body || {}) })
      .then(function (response) { return response.json().then(function (data) { return { ok: response.ok, data: data }; }); });
  }
  function mb(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  function say(panel, text) { panel.querySelector(".google-note").textContent = text; }

  function follow(panel, job) {
    var bar = panel.querySelector("progress"), cancel = panel.querySelector(".google-cancel");
    var start = panel.querySelector(".google-start"), log = panel.querySelector(".google-events");
    bar.hidden = false; cancel.hidden = false; start.disabled = true;
    var stream = new EventSource(G.url(job.events.replace(/^\//, "")));
    function count(kind) { panel.setAttribute("data-" + kind, String(+(panel.getAttribute("data-" + kind) || 0) + 1)); }
    function on(kind, handler) {
      stream.addEventListener(kind, function (event) { count(kind); log.setAttribute("data-last", kind); handler(JSON.parse(event.data)); });
    }
    on("start", function (data) {
      bar.max = Math.max(1, data.total); bar.value = data.done;
      say(panel, "Album \u201c" + data.album + "\u201d: " + data.skipped + " of " + data.total + " already there");
    });
    on("begin", function (data) { say(panel, "Sending " + data.name + " (" + mb(data.bytes) + ")"); });
    on("bytes_sent", function () {});
    on("progress", function (data) {
      bar.max = Math.max(1, data.total); bar.value = data.done;
      say(panel, data.done + " / " + data.total + " \u00b7 " + mb(data.bytes_sent) + " sent" + (data.failed ? " \u00b7 " + data.failed + " failed" : ""));
    });
    function end(text) {
      return function (data) {
        stream.close(); cancel.hidden = true; start.disabled = false; bar.value = data.done || bar.value;
        panel.setAttribute("data-state", text.split(":")[0]);
        say(panel, text + " " + (data.reason ? data.reason + " " : "") + "(" + (data.created || 0) + " uploaded, " +
            (data.skipped || 0) + " already there, " + (data.failed || 0) + " failed)");
      };
    }
    on("done", end("done:"));
    on("cancelled", end("cancelled:"));
    on("fatal", end("stopped:"));
    cancel.onclick = function () { cancel.disabled = true; say(panel, "Stopping after the current file\u2026");
      post("uploads/" + job.id + "/cancel").then(function () { cancel.disabled = false; }); };
  }

  function setUp(panel, status) {
    if (!status.signed_in) return;
    panel.hidden = false;
    if (!status.connected) {
      panel.querySelector(".google-start").hidden = true;
      panel.querySelector(".google-note").innerHTML = '<a href="' + G.escapeHtml(G.url("api/google/signin")) +
        '">Connect Google Photos</a> to upload from here';
      return;
    }
    var album = panel.getAttribute("data-album");
    for (var i = 0; i < status.jobs.length; i++) {
      if (status.jobs[i].album === album && status.jobs[i].state === "running") follow(panel, status.jobs[i]);
    }
    panel.querySelector(".google-start").onclick = function () {
      var body = { album: album }, input = panel.querySelector("input[name=album]");
      if (input) body.album = input.value;
      if (panel.hasAttribute("data-collection")) body.collection = +panel.getAttribute("data-collection");
      else body.photos = [+panel.getAttribute("data-photo")];
      say(panel, "Starting\u2026");
      post("uploads", body).then(function (answer) {
        if (answer.ok) follow(panel, answer.data.job); else say(panel, answer.data.error || "refused");
      }, function () { say(panel, "The search sidecar does not answer"); });
    };
  }

  fetch(api("status"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (status) { if (status) for (var i = 0; i < panels.length; i++) setUp(panels[i], status); },
          function () {});
})();
