// Live pages and quick loket actions. Server-rendered HTML stays the source of truth: on every
// "change" event each [data-live] region fetches its own fragment again.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var token = csrf ? csrf.getAttribute("content") : "";
  var refreshing = false;
  var again = false;

  function toast(message, ok) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.className = "toast show " + (ok ? "ok" : "bad");
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.className = "toast"; }, 4000);
  }

  function refresh() {
    if (refreshing) { again = true; return; }
    var regions = document.querySelectorAll("[data-live]");
    if (!regions.length) return;
    refreshing = true;
    var pending = regions.length;
    regions.forEach(function (region) {
      fetch(region.getAttribute("data-live"), { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) { if (html !== null) { region.innerHTML = html; bind(region); } })
        .catch(function () { /* next change event retries */ })
        .finally(function () {
          pending -= 1;
          if (pending === 0) {
            refreshing = false;
            document.body.setAttribute("data-refreshed", String(Date.now()));
            if (again) { again = false; refresh(); }
          }
        });
    });
  }

  function submitAjax(event) {
    event.preventDefault();
    var form = event.currentTarget;
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": token },
      credentials: "same-origin"
    })
      .then(function (r) {
        if (r.status === 401 || r.redirected) { window.location.reload(); return null; }
        return r.json();
      })
      .then(function (data) {
        // the next press is a new request (the same id is answered once, so a double click calls once)
        var id = form.querySelector('input[name="request_id"]');
        if (id) id.value = Date.now().toString(36) + Math.random().toString(36).slice(2);
        if (data) toast(data.message, data.ok);
        refresh();
      })
      .catch(function () { toast("Koneksi ke server terputus. Coba lagi.", false); })
      .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  }

  function confirmSubmit(event) {
    if (!window.confirm(event.currentTarget.getAttribute("data-confirm"))) event.preventDefault();
  }

  function filterDoctors(select) {
    var target = document.getElementById(select.getAttribute("data-filters"));
    if (!target) return;
    Array.prototype.forEach.call(target.options, function (option) {
      var poly = option.getAttribute("data-poly");
      var hide = poly !== null && poly !== select.value;
      option.hidden = hide;
      if (hide && option.selected) target.value = "";
    });
  }

  function bind(root) {
    root.querySelectorAll("form[data-ajax]").forEach(function (f) { f.addEventListener("submit", submitAjax); });
    root.querySelectorAll("form[data-confirm]").forEach(function (f) { f.addEventListener("submit", confirmSubmit); });
    root.querySelectorAll("select[data-filters]").forEach(function (s) {
      filterDoctors(s);
      s.addEventListener("change", function () { filterDoctors(s); });
    });
  }

  // F2 Panggil Berikutnya, F3 Skip, F4 Panggil Ulang: the loket works without the mouse
  var KEYS = { F2: "btn-call", F3: "btn-skip", F4: "btn-recall" };

  document.addEventListener("keydown", function (event) {
    var button = KEYS[event.key] && document.getElementById(KEYS[event.key]);
    if (button && !button.disabled) {
      event.preventDefault();
      button.click();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    bind(document);
    if (document.querySelector("[data-live]") && window.EventSource) {
      var seen = null;
      var source = new EventSource("/events");
      source.addEventListener("change", function (event) {
        if (seen === null) { seen = event.data; document.body.setAttribute("data-live-ready", "1"); return; }
        if (event.data !== seen) { seen = event.data; refresh(); }
      });
    }
  });
})();
