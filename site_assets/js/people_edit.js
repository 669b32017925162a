/* People, written from the browser (window.Gallery.peopleEdit): name, ignore and restore an unknown
   cluster (its page and "Who is this?"), rename, hide and merge a person (their page), and correct one
   face (photo page and lightbox boxes: "Not <name>", "This is...", "Clear"). Shown only to a
   signed-in person (html[data-writing=signed-in], see decisions.js); each action is one writing
   request to the sidecar, the page shows its answer at once and the sidecar republishes the static
   pages within seconds. Classic script. */
(function () {
  "use strict";
  var G = window.Gallery;
  var people = [];                // [{id, name, hidden, ...}] from /api/people, for names -> ids
  var menu = null;                // the open face menu

  function api(path) { return G.url("api/" + path); }
  function signedIn() { return !!(G.decisions && G.decisions.session().signed_in); }
  function say(message) { if (G.decisions) G.decisions.say(message); }

  /* POST `body` to api/`path`; resolves to the answer, rejects with the sidecar's reason. */
  function post(path, body) {
    return fetch(api(path), {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) throw new Error(answer.error || "refused (" + response.status + ")");
        return answer;
      });
    });
  }

  /* The people the sidecar knows, into the shared <datalist id="people-names"> (name suggestions). */
  function loadPeople() {
    return fetch(api("people"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { people: [] }; })
      .then(function (body) {
        people = body.people || [];
        var list = document.getElementById("people-names");
        if (!list) {
          list = document.createElement("datalist");
          list.id = "people-names";
          document.body.appendChild(list);
        }
        list.innerHTML = people.map(function (person) {
          return '<option value="' + G.escapeHtml(person.name) + '"></option>';
        }).join("");
        liveNames();
      })
      .catch(function () {});
  }

  function personWithId(id) {
    for (var i = 0; i < people.length; i++) if (people[i].id === id) return people[i];
    return null;
  }

  /* Faces on this page whose person has been renamed since the build show the live name. */
  function liveNames() {
    var marks = document.querySelectorAll("[data-face][data-person]:not([data-person=''])");
    for (var i = 0; i < marks.length; i++) {
      var person = personWithId(Number(marks[i].getAttribute("data-person")));
      var label = marks[i].querySelector(".face-name, a");
      if (person && label && label.textContent !== person.name) label.textContent = person.name;
    }
  }

  function personNamed(name) {
    var wanted = name.trim().toLowerCase();
    for (var i = 0; i < people.length; i++) if (people[i].name.toLowerCase() === wanted) return people[i];
    return null;
  }

  function note(box, html) {
    var line = box.querySelector(".people-note");
    if (line) line.innerHTML = html;
  }

  function setTitle(name) {
    var heading = document.querySelector(".person-head h1"), crumb = document.querySelector(".crumbs > span");
    if (heading) {
      if (document.title.indexOf(heading.textContent) === 0) {
        document.title = name + document.title.slice(heading.textContent.length);
      }
      heading.textContent = name;
    }
    if (crumb) crumb.textContent = name;
  }

  function pressed(button, on, onText, offText) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? onText : offText;
  }

  /* ---- clusters: name, ignore / restore ---- */

  function nameCluster(box, name) {
    var id = box.getAttribute("data-cluster");
    return post("clusters/" + id + "/name", { name: name }).then(function (answer) {
      var person = answer.person;
      var item = box.closest(".who-item");
      if (item) {
        item.classList.add("is-named");
        var label = item.querySelector(".tile-label");
        if (label) label.textContent = person.name;
      } else {
        setTitle(person.name);
        var hint = document.querySelector(".writer-hint");
        if (hint) hint.remove();
      }
      box.querySelectorAll("form, button").forEach(function (control) { control.hidden = true; });
      note(box, "Named " + G.escapeHtml(person.name) + (answer.created ? " (a new person)" : "") +
        ': their page appears under <a href="' + G.url("people/") + '">People</a> within seconds.');
      loadPeople();
    });
  }

  function ignoreCluster(box, button) {
    var ignore = button.getAttribute("aria-pressed") !== "true";
    return post("clusters/" + box.getAttribute("data-cluster") + "/" + (ignore ? "ignore" : "restore"), {})
      .then(function (answer) {
        var ignored = answer.cluster ? answer.cluster.ignored : ignore;
        pressed(button, ignored, "Restore", "Ignore");
        var item = box.closest(".who-item");
        if (item) item.classList.toggle("is-ignored", ignored);
        note(box, ignored ? "Ignored: left out of People from the next publish." : "Restored.");
      });
  }

  /* ---- a person: rename, hide, merge ---- */

  function renamePerson(box, name) {
    return post("people/" + box.getAttribute("data-person") + "/rename", { name: name }).then(function (answer) {
      box.setAttribute("data-name", answer.person.name);
      setTitle(answer.person.name);
      note(box, answer.changes.length ? "Renamed: the pages follow within seconds." : "That is already the name.");
      loadPeople();
    });
  }

  function hidePerson(box, button) {
    var hide = button.getAttribute("aria-pressed") !== "true";
    return post("people/" + box.getAttribute("data-person") + "/hide", { hidden: hide }).then(function (answer) {
      pressed(button, answer.person.hidden, "Unhide", "Hide");
      note(box, answer.person.hidden ? "Hidden: left out of People and the filters from the next publish." : "Shown again.");
    });
  }

  function mergePerson(box, name) {
    var self = Number(box.getAttribute("data-person")), into = personNamed(name);
    if (!into) return Promise.reject(new Error("nobody is named " + name.trim() + " yet"));
    if (into.id === self) return Promise.reject(new Error("that is this person"));
    return post("people/" + into.id + "/merge", { people: [self] }).then(function (answer) {
      note(box, "Merged into " + G.escapeHtml(answer.person.name) + ": this page goes at the next publish.");
      box.querySelectorAll("form, button").forEach(function (control) { control.hidden = true; });
      loadPeople();
    });
  }

  var forms = { name: nameCluster, rename: renamePerson, merge: mergePerson };
  var buttons = { ignore: ignoreCluster, hide: hidePerson };

  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest(".people-edit form[data-action]");
    if (!form) return;
    event.preventDefault();
    var box = form.closest(".people-edit"), input = form.querySelector("input[name=name]");
    var submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    forms[form.getAttribute("data-action")](box, input.value).then(function () {
      if (form.getAttribute("data-action") !== "rename") input.value = "";
    }).catch(function (error) {
      note(box, "Not saved: " + G.escapeHtml(error.message));
    }).then(function () { submit.disabled = false; });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".people-edit > button[data-action]");
    if (!button) return;
    var box = button.closest(".people-edit");
    button.disabled = true;
    buttons[button.getAttribute("data-action")](box, button).catch(function (error) {
      note(box, "Not saved: " + G.escapeHtml(error.message));
    }).then(function () { button.disabled = false; });
  });

  /* The live state of this page's person or cluster (one request), for the buttons and the title. */
  function overlay() {
    var box = document.querySelector(".page-head .people-edit");
    if (!box) return;
    var person = box.getAttribute("data-person"), cluster = box.getAttribute("data-cluster");
    fetch(api(person ? "people/" + person : "clusters/" + cluster), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        if (body.person) {
          if (body.person.name !== box.getAttribute("data-name")) setTitle(body.person.name);
          pressed(box.querySelector("[data-action=hide]"), body.person.hidden, "Unhide", "Hide");
        } else if (body.cluster) {
          pressed(box.querySelector("[data-action=ignore]"), body.cluster.ignored, "Restore", "Ignore");
        }
      })
      .catch(function () {});
  }

  /* ---- one face: "Not <name>", "This is...", "Clear" ---- */

  /* Show face `faceId` as `person` ({id, name}) or as unknown (null) everywhere on the page. */
  function relabel(faceId, person) {
    var marks = document.querySelectorAll('[data-face="' + faceId + '"]');
    for (var i = 0; i < marks.length; i++) {
      var mark = marks[i], name = person ? person.name : "Unknown";
      mark.setAttribute("data-person", person ? String(person.id) : "");
      if (mark.classList.contains("face-box")) {
        mark.classList.toggle("face-box-plain", !person);
        var label = mark.querySelector(".face-name");
        if (label) label.textContent = name;
      } else {
        var shown = mark.querySelector("a, span");
        var text = document.createElement("span");
        text.textContent = name;
        if (shown) mark.replaceChild(text, shown);
        var edit = mark.querySelector(".face-edit");
        if (edit) edit.setAttribute("aria-label", "Correct the face of " + name);
      }
    }
    if (G.people && G.people.relabel) G.people.relabel(faceId, person);
  }

  function closeMenu() {
    if (menu) menu.remove();
    menu = null;
  }

  function openMenu(anchor) {
    closeMenu();
    var faceId = Number(anchor.getAttribute("data-face")), personId = Number(anchor.getAttribute("data-person") || 0);
    var label = anchor.querySelector(".face-name, a, span"), live = personWithId(personId);
    var name = live ? live.name : personId && label ? label.textContent : "";
    menu = document.createElement("div");
    menu.className = "face-menu";
    menu.setAttribute("role", "dialog");
    menu.setAttribute("aria-label", "Correct this face");
    menu.innerHTML = (personId ? '<button type="button" class="button" data-face-action="reject">Not ' + G.escapeHtml(name) +
      '</button><button type="button" class="button button-quiet" data-face-action="clear">Clear</button>' : "") +
      '<form><label>This is <input name="name" list="people-names" placeholder="a name" required maxlength="200" ' +
      'autocomplete="off"></label> <button type="submit" class="button">Save</button></form>' +
      '<span class="people-note" role="status"></span>';
    var rect = anchor.getBoundingClientRect();
    menu.style.left = Math.max(4, Math.min(rect.left, window.innerWidth - 300)) + "px";
    menu.style.top = Math.min(rect.bottom + 6, window.innerHeight - 140) + "px";
    (anchor.closest(".pswp") || document.body).appendChild(menu);

    function done(answerPerson) {
      relabel(faceId, answerPerson);
      closeMenu();
      say(answerPerson ? "This is " + answerPerson.name + "; the pages follow within seconds." :
        "Face cleared; the pages follow within seconds.");
    }
    function failed(error) { note(menu, "Not saved: " + G.escapeHtml(error.message)); }

    menu.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-face-action]");
      if (!button) return;
      var action = button.getAttribute("data-face-action");
      var write = action === "reject" ? post("faces/reject", { faces: [faceId], person: personId }) :
        post("faces/clear", { faces: [faceId] });
      write.then(function () { done(null); }).catch(failed);
    });
    menu.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      post("faces/assign", { faces: [faceId], name: menu.querySelector("input").value })
        .then(function (answer) { done(answer.person); loadPeople(); }).catch(failed);
    });
    menu.querySelector("input").focus({ preventScroll: true });
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    if (menu && menu.contains(event.target)) return;
    var anchor = event.target.closest(".face-edit") ? event.target.closest("[data-face]") :
      event.target.closest(".face-box[data-face]");
    if (anchor && signedIn()) {
      event.preventDefault();
      event.stopPropagation();
      openMenu(anchor);
      return;
    }
    closeMenu();
  }, true);
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") closeMenu(); });

  function start() {
    if (!signedIn()) return;
    loadPeople();
    overlay();
  }
  document.addEventListener("gallery:session", start);
  if (G.decisions && G.decisions.session().known) start();

  G.peopleEdit = { relabel: relabel, loadPeople: loadPeople };
})();
