// Live updates by polling small JSON endpoints: the queue and the phone simulator's conversation.
(function () {
  "use strict";
  var EVERY_MS = 4000;

  function poll(url, onData) {
    function tick() {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { onData(data); } })
        .catch(function () { /* offline for a moment: try again on the next tick */ });
    }
    setInterval(tick, EVERY_MS);
  }

  var table = document.querySelector("table.queue[data-poll]");
  if (table) {
    var rows = document.getElementById("queue-rows");
    var version = table.getAttribute("data-version");
    poll(table.getAttribute("data-poll") + window.location.search, function (data) {
      Object.keys(data.counts).forEach(function (kind) {
        var el = document.querySelector('[data-count="' + kind + '"]');
        if (el) { el.textContent = data.counts[kind]; }
      });
      var approvals = document.getElementById("approvals-count");
      if (approvals) { approvals.textContent = data.approvals; }
      document.getElementById("queue-updated").textContent =
        "(updated " + new Date().toLocaleTimeString() + ")";
      if (data.version === version) { return; }
      // Keep keyboard focus on the same button or link when the rows are replaced.
      var focused = document.activeElement && document.activeElement.id;
      rows.innerHTML = data.rows_html;
      version = data.version;
      if (focused) {
        var again = document.getElementById(focused);
        if (again) { again.focus(); }
      }
    });
  }

  var thread = document.getElementById("thread");
  if (thread && thread.getAttribute("data-poll")) {
    var count = thread.getAttribute("data-count");
    poll(thread.getAttribute("data-poll"), function (data) {
      if (String(data.count) === String(count)) { return; }
      thread.innerHTML = data.html;
      count = data.count;
    });
  }
})();
