/* Round maps (Leaflet, served by the app): each round a line through its stops in route order,
   with numbered stops; a single round from data-points, several from a JSON data-url. Base tiles
   only where data-tiles is set. Colours differ per round, and order is also shown by numbers. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  var BELGIUM = [[49.5, 2.5], [51.5, 6.4]];
  var COLOURS = ["#0b4f8a", "#a4161a", "#1d6b34", "#8a5200", "#5a2d82", "#006d77"];

  // Popups and markers are built from text nodes, never from HTML strings: a stop's label is an
  // asset code or an address that a member typed, and must show as text.
  function text(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    return node;
  }

  function stop(latlng, number, label) {
    var icon = L.divIcon({ className: "route-stop", html: text("span", String(number)), iconSize: [22, 22] });
    return L.marker(latlng, { icon: icon, title: number + ". " + label, keyboard: true });
  }

  function drawRound(layer, round, colour) {
    var line = L.polyline(round.points, { color: colour, weight: 4, opacity: 0.8 }).addTo(layer);
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = round.url;
    link.textContent = "#" + round.id + " " + (round.member || "");
    box.appendChild(link);
    box.appendChild(document.createElement("br"));
    box.appendChild(document.createTextNode(
      [round.status_label, round.scheduled_date || round.due_date, round.route_km + " km"].join(" · ")));
    line.bindPopup(box);
    if (round.points.length) {
      stop(round.points[0], 1, "#" + round.id).addTo(layer).bindPopup(box);
    }
  }

  function drawSingle(layer, points) {
    L.polyline(points.map(function (p) { return [p.lat, p.lon]; }),
      { color: COLOURS[0], weight: 4, opacity: 0.8 }).addTo(layer);
    points.forEach(function (p) {
      stop([p.lat, p.lon], p.seq, p.label).addTo(layer).bindPopup(text("div", p.seq + ". " + p.label));
    });
  }

  document.querySelectorAll("[data-route-map]").forEach(function (element) {
    var map = L.map(element, { attributionControl: true });
    map.fitBounds(BELGIUM);
    var tiles = element.getAttribute("data-tiles");
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    var layer = L.featureGroup().addTo(map);
    function fit() {
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { maxZoom: 17, padding: [20, 20] }); }
    }
    var inline = element.getAttribute("data-points");
    if (inline) { drawSingle(layer, JSON.parse(inline)); fit(); }
    var url = element.getAttribute("data-url");
    if (url) {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (rounds) {
          rounds.forEach(function (round, i) {
            if (round.points.length) { drawRound(layer, round, COLOURS[i % COLOURS.length]); }
          });
          fit();
        });
    }
  });
})();
