/* The photo page: click the preview to zoom in the lightbox (to the original when a browser can
   show it and it is served, else to the largest preview), arrow keys go to the day neighbours,
   and the small offline map. */
(function () {
  "use strict";
  var G = window.Gallery;
  var article = document.querySelector("article.photo");
  if (!article) return;

  function slide(zoom) {
    var width = +article.getAttribute("data-width"), height = +article.getAttribute("data-height");
    var list = zoom.getAttribute("data-sources").split(",").map(function (item) {
      var parts = item.trim().split(" ");
      return { path: parts[0], width: +parts[1] };
    });
    var largest = list[list.length - 1];
    var data = { src: G.url(largest.path), width: largest.width, height: Math.round(height * largest.width / width),
                 alt: zoom.querySelector("img").alt,
                 srcset: list.map(function (item) { return G.url(item.path) + " " + item.width + "w"; }).join(", ") };
    if (article.getAttribute("data-viewable") === "1" && !G.isFile && width > largest.width) {
      data.srcset += ", " + G.url(article.getAttribute("data-original")) + " " + width + "w";
      data.width = width;
      data.height = height;
    }
    return data;
  }

  var zoom = article.querySelector("a.zoom");
  if (zoom && window.PhotoSwipeLightbox) {
    zoom.addEventListener("click", function (event) {
      event.preventDefault();
      var lightbox = new window.PhotoSwipeLightbox({ dataSource: [slide(zoom)], pswpModule: window.PhotoSwipe,
                                                     secondaryZoomLevel: 1, maxZoomLevel: 2, bgOpacity: 0.96 });
      if (G.lightbox) G.lightbox.markState(lightbox);
      lightbox.init();
      lightbox.loadAndOpen(0);
    });
  }

  document.addEventListener("keydown", function (event) {
    if (document.querySelector(".pswp") || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select, video")) return;
    var rel = event.key === "ArrowLeft" ? "prev" : event.key === "ArrowRight" ? "next" : null;
    var link = rel && document.querySelector('.neighbours a[rel="' + rel + '"]');
    if (link) location.href = link.href;
  });

  var mini = document.querySelector(".minimap");
  if (mini && G.map && window.L) G.map.mini(mini);
})();
