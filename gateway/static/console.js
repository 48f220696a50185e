// The operator console's only script (its CSP allows nothing else; no CDN, no framework).
// 1. Forms with data-confirm ask before they submit (discarding a job cannot be undone).
// 2. The intake monitor refreshes its panel in place: it fetches the server-rendered
//    fragment every few seconds and swaps it in.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  var panel = document.getElementById("monitor-panel");
  if (!panel) { return; }
  var status = document.getElementById("monitor-status");
  var every = Math.max(2, parseInt(panel.getAttribute("data-every"), 10) || 5) * 1000;
  var source = panel.getAttribute("data-src");
  var busy = false;

  function typing() {
    // Never replace a form an operator is filling in.
    var active = document.activeElement;
    return active && panel.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function say(text, stale) {
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("alert", stale);
  }

  function refresh() {
    if (busy || document.hidden || typing()) { return; }
    busy = true;
    fetch(source, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        panel.innerHTML = html;
        var inner = panel.querySelector("[data-updated]");
        if (inner) { say(status.getAttribute("data-label") + " " + inner.getAttribute("data-updated"), false); }
      })
      .catch(function () { say(status.getAttribute("data-stale"), true); })
      .then(function () { busy = false; });
  }

  window.setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
}());
