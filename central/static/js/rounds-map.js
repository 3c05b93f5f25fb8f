/* Round maps: each round a line through its stops in route order; a single round (data-points)
   numbers its stops, several rounds (JSON from data-url) show each round's start and end.
   Colours differ per round, and a legend names them; the start and end are told by a symbol
   (▶ start, ■ end) as well as by colour. Texts come from data-text-* attributes (translated by
   the server). Base map and labels: maps.js. */
(function () {
  "use strict";
  if (typeof L === "undefined" || !window.CentralMaps) { return; }
  var maps = window.CentralMaps;
  var COLOURS = ["#0b4f8a", "#a4161a", "#1d6b34", "#8a5200", "#5a2d82", "#006d77"];
  var LEGEND_ROUNDS = 12;  // more rounds than this: the legend names the first ones

  function words(element, name, fallback) {
    return element.getAttribute("data-text-" + name) || fallback;
  }

  function stop(latlng, label, title, className, colour) {
    var icon = L.divIcon({
      className: "route-stop " + (className || ""),
      html: maps.text("span", label),
      iconSize: [22, 22]
    });
    var marker = L.marker(latlng, { icon: icon, title: title, keyboard: true });
    marker.on("add", function () {
      var node = marker.getElement();
      if (node && colour) { node.style.borderColor = colour; }
    });
    return marker;
  }

  function drawRound(element, layer, round, colour) {
    var line = L.polyline(round.points, { color: colour, weight: 4, opacity: 0.8 }).addTo(layer);
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = round.url;
    link.textContent = "#" + round.id + " " + (round.member || "");
    box.appendChild(link);
    box.appendChild(document.createElement("br"));
    box.appendChild(document.createTextNode(
      [round.status_label, round.day_label, round.route_km_label].join(" · ")));
    line.bindPopup(box);
    var start = words(element, "start", "Start"), end = words(element, "end", "End");
    stop(round.points[0], "\u25B6", start + " #" + round.id, "route-start", colour).addTo(layer).bindPopup(box);
    if (round.points.length > 1) {
      stop(round.points[round.points.length - 1], "\u25A0", end + " #" + round.id, "route-end", colour)
        .addTo(layer).bindPopup(box);
    }
  }

  function drawSingle(element, layer, points) {
    L.polyline(points.map(function (p) { return [p.lat, p.lon]; }),
      { color: COLOURS[0], weight: 4, opacity: 0.8 }).addTo(layer);
    var last = points.length - 1;
    points.forEach(function (p, i) {
      var place = i === 0 ? " route-start" : i === last ? " route-end" : "";
      stop([p.lat, p.lon], String(p.seq), p.seq + ". " + p.label, place.trim())
        .addTo(layer).bindPopup(maps.text("div", p.seq + ". " + p.label));
    });
  }

  document.querySelectorAll("[data-route-map]").forEach(function (element) {
    var map = maps.create(element);
    var layer = L.featureGroup().addTo(map);
    var title = words(element, "legend", "");
    function fit() {
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { maxZoom: 17, padding: [20, 20] }); }
    }
    var inline = element.getAttribute("data-points");
    if (inline) {
      var points = JSON.parse(inline);
      if (points.length) {
        drawSingle(element, layer, points);
        maps.legend(map, title, [
          [maps.symbol("line", "", COLOURS[0]), words(element, "route", "Route")],
          [maps.symbol("route-start", "1"), words(element, "first", "First stop")],
          [maps.symbol("route-end", String(points[points.length - 1].seq)), words(element, "last", "Last stop")]
        ]);
      }
      fit();
    }
    var url = element.getAttribute("data-url");
    if (url) {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (rounds) {
          var entries = [];
          rounds.forEach(function (round, i) {
            if (!round.points.length) { return; }
            var colour = COLOURS[i % COLOURS.length];
            drawRound(element, layer, round, colour);
            if (entries.length < LEGEND_ROUNDS) {
              entries.push([maps.symbol("line", "", colour), "#" + round.id + " " + (round.member || "")]);
            }
          });
          if (entries.length) {
            var more = rounds.length - entries.length;
            if (more > 0) { entries.push([maps.symbol("more", "…"), words(element, "more", "+{n}").replace("{n}", String(more))]); }
            entries.push([maps.symbol("route-start", "\u25B6"), words(element, "start", "Start")]);
            entries.push([maps.symbol("route-end", "\u25A0"), words(element, "end", "End")]);
            maps.legend(map, title, entries);
          }
          fit();
        });
    }
  });
})();
