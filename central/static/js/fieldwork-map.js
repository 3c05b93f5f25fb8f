/* A round's route on a crew's phone: a line through the stops in route order and a numbered
   marker per stop; done stops are marked by a tick as well as a colour, and a legend says so.
   Texts come from data-text-* attributes (translated by the server). Base map and labels:
   maps.js (no tiles configured: the points alone, which also works offline). */
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.CentralMaps) { return; }
  var maps = window.CentralMaps;
  var FINISHED = { done: true, accepted: true };

  document.querySelectorAll("[data-route-map]").forEach(function (element) {
    var map = maps.create(element);
    var points = JSON.parse(element.getAttribute("data-points") || "[]");
    if (!points.length) { return; }
    var layer = L.featureGroup().addTo(map);
    L.polyline(points.map(function (p) { return [p.lat, p.lon]; }),
      { color: "#0b4f8a", weight: 4, opacity: 0.8 }).addTo(layer);
    points.forEach(function (p) {
      var finished = FINISHED[p.status] === true;
      var icon = L.divIcon({
        className: "fw-stop" + (finished ? " fw-stop-done" : ""),
        html: maps.text("span", finished ? "\u2713" : String(p.seq)),
        iconSize: [26, 26]
      });
      L.marker([p.lat, p.lon], { icon: icon, title: p.seq + ". " + p.label, keyboard: true })
        .addTo(layer)
        .bindPopup(maps.text("div", p.seq + ". " + p.label));
    });
    function say(name, fallback) { return element.getAttribute("data-text-" + name) || fallback; }
    maps.legend(map, "", [
      [maps.symbol("fw-stop", "1"), say("todo", "To do, in route order")],
      [maps.symbol("fw-stop fw-stop-done", "\u2713"), say("done", "Done")]
    ]);
    map.fitBounds(layer.getBounds(), { maxZoom: 17, padding: [24, 24] });
  });
})();
