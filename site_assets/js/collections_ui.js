/* Collections from the browser (Gallery.collectionsUi), through the sidecar's collection routes:
   a chooser (existing collection or a new one) to add photos from a selection, the lightbox, a
   photo page or a whole search result; create on the index; rename, delete, reorder (drag, or
   Alt+arrow keys and buttons for keyboard and touch), set the cover and remove photos on a
   collection page, whose order the live overlay brings up to date; a photo page's live list of
   its collections. Needs a signed-in session; says so otherwise. Classic script. */
(function () {
  "use strict";
  var G = window.Gallery;
  var tools = document.querySelector("[data-collection-tools]");
  var collectionId = tools ? parseInt(tools.getAttribute("data-collection"), 10) : null;

  function say(message) { if (G.decisions) G.decisions.say(message); }
  function signedIn() { return G.decisions && G.decisions.session().signed_in; }
  function refused(error) { say("Not saved: " + error.message); }

  /* Ask which collection (or a new one) and add `ids` to it. */
  function chooseAndAdd(ids) {
    if (!signedIn()) { say("Sign in to change collections."); return; }
    G.getJson("collections").then(function (body) {
      var dialog = document.createElement("dialog");
      dialog.className = "collection-chooser";
      var options = body.collections.map(function (item) {
        return '<option value="' + item.id + '">' + G.escapeHtml(item.name) + " (" + item.photo_count + ")</option>";
      }).join("");
      dialog.innerHTML = '<form method="dialog"><h2>Add ' + ids.length + " photo" + (ids.length === 1 ? "" : "s") +
        ' to a collection</h2><label>Collection <select name="collection">' + options +
        '<option value="">New collection\u2026</option></select></label>' +
        '<label class="new-name">Name <input name="name" autocomplete="off"></label>' +
        '<p><button value="add" type="submit">Add</button> <button value="cancel" formnovalidate>Cancel</button></p></form>';
      document.body.appendChild(dialog);
      var form = dialog.querySelector("form");
      var toggleName = function () { form.querySelector(".new-name").hidden = !!form.elements.collection.value; };
      form.elements.collection.addEventListener("change", toggleName);
      toggleName();
      dialog.addEventListener("close", function () {
        var choice = form.elements.collection.value, name = form.elements.name.value.trim();
        dialog.remove();
        if (dialog.returnValue !== "add") return;
        var target = choice ? Promise.resolve({ id: parseInt(choice, 10), collection: null })
          : G.postJson("collections", { name: name });
        target.then(function (made) {
          return G.postJson("collections/" + made.id + "/photos", { add: ids });
        }).then(function (answer) {
          say("Added " + answer.changed.length + " photo" + (answer.changed.length === 1 ? "" : "s") + " to \u201c" +
              answer.collection.name + "\u201d");
          document.dispatchEvent(new CustomEvent("gallery:collections", { detail: answer }));
        }).catch(refused);
      });
      dialog.showModal();
      (form.elements.collection.value ? form.elements.collection : form.elements.name).focus();
    }).catch(function (error) { say("Collections need the server: " + error.message); });
  }

  /* The lightbox: "+ Collection" for the photo shown; on a collection page also cover and remove. */
  function attachLightbox(lightbox) {
    lightbox.on("uiRegister", function () {
      lightbox.pswp.ui.registerElement({
        name: "collect", order: 11, isButton: false, appendTo: "root",
        onInit: function (element, pswp) {
          element.classList.add("pswp-collect", "writer-only");
          element.innerHTML = '<button type="button" data-collect="add">+ Collection</button>' +
            (collectionId !== null ? '<button type="button" data-collect="cover">Set as cover</button>' +
                                     '<button type="button" data-collect="remove">Remove from collection</button>' : "");
          element.addEventListener("click", function (event) {
            var button = event.target.closest("button[data-collect]");
            if (!button) return;
            var id = pswp.currSlide.data.id, what = button.getAttribute("data-collect");
            if (what === "add") { pswp.close(); chooseAndAdd([id]); }
            else if (what === "cover") setCover(id);
            else { pswp.close(); removePhotos([id]); }
          });
        }
      });
    });
  }

  /* ---- a collection page ---- */
  var grid = null;

  function rowsInOrder(ids) {
    var byId = new Map();
    (grid.allRowsList || grid.rows).forEach(function (row) { byId.set(row[0], row); });
    return ids.map(function (id) { return byId.get(id); }).filter(Boolean);
  }

  function showOrder(ids) {
    if (!grid) return;
    var rows = rowsInOrder(ids);
    grid.allRowsList = rows;
    if (grid.refilter) grid.refilter(rows.slice()); else grid.setRows(rows);
  }

  /* The live overlay: the collection's order (and members) as the sidecar has them now. */
  function refreshOrder() {
    if (G.isFile || collectionId === null) return Promise.resolve();
    return G.getJson("collections/" + collectionId).then(function (body) {
      tools.setAttribute("data-live-order", body.photos.join(","));
      showOrder(body.photos);
      return body.photos;
    }).catch(function () { return null; });
  }

  function setCover(id) {
    G.postJson("collections/" + collectionId + "/cover", { photo: id })
      .then(function () { say("Cover set"); }).catch(refused);
  }

  function removePhotos(ids) {
    G.postJson("collections/" + collectionId + "/photos", { remove: ids }).then(function (answer) {
      say("Removed " + answer.changed.length + " photo" + (answer.changed.length === 1 ? "" : "s"));
      var current = G.selection && G.selection.current();
      if (current) current.clear();
      return refreshOrder();
    }).catch(refused);
  }

  function move(id, before) {
    return G.postJson("collections/" + collectionId + "/order", { ids: [id], before: before })
      .then(refreshOrder).then(function (order) { if (order) paintReorder(order); }).catch(refused);
  }

  function paintReorder(order) {
    var list = tools.querySelector(".reorder-list");
    if (!list) return;
    var byId = new Map();
    (grid.allRowsList || grid.rows).forEach(function (row) { byId.set(row[0], row); });
    var focused = document.activeElement && document.activeElement.getAttribute("data-id");
    list.innerHTML = "";
    order.forEach(function (id, index) {
      var row = byId.get(id);
      if (!row) return;
      var item = document.createElement("li");
      item.className = "reorder-item";
      item.draggable = true;
      item.tabIndex = 0;
      item.setAttribute("data-id", id);
      item.setAttribute("aria-label", row[5] + ", position " + (index + 1) + " of " + order.length + " (Alt+arrows move it)");
      var src = G.pickThumb(row[1], row[7], 200);
      item.innerHTML = (src ? '<img alt="" src="' + G.escapeHtml(src) + '">' : "") + "<span>" + G.escapeHtml(row[5]) + "</span>" +
        '<span class="reorder-buttons"><button type="button" data-move="-1" aria-label="Move earlier">\u25c0</button>' +
        '<button type="button" data-move="1" aria-label="Move later">\u25b6</button>' +
        '<button type="button" data-cover aria-label="Make it the cover">Cover</button></span>';
      list.appendChild(item);
    });
    if (focused) { var again = list.querySelector('[data-id="' + focused + '"]'); if (again) again.focus(); }
  }

  function currentOrder() {
    return Array.prototype.map.call(tools.querySelectorAll(".reorder-item"), function (item) {
      return parseInt(item.getAttribute("data-id"), 10);
    });
  }

  /* Move photo `id` by `step` places (keyboard and the item's buttons). */
  function step(id, offset) {
    var order = currentOrder(), at = order.indexOf(id), to = at + offset;
    if (at < 0 || to < 0 || to >= order.length) return;
    var rest = order.filter(function (other) { return other !== id; });
    move(id, to < rest.length ? rest[to] : null);
  }

  function startReorder() {
    if (!signedIn()) { say("Sign in to reorder this collection."); return; }
    var list = document.createElement("ol");
    list.className = "reorder-list";
    list.setAttribute("aria-label", "Drag photos to reorder them");
    tools.appendChild(list);
    var done = document.createElement("button");
    done.type = "button";
    done.className = "reorder-done";
    done.textContent = "Done reordering";
    tools.appendChild(done);
    document.documentElement.classList.add("is-reordering");
    paintReorder((grid.allRowsList || grid.rows).map(function (row) { return row[0]; }));
    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      var item = event.target.closest(".reorder-item");
      dragged = item ? parseInt(item.getAttribute("data-id"), 10) : null;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(dragged));
    });
    list.addEventListener("dragover", function (event) { event.preventDefault(); });
    list.addEventListener("drop", function (event) {
      event.preventDefault();
      var item = event.target.closest(".reorder-item");
      var id = dragged !== null ? dragged : parseInt(event.dataTransfer.getData("text/plain"), 10);
      if (!id) return;
      var order = currentOrder(), target = item ? parseInt(item.getAttribute("data-id"), 10) : null;
      if (target === id) return;
      // dropped on a photo after it: it goes after that photo; before it: before it
      if (target !== null && order.indexOf(target) > order.indexOf(id)) {
        var after = order[order.indexOf(target) + 1];
        target = after === undefined ? null : after;
      }
      dragged = null;
      move(id, target);
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button"), item = event.target.closest(".reorder-item");
      if (!button || !item) return;
      var id = parseInt(item.getAttribute("data-id"), 10);
      if (button.hasAttribute("data-cover")) setCover(id); else step(id, parseInt(button.getAttribute("data-move"), 10));
    });
    list.addEventListener("keydown", function (event) {
      var item = event.target.closest(".reorder-item");
      if (!item || !event.altKey || (event.key !== "ArrowLeft" && event.key !== "ArrowRight" &&
                                      event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
      event.preventDefault();
      step(parseInt(item.getAttribute("data-id"), 10), event.key === "ArrowLeft" || event.key === "ArrowUp" ? -1 : 1);
    });
    done.addEventListener("click", function () {
      list.remove();
      done.remove();
      document.documentElement.classList.remove("is-reordering");
    });
  }

  function collectionPage() {
    tools.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = event.target.elements.name.value.trim();
      G.postJson("collections/" + collectionId + "/rename", { name: name }).then(function (answer) {
        document.querySelector("h1").textContent = answer.collection.name;
        say("Renamed; the page's address changes when the site republishes");
      }).catch(refused);
    });
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-tool]");
      if (!button) return;
      var what = button.getAttribute("data-tool");
      if (!signedIn()) { say("Sign in to change this collection."); return; }
      if (what === "reorder") startReorder();
      else if (what === "delete" && window.confirm("Delete this collection? Its photos stay in the library.")) {
        G.postJson("collections/" + collectionId + "/delete", {}).then(function () {
          say("Deleted");
          location.href = G.url(G.pageLink("collections/"));
        }).catch(refused);
      }
    });
    document.addEventListener("gallery:grid", function (event) {
      grid = event.detail;
      grid.allRowsList = grid.rows.slice();
      refreshOrder();
    });
  }

  /* ---- the collections index: create ---- */
  function indexPage(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!signedIn()) { say("Sign in to create collections."); return; }
      G.postJson("collections", { name: form.elements.name.value }).then(function (answer) {
        var note = form.querySelector(".collection-note");
        note.textContent = answer.created ? "Created \u201c" + answer.collection.name + "\u201d: add photos from any grid (Select), " +
          "the lightbox or a search; its page appears when the site republishes." : "\u201c" + answer.collection.name + "\u201d exists already.";
        form.reset();
      }).catch(refused);
    });
  }

  /* ---- a photo page: its collections, live, and "+ Collection" ---- */
  function photoPage(section) {
    var id = parseInt(section.getAttribute("data-photo-collections"), 10);
    var links = {};
    Array.prototype.forEach.call(section.querySelectorAll("a"), function (link) { links[link.textContent] = link.getAttribute("href"); });
    function refresh() {
      if (G.isFile) return;
      G.getJson("collections?photo=" + id).then(function (body) {
        section.querySelector("ul").innerHTML = body.collections.map(function (item) {
          var href = links[item.name];
          return "<li>" + (href ? '<a href="' + G.escapeHtml(href) + '">' + G.escapeHtml(item.name) + "</a>" : G.escapeHtml(item.name)) + "</li>";
        }).join("");
        section.hidden = !body.collections.length;
        section.setAttribute("data-live", "1");
      }).catch(function () {});
    }
    var add = document.querySelector(".add-to-collection[data-id]");
    if (add) add.addEventListener("click", function () { chooseAndAdd([id]); });
    document.addEventListener("gallery:collections", refresh);
    refresh();
  }

  if (G.selection) {
    G.selection.actions.push({ name: "add", label: "Add to collection\u2026", run: function (ids) { chooseAndAdd(ids); } });
    if (tools) G.selection.actions.push({ name: "remove", label: "Remove from collection", run: removePhotos });
  }
  if (tools) collectionPage();
  var createForm = document.querySelector("form.collection-create");
  if (createForm) indexPage(createForm);
  var listed = document.querySelector("section[data-photo-collections]");
  if (listed) photoPage(listed);

  G.collectionsUi = { attachLightbox: attachLightbox, chooseAndAdd: chooseAndAdd, refreshOrder: refreshOrder };
})();
