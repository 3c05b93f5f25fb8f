/* The service-status map (SPEC 7.4): each hydrant's status by colour AND shape AND its label in
   the marker's title and popup (in service: round, out of service: triangle, unknown: square),
   never colour alone. Popups are built from text nodes; the base map is maps.js's. */
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.CentralMaps) { return; }
  var SHAPES = { in_service: "hydrant-in", out_of_service: "hydrant-out", unknown: "hydrant-unknown" };

  function marker(point) {
    var shape = SHAPES[point.status] || SHAPES.unknown;
    var icon = L.divIcon({ className: "hydrant-marker " + shape, iconSize: [16, 16] });
    var m = L.marker([point.lat, point.lon], {
      icon: icon, title: point.code + " (" + point.status_label + ")", alt: point.code + " (" + point.status_label + ")",
      keyboard: true, zIndexOffset: point.status === "out_of_service" ? 1000 : 0
    });
    var box = document.createElement("div");
    var title = document.createElement("a");
    title.textContent = point.code;
    title.href = point.url;
    box.appendChild(title);
    box.appendChild(document.createElement("br"));
    box.appendChild(document.createTextNode([point.status_label, point.kind, point.address].filter(Boolean).join(" · ")));
    m.bindPopup(box);
    return m;
  }

  document.querySelectorAll("[data-hydrant-map]").forEach(function (element) {
    var map = window.CentralMaps.create(element);
    fetch(element.getAttribute("data-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (points) {
        element.setAttribute("data-count", String(points.length));
        if (!points.length) { return; }
        var group = L.featureGroup(points.map(marker)).addTo(map);
        map.fitBounds(group.getBounds(), { maxZoom: 17, padding: [20, 20] });
      });
  });
})();
