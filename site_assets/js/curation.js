/* Stack edits on a stack page and in a stack's lightbox on any grid, and "reject the others" on the
   duplicates pages, through the sidecar's writing routes (signed-in people only). A stack edit shows
   at once in the page's grid;
   a reject shows on the copies' cards (Gallery.decisions); the static pages follow when the
   sidecar republishes. Classic script. */
(function () {
  "use strict";
  var G = window.Gallery;
  var panel = document.querySelector(".stack-edit[data-stack]");
  var grid = null;

  function say(message) { if (G.decisions) G.decisions.say(message); }
  function signedIn() { return G.decisions && G.decisions.session().signed_in; }

  function onSession(enable) {
    document.addEventListener("gallery:session", function () { enable(signedIn()); });
    enable(signedIn());
  }

  /* ---- a stack page ---- */
  function editStack(body) {
    if (!signedIn()) { say("Sign in to edit stacks."); return; }
    G.postJson("stacks/edit", body).then(function (answer) {
      var note = panel.querySelector(".stack-edit-note");
      if (!answer.members.length) {
        note.textContent = "Not a stack any more: its photos stand alone again.";
      } else if (grid) {
        var byId = new Map();
        (grid.stackAll || grid.rows).forEach(function (row) { byId.set(row[0], row); });
        var order = [answer.top].concat(answer.members.filter(function (id) { return id !== answer.top; }));
        var rows = order.map(function (id) { return byId.get(id); }).filter(Boolean);
        grid.stackAll = rows;
        if (grid.refilter) grid.refilter(rows.slice()); else grid.setRows(rows);
        note.textContent = answer.changes.length ? answer.changes[0] : "Already so.";
      }
      panel.setAttribute("data-top-id", answer.top || "");
      var current = G.selection && G.selection.current();
      if (current) current.clear();
    }).catch(function (error) { say("Not saved: " + error.message); });
  }

  if (panel) {
    var stackId = parseInt(panel.getAttribute("data-stack"), 10);
    onSession(function (on) { panel.hidden = !on; });
    panel.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-stack-action]");
      if (!button) return;
      var action = button.getAttribute("data-stack-action"), current = G.selection && G.selection.current();
      if (action === "not_a_stack") { editStack({ action: action, stack: stackId }); return; }
      var ids = current ? current.list() : [];
      if (ids.length !== 1) { say("Select one photo first (Select, then tap it)."); return; }
      editStack({ action: action, photo: ids[0] });
    });
    document.addEventListener("gallery:grid", function (event) { grid = event.detail; grid.stackAll = grid.rows.slice(); });
    if (G.selection) {
      G.selection.actions.push({ name: "set_top", label: "Make top", run: function (ids) {
        if (ids.length !== 1) { say("Select one photo to make it the top."); return; }
        editStack({ action: "set_top", photo: ids[0] });
      } });
      G.selection.actions.push({ name: "remove_from_stack", label: "Remove from stack", run: function (ids) {
        if (ids.length !== 1) { say("Select one photo to take it out."); return; }
        editStack({ action: "remove", photo: ids[0] });
      } });
    }
  }

  /* ---- a stack opened in a grid's lightbox: make top, remove from stack ---- */
  function attachStackLightbox(lightbox, options) {
    var cardId = options.stackOf;
    lightbox.on("uiRegister", function () {
      lightbox.pswp.ui.registerElement({
        name: "stack-edit", order: 12, isButton: false, appendTo: "root",
        onInit: function (element, pswp) {
          element.classList.add("pswp-stack-edit", "writer-only");
          element.innerHTML = '<button type="button" data-stack-action="set_top">Make top</button>' +
            '<button type="button" data-stack-action="remove">Remove from stack</button>' +
            '<span class="pswp-stack-note" role="status"></span>';
          var note = element.querySelector(".pswp-stack-note");
          pswp.on("change", function () { note.textContent = ""; });
          element.addEventListener("click", function (event) {
            var button = event.target.closest("button[data-stack-action]");
            if (!button) return;
            if (!signedIn()) { note.textContent = "Sign in to edit stacks."; return; }
            var body = { action: button.getAttribute("data-stack-action"), photo: pswp.currSlide.data.id };
            G.postJson("stacks/edit", body).then(function (answer) {
              note.textContent = answer.changes.length ? answer.changes[0] : "Already so.";
              if (options.grid) options.grid.stackEdited(cardId, answer);
              cardId = answer.top;
            }).catch(function (error) { note.textContent = "Not saved: " + error.message; });
          });
        }
      });
    });
  }
  G.curation = { attachStackLightbox: attachStackLightbox };

  /* ---- the duplicates pages ---- */
  var buttons = document.querySelectorAll("button.reject-others[data-group]");
  if (buttons.length) {
    onSession(function (on) { Array.prototype.forEach.call(buttons, function (button) { button.disabled = !on; }); });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("button.reject-others[data-group]");
      if (!button) return;
      var note = button.parentNode.querySelector(".reject-note");
      G.postJson("duplicates/reject-others", { groups: [parseInt(button.getAttribute("data-group"), 10)] })
        .then(function (answer) {
          if (G.decisions) {
            G.decisions.accept(answer.rejected.map(function (id) {
              return { id: id, flag: "reject", stars: G.decisions.decisionOf(id, null).stars };
            }));
          }
          note.textContent = answer.rejected.length + " other cop" + (answer.rejected.length === 1 ? "y" : "ies") +
            " flagged reject (" + answer.changed.length + " changed); no file was deleted.";
        })
        .catch(function (error) { note.textContent = "Not saved: " + error.message; });
    });
  }
})();
