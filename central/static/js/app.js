/* Central: small progressive enhancements; every page works without this script. */
(function () {
  "use strict";
  // Focus the first field with an error, so keyboard and screen-reader users land on it.
  var invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) { invalid.focus(); }
  // Buttons marked data-confirm ask before a destructive action.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
  // A table wider than the screen scrolls in its .table-wrap: make that region reachable and
  // scrollable by keyboard (WCAG 2.1.1), named after the table's caption or heading.
  function labelOf(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) { return caption.textContent.trim(); }
    var node = wrap.previousElementSibling;
    while (node && !/^H[1-6]$/.test(node.tagName)) { node = node.previousElementSibling; }
    return node ? node.textContent.trim() : "";
  }
  function markScrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        var label = labelOf(wrap);
        if (label) { wrap.setAttribute("aria-label", label); }
        wrap.setAttribute("data-scroll-region", "");
      } else if (!scrolls && wrap.hasAttribute("data-scroll-region")) {
        ["tabindex", "role", "aria-label", "data-scroll-region"].forEach(function (name) {
          wrap.removeAttribute(name);
        });
      }
    });
  }
  markScrollableTables();
  window.addEventListener("resize", markScrollableTables);
  // "Open in map app" links use the geo: scheme (Android and most phones); iPhones and iPads do
  // not know it, so there the same place opens in Apple Maps, which iOS hands to the Maps app.
  var apple = /iPhone|iPad|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  if (apple) {
    document.querySelectorAll("a[href^='geo:']").forEach(function (link) {
      var match = /^geo:(-?[\d.]+),(-?[\d.]+)(?:\?q=[^(]*\((.*)\))?/.exec(link.getAttribute("href"));
      if (!match) { return; }
      var query = "ll=" + match[1] + "," + match[2];
      if (match[3]) { query += "&q=" + encodeURIComponent(match[3]); }
      link.setAttribute("href", "https://maps.apple.com/?" + query);
    });
  }
  // The sign-in page (where signing out lands too): the field-work pages kept on this device for
  // offline work are someone's own; forget them (see field-sw.js).
  if (document.querySelector("[data-forget-offline]") && window.caches) {
    window.caches.delete("central-field-pages-v1").catch(function () { /* nothing kept */ });
  }
})();
