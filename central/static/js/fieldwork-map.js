/* A round's route on a map (Leaflet, served by the app): a line through the stops in route
   order and a numbered marker per stop; done stops are marked by a tick as well as a colour.
   Base tiles only where data-tiles is set, so the page needs no internet. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  var BELGIUM = [[49.5, 2.5], [51.5, 6.4]];
  var FINISHED = { done: true, accepted: true };

  // Popups and markers are built from text nodes, never from HTML strings: a stop's label is an
  // asset code or an address that a member typed, and must show as text.
  function text(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    return node;
  }

  document.querySelectorAll("[data-route-map]").forEach(function (element) {
    var map = L.map(element, { attributionControl: true });
    map.fitBounds(BELGIUM);
    var tiles = element.getAttribute("data-tiles");
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    var points = JSON.parse(element.getAttribute("data-points") || "[]");
    if (!points.length) { return; }
    var layer = L.featureGroup().addTo(map);
    L.polyline(points.map(function (p) { return [p.lat, p.lon]; }),
      { color: "#0b4f8a", weight: 4, opacity: 0.8 }).addTo(layer);
    points.forEach(function (p) {
      var finished = FINISHED[p.status] === true;
      var icon = L.divIcon({
        className: "fw-stop" + (finished ? " fw-stop-done" : ""),
        html: text("span", finished ? "\u2713" : String(p.seq)),
        iconSize: [26, 26]
      });
      L.marker([p.lat, p.lon], { icon: icon, title: p.seq + ". " + p.label, keyboard: true })
        .addTo(layer)
        .bindPopup(text("div", p.seq + ". " + p.label));
    });
    map.fitBounds(layer.getBounds(), { maxZoom: 17, padding: [24, 24] });
  });
})();
