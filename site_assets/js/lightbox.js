/* The lightbox (PhotoSwipe 5, vendored UMD): arrows, Esc, Home/End, swipe, zoom to full
   resolution (the original when a browser can show it and a server serves it, else the largest
   preview), videos that play, face boxes with names (people.js), and deep links (#photo=<id>) kept
   in the address bar. */
(function () {
  "use strict";
  var G = window.Gallery;

  /* PhotoSwipe slide data for card row `row` (fields: see gallery_builder/site/cards.py). */
  function slideData(row, folders) {
    var id = row[0], key = row[1], width = row[2], height = row[3], flags = row[8];
    var folder = folders[row[6]];
    var original = G.url(folder[1] + (row[9] || encodeURIComponent(row[5])));
    var list = G.sources(key, row[7], width, height);
    var data = { id: id, alt: row[5], name: row[5], original: original, page: G.url(G.pageLink(G.photoPath(id))),
                 decisionBits: flags,
                 folderName: folder[2], folderUrl: G.url(G.pageLink(folder[0])) };
    if (!list.length) {
      data.html = '<div class="pswp-video"><p>' + G.escapeHtml(row[5]) + ": no preview yet</p></div>";
      return data;
    }
    var largest = list[list.length - 1];
    data.msrc = G.url(list[0].path);
    if (flags & G.FLAGS.video) {
      data.html = '<div class="pswp-video"><video controls playsinline preload="metadata" poster="' +
        G.escapeHtml(G.url(largest.path)) + '"' + (G.isFile ? "" : ' src="' + G.escapeHtml(original) + '"') + "></video></div>";
      return data;
    }
    data.src = G.url(largest.path);
    data.width = largest.width;
    data.height = Math.round(height * largest.width / width);
    data.srcset = list.map(function (item) { return G.url(item.path) + " " + item.width + "w"; }).join(", ");
    if ((flags & G.FLAGS.viewable) && !G.isFile && width > largest.width) {
      data.srcset += ", " + original + " " + width + "w";   // zoom to 100% loads the original
      data.width = width;
      data.height = height;
    }
    return data;
  }

  function addCaption(lightbox) {
    lightbox.on("uiRegister", function () {
      lightbox.pswp.ui.registerElement({
        name: "custom-caption", order: 9, isButton: false, appendTo: "root",
        onInit: function (element, pswp) {
          pswp.on("change", function () {
            var data = pswp.currSlide.data;
            element.innerHTML = "<strong>" + G.escapeHtml(data.name) + "</strong>" +
              (data.stack ? ' · <span class="pswp-stack">' + G.escapeHtml(data.stack) + "</span>" : "") +
              " · <a href=\"" + G.escapeHtml(data.folderUrl) +
              "\">" + G.escapeHtml(data.folderName) + "</a> · <a href=\"" + G.escapeHtml(data.page) + "\">Details</a>" +
              (G.isFile ? "" : " · <a href=\"" + G.escapeHtml(data.original) + "\" download>Original</a>");
          });
        }
      });
    });
  }

  function keepDeepLink(lightbox) {
    lightbox.on("change", function () {
      var data = lightbox.pswp.currSlide.data;
      if (data && data.id !== undefined) history.replaceState(null, "", "#photo=" + data.id);
    });
    lightbox.on("close", function () {
      history.replaceState(null, "", location.pathname + location.search);
    });
  }

  function pauseVideos(lightbox) {
    lightbox.on("change", function () {
      var videos = lightbox.pswp.element.querySelectorAll("video");
      for (var i = 0; i < videos.length; i++) videos[i].pause();
    });
  }

  /* <html data-lightbox="open"> once the opening animation ended (keys work from then on). */
  function markState(lightbox) {
    lightbox.on("openingAnimationEnd", function () { document.documentElement.setAttribute("data-lightbox", "open"); });
    lightbox.on("close", function () { document.documentElement.removeAttribute("data-lightbox"); });
  }

  function homeEnd(lightbox) {
    lightbox.on("keydown", function (event) {
      var key = event.originalEvent.key, pswp = lightbox.pswp;
      if (key === "Home" || key === "End") {
        event.preventDefault();
        pswp.goTo(key === "Home" ? 0 : pswp.getNumItems() - 1);
      }
    });
  }

  /* A lightbox over `rows`; `options.onIndex(index)` reports the slide shown (to scroll the grid);
     `options.stackOf` says the rows are one stack's photos (the caption says so, and a signed-in
     person gets "Make top" and "Remove from stack"; `options.grid` shows the edit at once). */
  function create(rows, folders, options) {
    var lightbox = new window.PhotoSwipeLightbox({
      dataSource: rows, pswpModule: window.PhotoSwipe, preload: [1, 2], bgOpacity: 0.96,
      showHideAnimationType: "fade", secondaryZoomLevel: 1, maxZoomLevel: 2, closeTitle: "Close (Esc)",
      arrowPrevTitle: "Previous (arrow left)", arrowNextTitle: "Next (arrow right)"
    });
    lightbox.addFilter("itemData", function (itemData, index) {
      var data = slideData(rows[index], folders);
      if (options && options.stackOf !== undefined) data.stack = "stack photo " + (index + 1) + " of " + rows.length;
      return data;
    });
    addCaption(lightbox);
    keepDeepLink(lightbox);
    pauseVideos(lightbox);
    homeEnd(lightbox);
    markState(lightbox);
    if (G.decisions) G.decisions.attachLightbox(lightbox);
    if (options && options.people && G.people) G.people.attachLightbox(lightbox, options.people);
    if (G.collectionsUi) G.collectionsUi.attachLightbox(lightbox);
    if (options && options.stackOf !== undefined && G.curation) G.curation.attachStackLightbox(lightbox, options);
    if (options && options.onIndex) {
      lightbox.on("change", function () { options.onIndex(lightbox.pswp.currIndex); });
    }
    lightbox.init();
    return lightbox;
  }

  function deepLinkedId() {
    var match = /^#photo=(\d+)$/.exec(location.hash);
    return match ? parseInt(match[1], 10) : null;
  }

  G.lightbox = { create: create, slideData: slideData, deepLinkedId: deepLinkedId, markState: markState };
})();
