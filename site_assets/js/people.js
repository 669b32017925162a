/* People on a grid's cards (Gallery.people): reads the grid payload's "people" table and "faces"
   ([photo id, [[person index, x, y, w, h], ...]], boxes in fractions of the image), answers who is on
   a card, and paints name boxes over a lightbox slide. Classic script. */
(function () {
  "use strict";
  var G = window.Gallery;

  /* {names: [{id, name, url}], byPhoto: Map(photo id -> boxes)} or null when nobody is named. */
  function read(payload) {
    if (!payload.people || !payload.people.length) return null;
    var names = payload.people.map(function (entry) { return { id: entry[0], name: entry[1], url: entry[2] }; });
    var byPhoto = new Map();
    (payload.faces || []).forEach(function (entry) { byPhoto.set(entry[0], entry[1]); });
    return { names: names, byPhoto: byPhoto };
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
        return '<span class="face-box" style="left:' + box[1] * 100 + "%;top:" + box[2] * 100 + "%;width:" +
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

  G.people = { read: read, idsOn: idsOn, attachLightbox: attachLightbox };
})();
