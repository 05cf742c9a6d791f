/* The results page refreshes itself: every 30 s it asks /results/live for the page's body with
   If-None-Match, and on a 200 puts the new figures and bars in place (a 304 changes nothing).
   Without JavaScript the server-rendered page is complete; a reload shows the newest figures. */
(function () {
  "use strict";
  var root = document.getElementById("results");
  if (!root || !window.fetch || !window.DOMParser) { return; }
  var url = root.getAttribute("data-live");
  var etag = root.getAttribute("data-etag") || "";
  var every = Math.max(5, Number(root.getAttribute("data-every")) || 30) * 1000;
  var busy = false;

  function place(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").body;
    var open = Array.prototype.map.call(root.querySelectorAll("details[open][id]"), function (d) { return d.id; });
    var nodes = Array.prototype.map.call(fresh.childNodes, function (n) { return document.importNode(n, true); });
    root.replaceChildren.apply(root, nodes);
    open.forEach(function (id) {
      var d = document.getElementById(id);
      if (d) { d.open = true; }
    });
    var status = document.getElementById("results-status");
    var count = document.getElementById("statewide-reporting");
    if (status && count) { status.textContent = "Results updated: " + count.textContent; }  // read out by screen readers
  }

  function refresh() {
    if (busy || document.hidden) { return; }
    busy = true;
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (resp) {
        if (resp.status !== 200) { return null; }
        etag = resp.headers.get("ETag") || "";
        return resp.text();
      })
      .then(function (html) { if (html) { place(html); } })
      .catch(function () { /* offline for a moment: the next round tries again */ })
      .then(function () { busy = false; });
  }

  window.setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
})();
