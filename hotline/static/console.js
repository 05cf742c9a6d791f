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

// Admin figures: the queue's and each staff member's figures, refreshed like the queue.
(function () {
  "use strict";
  var box = document.getElementById("figures");
  if (!box || !box.getAttribute("data-poll")) { return; }
  var url = box.getAttribute("data-poll");
  setInterval(function () {
    if (document.hidden) { return; }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        document.getElementById("queue-figures-rows").innerHTML = data.queue_html;
        document.getElementById("staff-figures-rows").innerHTML = data.staff_html;
        document.getElementById("figures-updated").textContent =
          "(updated " + new Date().toLocaleTimeString() + ")";
      })
      .catch(function () { /* try again on the next tick */ });
  }, 4000);
})();

// Canned replies: choosing one inserts its text into the message box at the cursor, without a
// reload (without JavaScript the form's Insert button reloads the page with the text filled in).
(function () {
  "use strict";
  var form = document.querySelector("form[data-insert-into]");
  if (!form) { return; }
  var select = form.querySelector("select");
  var box = document.getElementById(form.getAttribute("data-insert-into"));
  if (!select || !box) { return; }
  function insert() {
    var option = select.options[select.selectedIndex];
    var text = option && option.getAttribute("data-text");
    if (!text) { return; }
    var start = box.selectionStart || 0, end = box.selectionEnd || 0;
    var before = box.value.slice(0, start), after = box.value.slice(end);
    var gap = before && !/\s$/.test(before) ? " " : "";
    box.value = (before + gap + text + after).slice(0, box.maxLength > 0 ? box.maxLength : undefined);
    var at = Math.min(box.value.length, (before + gap + text).length);
    box.focus();
    box.setSelectionRange(at, at);
    select.selectedIndex = 0;
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); insert(); });
  select.addEventListener("change", insert);
})();
