/* The status page's live progress: polls /progress.json (written by the indexer while a run is
   going) every two seconds and shows the stage, counts, rate and time left, and, for a run with
   --cluster, each Dask worker's photos and throughput (kept after the run ends). */
(function () {
  "use strict";
  var G = window.Gallery;
  var box = document.getElementById("progress");
  if (!box || G.isFile) return;
  var bar = box.querySelector(".progress-bar span"), text = box.querySelector(".progress-text");

  function pick(data, names) {
    for (var i = 0; i < names.length; i++) if (data[names[i]] !== undefined && data[names[i]] !== null) return data[names[i]];
    return null;
  }

  function duration(seconds) {
    seconds = Math.round(seconds);
    if (seconds < 60) return seconds + " s";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
    return Math.floor(seconds / 3600) + " h " + Math.floor(seconds % 3600 / 60) + " min";
  }

  function show(data) {
    var state = pick(data, ["state", "status"]);
    var running = state ? /run|active|working|started/i.test(state) : !pick(data, ["finished", "finished_at", "done_at"]);
    box.hidden = !running;
    if (!running) return;
    var done = pick(data, ["done", "completed", "processed"]) || 0, total = pick(data, ["total"]) || 0;
    var rate = pick(data, ["rate", "per_second", "items_per_second"]), eta = pick(data, ["eta_seconds", "eta"]);
    var stage = data.stage === "pass" && data.pass ? "pass " + data.pass : pick(data, ["label", "stage"]) || "indexing";
    if (data.stage === "pass" && data.passes && data.passes.length > 1 && data.pass_index !== undefined) {
      stage += " (" + (data.pass_index + 1) + " of " + data.passes.length + ")";
    }
    bar.style.width = total ? Math.min(100, 100 * done / total) + "%" : "0";
    var parts = [stage + ": " + done.toLocaleString() + (total ? " of " + total.toLocaleString() : "")];
    if (rate) parts.push(Number(rate).toFixed(1) + " per second");
    if (eta !== null && isFinite(eta)) parts.push("about " + duration(Number(eta)) + " left");
    text.textContent = parts.join(" · ");
  }

  var workers = document.getElementById("workers");

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
  }

  function showWorkers(data) {
    if (!workers) return;
    var rows = data && data.workers;
    workers.hidden = !(rows && rows.length);
    if (workers.hidden) return;
    var running = /run/i.test(data.state || "");
    workers.querySelector(".workers-cluster").textContent =
      "Dask cluster " + (data.cluster || "") + (running ? " · this run" : " · the last run");
    var body = workers.querySelector("tbody");
    body.textContent = "";
    rows.forEach(function (worker) {
      var row = document.createElement("tr");
      cell(row, worker.name);
      cell(row, String(worker.threads || 0), "num");
      cell(row, Number(worker.photos || 0).toLocaleString(), "num");
      cell(row, Number(worker.rate || 0).toFixed(1), "num");
      cell(row, worker.refused ? "takes no tasks: " + worker.refused : (worker.connected ? "connected" : "gone"));
      body.appendChild(row);
    });
  }

  function poll() {
    fetch(box.getAttribute("data-progress"), { cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) show(data); else box.hidden = true; showWorkers(data); })
      .catch(function () { box.hidden = true; showWorkers(null); })
      .then(function () { setTimeout(poll, document.hidden ? 10000 : 2000); });
  }
  poll();
})();
