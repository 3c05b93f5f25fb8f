/* Central's one map module (Leaflet, served by the app), used by every map page: the base map
   (the tiles and attribution the page names in data-tiles / data-attribution, or none: the
   points alone, which also works offline), Flanders as the first view, a legend, and labels
   built from text nodes only (codes and addresses are typed by people and must show as text). */
window.CentralMaps = (function () {
  "use strict";
  var FLANDERS = [[50.68, 2.54], [51.51, 5.92]];

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) { node.className = className; }
    return node;
  }

  function escaped(value) {
    var box = document.createElement("div");
    box.textContent = value || "";
    return box.innerHTML;
  }

  function create(element) {
    var map = L.map(element, { attributionControl: true });
    map.fitBounds(FLANDERS);
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, {
        maxZoom: 19,
        attribution: escaped(element.getAttribute("data-attribution"))
      }).addTo(map);
    }
    return map;
  }

  /* A legend in the map's corner: entries of [symbol node, text]; `title` heads it. */
  function legend(map, title, entries) {
    if (!entries.length) { return null; }
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "map-legend");
      if (title) { box.appendChild(text("strong", title)); }
      var list = document.createElement("ul");
      entries.forEach(function (entry) {
        var item = document.createElement("li");
        item.appendChild(entry[0]);
        item.appendChild(document.createTextNode(" " + entry[1]));
        list.appendChild(item);
      });
      box.appendChild(list);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }

  /* A small symbol for the legend: the same class (and colour) as the markers on the map. */
  function symbol(className, label, colour) {
    var node = text("span", label || "", "map-legend-symbol " + className);
    node.setAttribute("aria-hidden", "true");
    if (colour) { node.style.borderColor = colour; if (className === "line") { node.style.background = colour; } }
    return node;
  }

  return { create: create, text: text, legend: legend, symbol: symbol, FLANDERS: FLANDERS };
})();
