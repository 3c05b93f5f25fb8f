/* Asset maps (Leaflet, served by the app): markers from data-points or a JSON data-url, status
   shown by colour AND shape (active: round, retired: square); data-pick lets the user click a
   place, which fills the lat/lon fields of the form. Base map and labels: maps.js. */
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.CentralMaps) { return; }
  var maps = window.CentralMaps;

  function marker(point) {
    var shape = point.status === "retired" ? "marker-retired" : "marker-active";
    var icon = L.divIcon({ className: "asset-marker " + shape, iconSize: [14, 14] });
    var m = L.marker([point.lat, point.lon], { icon: icon, title: point.code + " (" + (point.status_label || point.status) + ")", keyboard: true });
    var box = document.createElement("div");
    var title = point.url ? document.createElement("a") : document.createElement("strong");
    title.textContent = point.code;
    if (point.url) { title.href = point.url; }
    box.appendChild(title);
    var extra = [point.kind, point.address, point.status_label].filter(Boolean).join(" · ");
    if (extra) { box.appendChild(document.createElement("br")); box.appendChild(document.createTextNode(extra)); }
    m.bindPopup(box);
    return m;
  }

  function show(map, points) {
    if (!points.length) { return; }
    var group = L.featureGroup(points.map(marker)).addTo(map);
    map.fitBounds(group.getBounds(), { maxZoom: 17, padding: [20, 20] });
  }

  function pick(map, element) {
    var form = element.closest("form");
    if (!form) { return; }
    var lat = form.querySelector("input[name='lat']");
    var lon = form.querySelector("input[name='lon']");
    var chosen = null;
    function place(latlng) {
      if (chosen) { chosen.setLatLng(latlng); } else {
        chosen = L.marker(latlng, { icon: L.divIcon({ className: "asset-marker marker-picked", iconSize: [18, 18] }) }).addTo(map);
      }
    }
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lon.value = event.latlng.lng.toFixed(6);
      place(event.latlng);
    });
    if (lat && lon && lat.value && lon.value) { place([parseFloat(lat.value), parseFloat(lon.value)]); }
  }

  document.querySelectorAll("[data-map]").forEach(function (element) {
    var map = maps.create(element);
    if (element.hasAttribute("data-pick")) { pick(map, element); }
    var inline = element.getAttribute("data-points");
    if (inline) { show(map, JSON.parse(inline)); }
    var url = element.getAttribute("data-url");
    if (url) {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (points) { show(map, points); });
    }
  });
})();
