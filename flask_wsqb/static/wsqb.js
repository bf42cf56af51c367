// flask-wsqb: progressive enhancements. Every form still submits without this file;
// it adds Select All / None, instant search, the progress bar and the red-row messages.
(function () {
  "use strict";

  // -- the grid (Import and Export forms) ---------------------------------------------------
  var grid = document.getElementById("wsqb-grid");
  var rows = grid ? Array.prototype.slice.call(grid.querySelectorAll("tbody tr.wsqb-row")) : [];
  var rowsById = {};
  rows.forEach(function (tr) { rowsById[tr.dataset.id] = tr; });
  var note = document.getElementById("wsqb-row-message");
  var counter = document.getElementById("wsqb-selected-count");
  var matching = document.getElementById("wsqb-select-matching");
  var allMatching = document.getElementById("wsqb-all-matching");
  var search = document.getElementById("wsqb-search");

  function boxOf(tr) { return tr.querySelector('input[name="selected"]'); }

  // Rows ticked on other pages or before a server search (hidden inputs).
  function kept() { return Array.prototype.slice.call(document.querySelectorAll("input[data-wsqb-kept]")); }

  function tickedIds() {
    return rows.filter(function (tr) { return boxOf(tr).checked; }).map(function (tr) { return tr.dataset.id; })
      .concat(kept().map(function (input) { return input.value; }));
  }

  function choosingAll() { return allMatching && !allMatching.disabled; }

  function countSelected() {
    if (!counter) return;
    if (choosingAll()) {
      counter.textContent = "All " + Number(matching.dataset.total).toLocaleString() + " matching " +
        matching.dataset.noun + "s selected";
      return;
    }
    var n = tickedIds().length;
    counter.textContent = n ? n + " selected" : "";
  }

  // "Select all N matching": the form then sends the grid's filter (all_matching=1 and the
  // search and filters as hidden fields), and the server runs the grid's query again.
  function chooseAll(on) {
    if (!allMatching) return;
    allMatching.disabled = !on;
    if (matching) matching.hidden = true;
    countSelected();
  }

  function filtering() { return search && search.value.trim() !== (search.defaultValue || "").trim(); }

  document.querySelectorAll("[data-wsqb-select]").forEach(function (button) {
    button.addEventListener("click", function () {
      var on = button.dataset.wsqbSelect === "all";
      rows.forEach(function (tr) { if (!tr.hidden) boxOf(tr).checked = on; });
      if (!on) {
        kept().forEach(function (input) { input.remove(); });
        var keptNote = document.getElementById("wsqb-kept-note");
        if (keptNote) keptNote.hidden = true;
      }
      chooseAll(false);
      if (matching) matching.hidden = !on || filtering();
      countSelected();
    });
  });
  if (matching) matching.addEventListener("click", function () { chooseAll(true); });

  // Ticks survive a search, a filter, a sort and a page change: the next page is asked to keep them.
  function carryTicks(form) {
    if (!grid) return;
    tickedIds().forEach(function (id) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "selected";
      input.value = id;
      form.appendChild(input);
    });
  }

  document.querySelectorAll("[data-wsqb-autosubmit]").forEach(function (box) {
    box.addEventListener("change", function () { carryTicks(box.form); box.form.submit(); });
  });
  document.querySelectorAll("form.wsqb-search-form, form.wsqb-per-page").forEach(function (form) {
    form.addEventListener("submit", function () { carryTicks(form); });
  });
  document.querySelectorAll(".wsqb-pager a, a.wsqb-sort").forEach(function (link) {
    link.addEventListener("click", function () {
      if (!grid || !link.closest(".wsqb-grid-wrap, .wsqb-pager")) return;
      var url = new URL(link.href);
      tickedIds().forEach(function (id) { url.searchParams.append("selected", id); });
      link.href = url.toString();
    });
  });

  // Typing narrows the rows of this page at once; Enter searches every page on the server.
  if (search && grid) {
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      rows.forEach(function (tr) { tr.hidden = q !== "" && tr.dataset.search.indexOf(q) === -1; });
      if (matching && filtering()) matching.hidden = true;
    });
  }
  countSelected();

  function showMessage(tr) {
    if (!note) return;
    if (!tr.dataset.message) { note.hidden = true; return; }
    note.textContent = (tr.dataset.name || "") + ": " + tr.dataset.message;
    note.className = "wsqb-row-message wsqb-alert " +
      (tr.dataset.status === "error" ? "wsqb-alert-error" : "wsqb-alert-success");
    note.hidden = false;
    rows.forEach(function (other) { other.classList.toggle("wsqb-row-current", other === tr); });
  }

  if (grid) {
    grid.addEventListener("change", function (event) {
      if (event.target.name === "selected" && !event.target.checked) chooseAll(false);
      countSelected();
    });
    // Clicking a row that carries a result shows it below the grid (Enter does too).
    grid.addEventListener("click", function (event) {
      var tr = event.target.closest("tr.wsqb-row");
      if (tr && !event.target.closest("input, label, a")) showMessage(tr);  // a link opens the contact
    });
    grid.addEventListener("keydown", function (event) {
      var tr = event.target.closest("tr.wsqb-row");
      if (tr && event.target === tr && event.key === "Enter") showMessage(tr);
    });
  }

  function paintRows(items) {
    items.forEach(function (item) {
      var tr = rowsById[item.key];
      if (!tr || item.status === "pending") return;
      tr.dataset.status = item.status;
      tr.dataset.message = item.message || "";
      tr.title = item.message || "";
      tr.tabIndex = item.message ? 0 : -1;
      tr.classList.toggle("wsqb-row-error", item.status === "error");
      tr.classList.toggle("wsqb-row-ok", item.status === "ok");
      var linked = tr.querySelector(".wsqb-linked");  // a row done is now linked to its other side
      if (linked && item.status === "ok") linked.textContent = linked.dataset.linkedLabel;
    });
  }

  // -- the progress bar (any page that shows a run) -----------------------------------------
  var run = document.getElementById("wsqb-run");
  if (!run || run.dataset.finished === "yes") return;
  var bar = document.getElementById("wsqb-progress-bar");
  var status = document.getElementById("wsqb-run-status");

  function alertSpan(kind, text) {
    var span = document.createElement("span");
    span.className = "wsqb-alert wsqb-alert-" + kind;
    span.textContent = text;
    return span;
  }

  function paint(report) {
    var percent = report.total ? Math.round(100 * report.done / report.total) : (report.finished ? 100 : 0);
    bar.style.width = percent + "%";
    bar.parentNode.setAttribute("aria-valuenow", percent);
    var retry = document.getElementById("wsqb-retry");
    if (retry) retry.hidden = !report.retryable;
    if (report.stalled) {
      status.textContent = "";
      status.appendChild(alertSpan("warning", "No worker has reported on this run for a while (" + report.done +
        " of " + report.total + " done). If no worker is running, start one (flask wsqb worker); then click Retry."));
      return;
    }
    if (!report.finished) {
      status.textContent = report.total ? "Working… " + report.done + " of " + report.total + " done." : "Working…";
      return;
    }
    status.textContent = "";
    if (report.state === "failed") {
      status.appendChild(alertSpan("error", report.message || "The sync stopped."));
    } else if (report.errors) {
      status.appendChild(alertSpan("error", "Some errors were encountered during the sync"));
      var failed = document.createElement("span");
      failed.className = "wsqb-run-failed";
      failed.textContent = report.errors + " of " + report.total + " failed";
      status.appendChild(document.createTextNode(" "));
      status.appendChild(failed);
    } else {
      status.appendChild(alertSpan("success", "Completed!"));
      if (report.message) status.appendChild(document.createTextNode(" " + report.message));
    }
    var summary = document.getElementById("wsqb-run-summary");
    if (summary) {
      summary.textContent = report.summary || "";
      summary.hidden = !report.summary;
    }
    // Said once, politely: the run is over, and how it went.
    var announce = document.getElementById("wsqb-run-announce");
    if (announce) announce.textContent = status.textContent + (report.summary ? ". " + report.summary + "." : "");
    run.dataset.finished = "yes";
  }

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); });
  }

  var delay = 250;
  function poll() {
    fetchJson(run.dataset.runUrl + "?items=none")
      .then(function (report) {
        if (!report.finished) {
          paint(report);
          delay = Math.min(delay * 1.5, 1500);
          setTimeout(poll, delay);
          return;
        }
        return fetchJson(run.dataset.runUrl).then(function (full) {
          paintRows(full.items);
          paint(full);
          // The page shows what the run changed (a refreshed list, rows now linked): load it again.
          if (run.dataset.reloadWhenDone === "yes") window.location.reload();
        });
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
