// flask-wsqb: progressive enhancements. Every form still submits without this file;
// it adds Select All / None, instant search, the progress bar and the red-row messages.
(function () {
  "use strict";

  document.querySelectorAll("[data-wsqb-autosubmit]").forEach(function (box) {
    box.addEventListener("change", function () { box.form.submit(); });
  });

  var grid = document.getElementById("wsqb-grid");
  if (!grid) return;
  var rows = Array.prototype.slice.call(grid.querySelectorAll("tbody tr.wsqb-row"));
  var rowsById = {};
  rows.forEach(function (tr) { rowsById[tr.dataset.id] = tr; });
  var note = document.getElementById("wsqb-row-message");
  var counter = document.getElementById("wsqb-selected-count");

  function boxOf(tr) { return tr.querySelector('input[name="selected"]'); }

  function countSelected() {
    if (!counter) return;
    var n = rows.filter(function (tr) { return boxOf(tr).checked; }).length;
    counter.textContent = n ? n + " selected" : "";
  }

  document.querySelectorAll("[data-wsqb-select]").forEach(function (button) {
    button.addEventListener("click", function () {
      var on = button.dataset.wsqbSelect === "all";
      rows.forEach(function (tr) { if (!tr.hidden) boxOf(tr).checked = on; });
      countSelected();
    });
  });
  grid.addEventListener("change", countSelected);

  // Search filters the rows as you type; the form still searches on the server on Enter.
  var search = document.getElementById("wsqb-search");
  if (search) {
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      rows.forEach(function (tr) { tr.hidden = q !== "" && tr.dataset.search.indexOf(q) === -1; });
    });
  }

  // Clicking a row that carries a result shows it below the grid.
  grid.addEventListener("click", function (event) {
    var tr = event.target.closest("tr.wsqb-row");
    if (!tr || event.target.matches("input")) return;
    if (!tr.dataset.message) { note.hidden = true; return; }
    var name = tr.cells[1] ? tr.cells[1].textContent : "";
    note.textContent = name + ": " + tr.dataset.message;
    note.className = "wsqb-row-message " + (tr.dataset.status === "error" ? "wsqb-alert wsqb-alert-error" : "wsqb-alert wsqb-alert-success");
    note.hidden = false;
  });

  function paintRows(items) {
    items.forEach(function (item) {
      var tr = rowsById[item.key];
      if (!tr || item.status === "pending") return;
      tr.dataset.status = item.status;
      tr.dataset.message = item.message || "";
      tr.title = item.message || "";
      tr.classList.toggle("wsqb-row-error", item.status === "error");
      tr.classList.toggle("wsqb-row-ok", item.status === "ok");
    });
  }

  var run = document.getElementById("wsqb-run");
  if (!run) return;
  var bar = document.getElementById("wsqb-progress-bar");
  var status = document.getElementById("wsqb-run-status");

  function paint(report) {
    var percent = report.total ? Math.round(100 * report.done / report.total) : (report.finished ? 100 : 0);
    bar.style.width = percent + "%";
    bar.parentNode.setAttribute("aria-valuenow", percent);
    if (!report.finished) {
      status.textContent = "Working… " + report.done + " of " + report.total + " done.";
      return;
    }
    var span = document.createElement("span");
    if (report.state === "failed") {
      span.className = "wsqb-alert wsqb-alert-error";
      span.textContent = report.message || "The sync stopped.";
    } else if (report.errors) {
      span.className = "wsqb-alert wsqb-alert-error";
      span.textContent = "Some errors were encountered during the sync";
    } else {
      span.className = "wsqb-alert wsqb-alert-success";
      span.textContent = "Completed!";
    }
    status.textContent = "";
    status.appendChild(span);
    run.dataset.finished = "yes";
  }

  function poll() {
    fetch(run.dataset.runUrl + "?items=none", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (report) {
        if (!report.finished) { paint(report); setTimeout(poll, 1000); return; }
        return fetch(run.dataset.runUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.json(); })
          .then(function (full) { paintRows(full.items); paint(full); });
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (run.dataset.finished !== "yes") poll();
})();
