// The campaign timeline: Frappe Gantt (static/vendor/frappe-gantt, global `Gantt`) drawn from the
// <script type="application/json" id="gantt-data"> that the page renders with json_script. Read-only.
// Critical tasks carry custom_class "critical" (Frappe puts it on the bar's <g class="bar-wrapper">);
// critical links are marked here on the arrow <path data-from data-to> elements Frappe draws.
(function () {
  "use strict";

  function escapeHtml(text) {
    // Frappe sets a bar's label with innerHTML: task names must arrive as text, not markup.
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function initialMode(tasks) {
    var first = null, last = null;
    tasks.forEach(function (t) {
      if (first === null || t.start < first) first = t.start;
      if (last === null || t.end > last) last = t.end;
    });
    var days = (Date.parse(last) - Date.parse(first)) / 86400000;
    if (days <= 60) return "Day";
    if (days <= 240) return "Week";
    return "Month";
  }

  function markCriticalArrows(svg, criticalLinks) {
    if (!svg) return;
    svg.querySelectorAll(".arrow path").forEach(function (path) {
      var key = path.getAttribute("data-from") + ">" + path.getAttribute("data-to");
      path.classList.toggle("critical", Boolean(criticalLinks[key]));
    });
  }

  function pressed(buttons, mode) {
    buttons.forEach(function (b) {
      var on = b.getAttribute("data-gantt-view") === mode;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.classList.toggle("active", on);
    });
  }

  function start() {
    var target = document.getElementById("gantt");
    var source = document.getElementById("gantt-data");
    if (!target || !source || typeof window.Gantt !== "function") return;
    var rows = JSON.parse(source.textContent);
    if (!rows.length) return;

    var names = {};
    var criticalLinks = {};
    var tasks = rows.map(function (row) {
      names[row.id] = row;
      (row.critical_dependencies || []).forEach(function (pred) {
        criticalLinks[pred + ">" + row.id] = true;
      });
      return {
        id: row.id,
        name: escapeHtml(row.name),
        start: row.start,
        end: row.end,
        progress: row.progress,
        dependencies: row.dependencies,
        custom_class: row.custom_class || undefined
      };
    });

    var labels = target.dataset;
    var buttons = Array.prototype.slice.call(document.querySelectorAll("[data-gantt-view]"));
    var mode = initialMode(rows);
    var modes = window.Gantt.VIEW_MODE;
    var gantt = new window.Gantt(target, tasks, {
      // Narrower days and less padding than Frappe's defaults, so a month-long campaign fits on a laptop.
      view_modes: [
        Object.assign({}, modes.DAY, { column_width: 32, padding: "3d" }),
        Object.assign({}, modes.WEEK, { padding: "7d" }),
        Object.assign({}, modes.MONTH, { padding: "14d" })
      ],
      readonly: true,
      view_mode: mode,
      view_mode_select: false,
      today_button: false,
      scroll_to: "start",
      language: document.documentElement.lang || "en",
      bar_height: 26,
      padding: 16,
      infinite_padding: false,
      popup_on: "click",
      popup: function (ctx) {
        var row = names[ctx.task.id];
        ctx.get_title().textContent = row.name;
        ctx.get_subtitle().textContent = row.start + " – " + row.end;
        var details = labels.labelProgress + ": " + row.progress + " %";
        if (row.custom_class === "critical") details += " · " + labels.labelCritical;
        ctx.get_details().textContent = details;
      },
      on_view_change: function () {
        // `this` is the chart; arrows are redrawn on every view change.
        markCriticalArrows(this.$svg, criticalLinks);
      }
    });
    markCriticalArrows(gantt.$svg, criticalLinks);
    pressed(buttons, mode);

    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var next = button.getAttribute("data-gantt-view");
        gantt.change_view_mode(next);
        pressed(buttons, next);
      });
    });
    var today = document.querySelector("[data-gantt-today]");
    if (today) {
      today.addEventListener("click", function () { gantt.scroll_current(); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
