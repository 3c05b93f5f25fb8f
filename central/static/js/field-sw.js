/* Central's service worker, for crews in the street: the field-work pages they opened (and the
   task pages of a round they opened, fetched ahead by fieldwork.js) are kept in this phone's
   cache, so that without a connection they can still open the next task and record its result
   (the result then waits in the phone's outbox, see fieldwork.js). Pages always come from the
   network first; the cache is only the fallback. Signing out empties the cache. */
"use strict";

var PAGES = "central-field-pages-v1";
var ASSETS = "central-field-assets-v1";
var MAX_PREFETCH = 60;  // pages and files fetched ahead for one page at most
var AT_ONCE = 4;

function isFieldPage(url) {
  return url.pathname === "/field/rounds" || url.pathname.indexOf("/field/rounds/") === 0 ||
    url.pathname.indexOf("/field/tasks/") === 0 ||
    url.pathname.indexOf("/field/subcontracted") === 0;  // a subcontractor's crew (SPEC 7.3)
}
function isAsset(url) {
  return url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/vendor/") === 0;
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function keep(cacheName, request, response) {
  // Only a page that was really served (not a redirect to the sign-in page) is kept; the answer
  // waits until it is written, so that signing out cannot be overtaken by a late write.
  if (response && response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    return caches.open(cacheName).then(function (cache) {
      return cache.put(request, copy);
    }).then(function () { return response; }, function () { return response; });
  }
  return response;
}

function networkFirst(request) {
  return fetch(request).then(function (response) {
    return keep(PAGES, request, response);
  }, function () {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(request, { ignoreVary: true, ignoreSearch: false });
    }).then(function (cached) {
      return cached || Response.error();
    });
  });
}

function cacheThenNetwork(request) {
  return caches.open(ASSETS).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (cached) {
      var fresh = fetch(request).then(function (response) {
        return keep(ASSETS, request, response);
      });
      return cached || fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === "/logout" || (url.pathname === "/login" && request.method === "POST")) {
    event.waitUntil(caches.delete(PAGES));  // no one else's pages on a shared phone
    return;
  }
  if (request.method !== "GET") { return; }
  if (isFieldPage(url)) {
    event.respondWith(networkFirst(request));
  } else if (isAsset(url)) {
    event.respondWith(cacheThenNetwork(request));
  }
});

/* fieldwork.js asks for the pages a crew will need next (the tasks of the round on screen). */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "prefetch" && Array.isArray(data.urls)) {
    // A few at a time, so that a phone never floods the server.
    var urls = data.urls.slice(0, MAX_PREFETCH);
    event.waitUntil(Promise.all([caches.open(PAGES), caches.open(ASSETS)]).then(function (open) {
      function one(href) {
        var url = new URL(href, self.location.origin);
        if (url.origin !== self.location.origin) { return Promise.resolve(null); }
        var cache = isFieldPage(url) ? open[0] : isAsset(url) ? open[1] : null;
        if (!cache) { return Promise.resolve(null); }
        return fetch(url.href, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) { return cache.put(url.href, response); }
          return null;
        }, function () { return null; });
      }
      function batch(start) {
        if (start >= urls.length) { return Promise.resolve(); }
        return Promise.all(urls.slice(start, start + AT_ONCE).map(one)).then(function () {
          return batch(start + AT_ONCE);
        });
      }
      return batch(0);
    }).then(function () {
      if (event.source) { event.source.postMessage({ type: "prefetched", count: data.urls.length }); }
    }));
  }
  if (data.type === "forget") {
    event.waitUntil(caches.delete(PAGES));
  }
});
