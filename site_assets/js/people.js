/* People on a grid's cards (Gallery.people): reads the grid payload's "people" (person ids, named by
   the shared table window.GALLERY_PEOPLE: [[id, name, url], ...]) and "faces" ([photo id, [[person
   index, x, y, w, h, face id], ...]], boxes in fractions of the image), answers
   who is on a card, paints name boxes over a lightbox slide, and relabels a face corrected live
   (people_edit.js). Classic script. */
(function () {
  "use strict";
  var G = window.Gallery;

  /* {names: [{id, name, url}], byPhoto: Map(photo id -> boxes)} or null when nobody is named. */
  var tables = [];                    // every table read on this page (relabel updates them all)

  /* Person id -> {name, url}: the one shared table (people/_people.json's script twin). */
  var known = new Map(((window.GALLERY_PEOPLE || {}).people || []).map(function (entry) {
    return [entry[0], { name: entry[1], url: entry[2] }];
  }));

  /* The payload's person ids with their names, by name; its boxes re-pointed to that order. */
  function read(payload) {
    if (!payload.people || !payload.people.length) return null;
    var names = payload.people.map(function (id) {
      var person = known.get(id) || { name: "Person " + id, url: "" };
      return { id: id, name: person.name, url: person.url };
    });
    var order = names.map(function (entry, index) { return index; }).sort(function (a, b) {
      var left = names[a].name.toLowerCase(), right = names[b].name.toLowerCase();
      return left < right ? -1 : left > right ? 1 : names[a].id - names[b].id;
    });
    var moved = [];
    order.forEach(function (old, index) { moved[old] = index; });
    names = order.map(function (old) { return names[old]; });
    var byPhoto = new Map();
    (payload.faces || []).forEach(function (entry) {
      byPhoto.set(entry[0], entry[1].map(function (box) { return [moved[box[0]]].concat(box.slice(1)); }));
    });
    var table = { names: names, byPhoto: byPhoto };
    tables.push(table);
    return table;
  }

  /* Face `faceId` now shows `person` ({id, name}), or nobody (null): its box leaves the tables. */
  function relabel(faceId, person) {
    tables.forEach(function (table) {
      table.byPhoto.forEach(function (boxes, photoId) {
        for (var i = 0; i < boxes.length; i++) {
          if (boxes[i][5] !== faceId) continue;
          if (!person) { boxes.splice(i, 1); i--; continue; }
          var index = table.names.findIndex(function (entry) { return entry.id === person.id; });
          if (index < 0) index = table.names.push({ id: person.id, name: person.name, url: "" }) - 1;
          else table.names[index].name = person.name;
          boxes[i][0] = index;
        }
        if (!boxes.length) table.byPhoto.delete(photoId);
      });
    });
  }

  /* The person ids on the card of photo `photoId`. */
  function idsOn(people, photoId) {
    var boxes = people.byPhoto.get(photoId) || [];
    return boxes.map(function (box) { return people.names[box[0]].id; });
  }

  /* Boxes with names over a lightbox slide whose image is `width` x `height` pixels. */
  function paint(people, slide, width, height) {
    var boxes = people.byPhoto.get(slide.data.id), container = slide.container;
    var layer = container.querySelector(".face-boxes");
    if (!boxes || !boxes.length) { if (layer) layer.remove(); return; }
    if (!layer) {
      layer = document.createElement("div");
      layer.className = "face-boxes";
      layer.innerHTML = boxes.map(function (box) {
        var person = people.names[box[0]];
        return '<span class="face-box" data-face="' + box[5] + '" data-person="' + person.id + '" style="left:' + box[1] * 100 + "%;top:" + box[2] * 100 + "%;width:" +
          box[3] * 100 + "%;height:" + box[4] * 100 + '%"><span class="face-name">' + G.escapeHtml(person.name) +
          "</span></span>";
      }).join("");
      container.appendChild(layer);
    }
    layer.style.cssText = "position:absolute;left:0;top:0;width:" + width + "px;height:" + height + "px";
  }

  /* Name boxes on the slides of `lightbox` (a PhotoSwipeLightbox) from `people` (see read). */
  function attachLightbox(lightbox, people) {
    lightbox.on("imageSizeChange", function (event) {
      if (event.slide && event.slide.data) paint(people, event.slide, event.width, event.height);
    });
  }

  G.people = { read: read, idsOn: idsOn, attachLightbox: attachLightbox, relabel: relabel };
})();
