/* Maps without a tile server: Leaflet over the vendored world-atlas countries (topojson-client),
   a small map on photo pages, and the map page with supercluster-clustered photo markers. */
(function () {
  "use strict";
  var G = window.Gallery;

  function palette() {
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    return dark ? { land: "#2b3038", line: "#48505c" } : { land: "#f3f0e8", line: "#bdb5a6" };
  }

  function worldLayer(topology) {
    var colors = palette();
    var shapes = window.topojson.feature(topology, topology.objects.countries);
    return window.L.geoJSON(shapes, { interactive: false,
      style: { color: colors.line, weight: 0.7, fillColor: colors.land, fillOpacity: 1 } });
  }

  function baseMap(element, options) {
    var map = window.L.map(element, Object.assign({ worldCopyJump: true, minZoom: 1, maxZoom: 18 }, options));
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Countries: Natural Earth (world-atlas)");
    return map;
  }

  function mini(element) {
    var lat = parseFloat(element.getAttribute("data-lat")), lon = parseFloat(element.getAttribute("data-lon"));
    var map = baseMap(element, { zoomControl: false, scrollWheelZoom: false }).setView([lat, lon], 4);
    if (window.GALLERY_WORLD_110M) worldLayer(window.GALLERY_WORLD_110M).addTo(map);
    window.L.circleMarker([lat, lon], { radius: 7, color: "#fff", weight: 2, fillColor: "#1a73e8", fillOpacity: 1 }).addTo(map);
    return map;
  }

  function clusterIcon(count) {
    var size = Math.round(30 + Math.min(30, Math.log(count) * 6));
    return window.L.divIcon({ html: '<div class="cluster" style="width:' + size + "px;height:" + size + 'px">' +
      (count >= 1000 ? Math.round(count / 100) / 10 + "k" : count) + "</div>", className: "", iconSize: [size, size] });
  }

  function photoMarker(point) {
    var id = point[0], thumb = G.pickThumb(point[3], point[4], 400);
    var icon = window.L.divIcon({ className: "", iconSize: [44, 44],
      html: '<div class="pin" style="width:44px;height:44px">' + (thumb ? '<img alt="" src="' + G.escapeHtml(thumb) + '">' : "") + "</div>" });
    var marker = window.L.marker([point[1], point[2]], { icon: icon });
    marker.bindPopup('<a class="map-popup" href="' + G.escapeHtml(G.url(G.pageLink(G.photoPath(id)))) + '">' +
      (thumb ? '<img alt="" src="' + G.escapeHtml(thumb) + '">' : "") + "Open photo</a>");
    return marker;
  }

  function showClusters(map, index, layer, points) {
    var bounds = map.getBounds(), west = bounds.getWest(), east = bounds.getEast();
    if (east - west >= 360) { west = -180; east = 180; }
    var clusters = index.getClusters([west, Math.max(-85, bounds.getSouth()), east, Math.min(85, bounds.getNorth())], map.getZoom());
    layer.clearLayers();
    clusters.forEach(function (feature) {
      var coords = feature.geometry.coordinates;
      if (!feature.properties.cluster) { layer.addLayer(photoMarker(points[feature.properties.i])); return; }
      var marker = window.L.marker([coords[1], coords[0]], { icon: clusterIcon(feature.properties.point_count) });
      marker.on("click", function () {
        map.setView([coords[1], coords[0]], Math.min(index.getClusterExpansionZoom(feature.properties.cluster_id), 18));
      });
      layer.addLayer(marker);
    });
  }

  function big(element) {
    var map = baseMap(element, {}).setView([25, 10], 2);
    G.map.current = map;
    var world = fetch(element.getAttribute("data-world"))
      .then(function (response) { return response.json(); })
      .catch(function () { return null; });            // the markers still work without the basemap
    Promise.all([world, G.loadData(element.getAttribute("data-points"))]).then(function (loaded) {
      // both first, then one view change without animation: layers added mid-animation drift
      if (loaded[0]) worldLayer(loaded[0]).addTo(map);
      var points = loaded[1].points, layer = window.L.layerGroup().addTo(map);
      var index = new window.Supercluster({ radius: 60, maxZoom: 17 });
      index.load(points.map(function (point, i) {
        return { type: "Feature", properties: { i: i }, geometry: { type: "Point", coordinates: [point[2], point[1]] } };
      }));
      if (points.length) {
        map.fitBounds(window.L.latLngBounds(points.map(function (p) { return [p[1], p[2]]; })).pad(0.2),
                      { maxZoom: 12, animate: false });
      }
      map.on("moveend", function () { showClusters(map, index, layer, points); });
      showClusters(map, index, layer, points);
      element.setAttribute("data-ready", points.length);
    }).catch(function (error) { element.setAttribute("data-error", error.message); });
    return map;
  }

  G.map = { mini: mini, big: big, worldLayer: worldLayer };
  var element = document.getElementById("map");
  if (element && window.L) G.map.big(element);
})();
