/* Field work on a phone. A form marked data-api (a task's result, a round's labour) is sent to
   the JSON API with an Idempotency-Key made once per submission and the session's CSRF token
   (bound to the session, not to the hour). Without a connection the submission waits in this
   phone's storage and is sent, with the same key, when the connection returns: the server
   stores it once however often it arrives. Without JavaScript the forms post as usual.
   Texts come from data-text-* attributes, so that they are translated by the server. */
(function () {
  "use strict";
  var QUEUE = "central.fieldwork.outbox";
  var FAILED = "central.fieldwork.failed";
  var NOTICE = "central.fieldwork.notice";
  var flushing = false;
  var returnWhenSent = null;  // a form queued offline on this page goes on once it is sent

  function read(name) {
    try { return JSON.parse(window.localStorage.getItem(name) || "[]"); } catch (e) { return []; }
  }
  function write(name, list) {
    try { window.localStorage.setItem(name, JSON.stringify(list)); } catch (e) { /* storage full */ }
  }
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }
  function csrfToken() {
    var meta = document.querySelector("meta[name='csrf-token']");
    return meta ? meta.getAttribute("content") : "";
  }
  function statusBox() { return document.querySelector("[data-outbox-status]"); }
  function text(element, name, count) {
    var value = (element && element.getAttribute("data-text-" + name)) || "";
    return value.replace("{n}", String(count));
  }

  function send(entry) {
    return fetch(entry.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": entry.key,
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(entry.body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  // Keep what may succeed later (signed out, session token, server trouble); drop what the
  // server refused for good (bad input, absent, conflict, key reused).
  function keepForLater(outcome) {
    var code = outcome.data && outcome.data.error && outcome.data.error.code;
    return outcome.status === 401 || outcome.status >= 500 || code === "csrf";
  }
  function message(outcome) {
    var error = (outcome.data && outcome.data.error) || {};
    var parts = [error.message || ("HTTP " + outcome.status)];
    Object.keys(error.fields || {}).forEach(function (name) {
      (error.fields[name] || []).forEach(function (m) { if (parts.indexOf(m) < 0) { parts.push(m); } });
    });
    return parts;
  }

  function remove(key) {
    write(QUEUE, read(QUEUE).filter(function (entry) { return entry.key !== key; }));
  }

  function flush() {
    if (flushing || !navigator.onLine) { return Promise.resolve(0); }
    var queue = read(QUEUE);
    if (!queue.length) { return Promise.resolve(0); }
    flushing = true;
    var sent = 0;
    function next(index) {
      if (index >= queue.length) { return Promise.resolve(sent); }
      var entry = queue[index];
      return send(entry).then(function (outcome) {
        if (outcome.status >= 200 && outcome.status < 300) {
          remove(entry.key);
          sent += 1;
        } else if (!keepForLater(outcome)) {
          remove(entry.key);
          var failed = read(FAILED);
          failed.push({ label: entry.label, messages: message(outcome) });
          write(FAILED, failed);
        }
        return next(index + 1);
      });
    }
    return next(0).catch(function () { return sent; }).then(function (count) {
      flushing = false;
      return count;
    });
  }

  function showStatus() {
    var box = statusBox();
    if (!box) { return; }
    box.textContent = "";
    var queue = read(QUEUE);
    var failed = read(FAILED);
    var notice = window.sessionStorage.getItem(NOTICE);
    window.sessionStorage.removeItem(NOTICE);
    var lines = [];
    if (notice) { lines.push(notice); }
    if (queue.length) { lines.push(text(box, "pending", queue.length)); }
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      box.appendChild(p);
    });
    if (failed.length) {
      var heading = document.createElement("p");
      heading.textContent = text(box, "failed", failed.length);
      box.appendChild(heading);
      var list = document.createElement("ul");
      failed.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = (item.label ? item.label + ": " : "") + item.messages.join(" ");
        list.appendChild(li);
      });
      box.appendChild(list);
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "button";
      dismiss.textContent = text(box, "dismiss", 0);
      dismiss.addEventListener("click", function () { write(FAILED, []); showStatus(); });
      box.appendChild(dismiss);
    }
    box.classList.toggle("outbox-failed", failed.length > 0);
    box.hidden = !box.childNodes.length;
    document.querySelectorAll("[data-task-id] [data-pending-note]").forEach(function (note) {
      var id = note.closest("[data-task-id]").getAttribute("data-task-id");
      note.hidden = !queue.some(function (entry) { return String(entry.taskId) === id; });
    });
  }

  function collectResult(form) {
    var body = { checklist: {} };
    var chosen = form.querySelector("input[name='result']:checked");
    body.result = chosen ? chosen.value : "";
    body.notes = form.elements.notes ? form.elements.notes.value : "";
    body.defect_category = form.elements.defect_category ? form.elements.defect_category.value : "";
    body.out_of_service = !!(form.elements.out_of_service && form.elements.out_of_service.checked);
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.name.indexOf("check_") !== 0) { return; }
      var key = element.name.slice("check_".length);
      if (element.type === "radio") {
        if (element.checked) { body.checklist[key] = element.value === "pass"; }
      } else if (element.value.trim() !== "") {
        var number = Number(element.value.trim().replace(",", "."));
        body.checklist[key] = isNaN(number) ? element.value.trim() : number;
      }
    });
    return body;
  }

  function collectLabour(form) {
    var workers = form.elements.target_group_workers.value.trim();
    var body = {
      work_date: form.elements.work_date.value || null,
      hours: form.elements.hours.value.trim().replace(",", "."),
      target_group_hours: form.elements.target_group_hours.value.trim().replace(",", ".") || "0",
      target_group_workers: workers === "" ? 0 : (parseInt(workers, 10) || workers)
    };
    // The whole crew, when given; left out, the server takes the target-group workers.
    var crew = form.elements.workers ? form.elements.workers.value.trim() : "";
    if (crew !== "") { body.workers = parseInt(crew, 10) || crew; }
    return body;
  }

  function showErrors(form, lines) {
    var box = form.querySelector("[data-form-errors]");
    if (!box) { return; }
    box.textContent = "";
    var list = document.createElement("ul");
    lines.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    box.appendChild(list);
    box.hidden = false;
    box.focus();
  }

  function go(url) {
    var target = new URL(url, window.location.href);
    if (target.pathname === window.location.pathname && target.search === window.location.search) {
      // Only the fragment differs: assigning would not load the page again.
      window.location.hash = target.hash;
      window.location.reload();
    } else {
      window.location.assign(target.href);
    }
  }

  function leave(form) {
    go(form.getAttribute("data-return"));
  }

  // Offline the next page cannot load: stay, say that the entry is kept, go on once sent.
  function waitOffline(form) {
    var notice = form.querySelector("[data-form-notice]");
    if (notice) {
      notice.textContent = text(form, "queued", 0);
      notice.hidden = false;
    }
    returnWhenSent = form.getAttribute("data-return");
    showStatus();
  }

  document.querySelectorAll("form[data-api]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var kind = form.getAttribute("data-kind");
      var body = kind === "labour" ? collectLabour(form) : collectResult(form);
      if (kind === "result" && !body.result) {
        showErrors(form, [text(form, "choose-result", 0)]);
        return;
      }
      var entry = {
        key: newKey(),
        url: form.getAttribute("data-api"),
        body: body,
        label: form.getAttribute("data-label") || "",
        taskId: form.getAttribute("data-task-id") || null
      };
      var queue = read(QUEUE);
      queue.push(entry);
      write(QUEUE, queue);
      var button = form.querySelector("button[type='submit']");
      if (button) { button.disabled = true; }
      if (!navigator.onLine) {
        waitOffline(form);
        return;
      }
      send(entry).then(function (outcome) {
        if (outcome.status >= 200 && outcome.status < 300) {
          remove(entry.key);
          window.sessionStorage.setItem(NOTICE, text(form, "saved", 0));
          leave(form);
        } else if (keepForLater(outcome)) {
          window.sessionStorage.setItem(NOTICE, text(form, "kept", 0));
          leave(form);
        } else {
          remove(entry.key);
          if (button) { button.disabled = false; }
          showErrors(form, message(outcome));
        }
      }, function () {
        // No connection after all: the entry waits in the queue.
        waitOffline(form);
      });
    });
  });

  // A photo is too big to keep in the phone's storage: without a connection, say so instead of
  // letting the browser fail.
  document.querySelectorAll("form[data-needs-connection]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) { return; }
      event.preventDefault();
      var notice = form.querySelector("[data-form-notice]");
      if (notice) {
        notice.textContent = text(form, "offline", 0);
        notice.hidden = false;
      }
    });
  });

  function flushAndShow() {
    flush().then(function (sent) {
      if (sent && returnWhenSent && !read(QUEUE).length) {
        window.sessionStorage.setItem(NOTICE, text(statusBox(), "sent", sent));
        go(returnWhenSent);
      } else if (sent && document.querySelector("[data-reload-after-send]")) {
        window.sessionStorage.setItem(NOTICE, text(statusBox(), "sent", sent));
        window.location.reload();
      } else {
        showStatus();
      }
    });
  }

  window.addEventListener("online", flushAndShow);
  showStatus();
  flushAndShow();

  // The service worker keeps the pages a crew opens, and fetches ahead the ones marked
  // data-offline (a round's tasks, today's rounds), so that they open without a connection.
  function prefetch(worker) {
    // This page and its scripts and styles too: on the first visit they were loaded before the
    // worker took over.
    var urls = [window.location.href.split("#")[0]];
    document.querySelectorAll("a[data-offline], script[src], link[rel='stylesheet']").forEach(
      function (element) { urls.push(element.href || element.src); });
    // Once per page in ten minutes: reloading "my rounds" does not fetch everything again.
    var mark = "central.prefetched:" + window.location.pathname;
    var last = Number(window.sessionStorage.getItem(mark) || 0);
    if (worker && urls.length && navigator.onLine && Date.now() - last > 10 * 60 * 1000) {
      window.sessionStorage.setItem(mark, String(Date.now()));
      worker.postMessage({ type: "prefetch", urls: urls });
    } else if (worker) {
      document.documentElement.setAttribute("data-offline-ready", "0");
    }
  }
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "prefetched") {
        document.documentElement.setAttribute("data-offline-ready", String(event.data.count));
      }
    });
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      prefetch(registration.active);
    }).catch(function () { /* no service worker: pages need the connection */ });
  }
})();
