// The campaign timeline (SPEC 10.2): Frappe Gantt (static/vendor/frappe-gantt, global `Gantt`) drawn from the
// <script type="application/json"> blocks "gantt-data" (rows) and "gantt-config" that the page renders with
// json_script. Rows come grouped: a phase row (kind "phase", its dates and milestones) and then its tasks (kind
// "task", at their *scheduled* dates, with the planned dates in planned_start/planned_end).
//
// On top of Frappe's bars this draws: the planned dates as a faint baseline under each task, milestones as
// diamonds on their phase's row, today's line in the campaign's time zone (config.today), red critical links,
// and a task list beside the chart whose phases fold their tasks away. Team writers (config.can_edit) drag a bar
// to move a task or its ends to change its dates: the new dates go to config.move_url (the task service decides);
// a refusal puts the bar back and says why, a success redraws the chart (the critical path recolours), the
// health badge and the schedule table from the server's answer.
(function () {
  "use strict";

  var DAY = 86400000;
  var SVG = "http://www.w3.org/2000/svg";

  function escapeHtml(text) {
    // Frappe sets a bar's label with innerHTML: task names must arrive as text, not markup.
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Dates are days: parsed at local midnight, as Frappe does, and written back from local components.
  function parseDay(iso) {
    var p = iso.split("-");
    return new Date(Number(p[0]), Number(p[1]) - 1, Number(p[2]));
  }
  function isoDay(date) {
    var m = String(date.getMonth() + 1).padStart(2, "0");
    var d = String(date.getDate()).padStart(2, "0");
    return date.getFullYear() + "-" + m + "-" + d;
  }
  function daysBetween(a, b) {
    return Math.round((parseDay(b) - parseDay(a)) / DAY);
  }

  function svgElement(name, attrs, parent) {
    var el = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (key) { el.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(el); }
    return el;
  }

  function initialMode(rows) {
    var first = null, last = null;
    rows.forEach(function (t) {
      if (first === null || t.start < first) first = t.start;
      if (last === null || t.end > last) last = t.end;
    });
    var days = daysBetween(first, last);
    if (days <= 60) return "Day";
    if (days <= 240) return "Week";
    return "Month";
  }

  function pressed(buttons, mode) {
    buttons.forEach(function (b) {
      var on = b.getAttribute("data-gantt-view") === mode;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.classList.toggle("active", on);
    });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function say(text) {
    if (window.ConcordMessages) { window.ConcordMessages.say(text); }
  }

  function start() {
    var target = document.getElementById("gantt");
    var source = document.getElementById("gantt-data");
    var configSource = document.getElementById("gantt-config");
    if (!target || !source || !configSource || typeof window.Gantt !== "function") return;
    var rows = JSON.parse(source.textContent);
    var config = JSON.parse(configSource.textContent);
    if (!rows.length) return;

    var labels = target.dataset;
    var list = document.getElementById("gantt-list");
    var status = document.getElementById("gantt-status");
    var collapsed = {};
    var byId = {};
    var criticalLinks = {};
    var pending = null;
    var refocus = null;  // the list row to focus again after a keyboard move redraws the list
    var busy = false;

    function index(data) {
      byId = {};
      criticalLinks = {};
      data.forEach(function (row) {
        byId[row.id] = row;
        (row.critical_dependencies || []).forEach(function (pred) { criticalLinks[pred + ">" + row.id] = true; });
      });
    }

    function visible() {
      return rows.filter(function (row) { return row.kind === "phase" || !collapsed[row.phase]; });
    }

    function frappeTasks() {
      var shown = visible();
      var ids = {};
      shown.forEach(function (row) { ids[row.id] = true; });
      return shown.map(function (row) {
        return {
          id: row.id,
          name: escapeHtml(row.name),
          start: row.start,
          end: row.end,
          progress: row.progress,
          // Only links between rows on the chart (a folded phase hides its tasks' arrows too).
          dependencies: (row.dependencies || "").split(", ").filter(function (d) { return ids[d]; }).join(", "),
          custom_class: [row.custom_class, row.late ? "late" : ""].filter(Boolean).join(" ") || undefined
        };
      });
    }

    // --- Drawing on top of Frappe's bars ------------------------------------------------------------------------

    function pixelsPerDay() {
      var best = null;
      chart.bars.forEach(function (bar) {
        var row = byId[bar.task.id];
        if (best === null && row) {
          best = bar.$bar.getWidth() / (daysBetween(row.start, row.end) + 1);
        }
      });
      return best || 1;
    }

    function xOf(day, ppd) {
      var ref = chart.bars[0];
      return ref.$bar.getX() + daysBetween(byId[ref.task.id].start, day) * ppd;
    }

    function markCriticalArrows() {
      chart.$svg.querySelectorAll(".arrow path").forEach(function (path) {
        var key = path.getAttribute("data-from") + ">" + path.getAttribute("data-to");
        path.classList.toggle("critical", Boolean(criticalLinks[key]));
      });
    }

    function decorate() {
      var svg = chart.$svg;
      markCriticalArrows();
      svg.querySelectorAll(".concord-deco").forEach(function (el) { el.remove(); });
      var ppd = pixelsPerDay();
      chart.bars.forEach(function (bar) {
        var row = byId[bar.task.id];
        if (!row) return;
        var x = bar.$bar.getX(), y = bar.$bar.getY(), h = bar.$bar.getHeight();
        if (row.kind === "task") {
          var base = svgElement("rect", {
            class: "concord-deco baseline",
            x: x + daysBetween(row.start, row.planned_start) * ppd,
            y: y + h + 2,
            width: Math.max((daysBetween(row.planned_start, row.planned_end) + 1) * ppd, 2),
            height: 4,
            rx: 1
          });
          var title = svgElement("title", {}, base);
          title.textContent = labels.labelPlanned + ": " + row.planned_start + " – " + row.planned_end;
          bar.group.insertBefore(base, bar.group.firstChild);
          bar.group.setAttribute("data-start", row.start);
          bar.group.setAttribute("data-planned-start", row.planned_start);
        } else {
          (row.milestones || []).forEach(function (m) {
            var cx = x + (daysBetween(row.start, m.date) + 0.5) * ppd, cy = y + h / 2, r = Math.min(h / 2, 9);
            var diamond = svgElement("polygon", {
              class: "concord-deco milestone-diamond" + (m.done ? " done" : ""),
              points: [cx, cy - r, cx + r, cy, cx, cy + r, cx - r, cy].join(" "),
              "data-date": m.date
            }, bar.group);
            svgElement("title", {}, diamond).textContent = labels.labelMilestone + ": " + m.name + " (" + m.date + ")";
          });
        }
      });
      if (config.today && chart.bars.length) {
        var tx = xOf(config.today, ppd) + ppd / 2;
        var line = svgElement("line", {
          class: "concord-deco today-line", x1: tx, x2: tx, y1: 0, y2: svg.getAttribute("height") || svg.getBBox().height,
          "data-date": config.today
        }, svg);
        svgElement("title", {}, line).textContent = labels.labelToday + ": " + config.today;
      }
      drawList();
    }

    // --- The task list beside the chart, row for row ---------------------------------------------------------------

    function drawList() {
      if (!list) return;
      list.replaceChildren();
      var top = list.getBoundingClientRect().top;
      var rowHeight = chart.options.bar_height + chart.options.padding;
      chart.bars.forEach(function (bar) {
        var row = byId[bar.task.id];
        if (!row) return;
        var item = document.createElement("div");
        item.className = "gantt-list-row gantt-list-" + row.kind + (row.custom_class === "critical" ? " critical" : "");
        item.style.top = (bar.$bar.getBoundingClientRect().top - top - chart.options.padding / 2) + "px";
        item.style.height = rowHeight + "px";
        item.setAttribute("data-row", row.id);
        if (row.kind === "phase") {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "btn btn-link btn-sm gantt-fold";
          var open = !collapsed[row.id];
          button.setAttribute("aria-expanded", open ? "true" : "false");
          button.setAttribute("aria-label", (open ? list.dataset.labelCollapse : list.dataset.labelExpand).replace("{phase}", row.name));
          button.textContent = (open ? "▾ " : "▸ ") + row.name;
          button.addEventListener("click", function () {
            collapsed[row.id] = !collapsed[row.id];
            redraw();
            var again = list.querySelector('[data-row="' + row.id + '"] button');
            if (again) again.focus();
          });
          item.appendChild(button);
        } else {
          item.textContent = row.name;
          item.title = row.name;
          if (config.can_edit) {
            // The keyboard's way to move a bar (WCAG 2.1.1): focus the task in the list, then ← / → move it a day,
            // Shift+← / → change its due date; the same request as a drag.
            item.tabIndex = 0;
            item.setAttribute("role", "button");
            item.setAttribute("aria-keyshortcuts", "ArrowLeft ArrowRight Shift+ArrowLeft Shift+ArrowRight");
            item.setAttribute("aria-label", (list.dataset.labelMove || "{task}").replace("{task}", row.name)
              .replace("{start}", row.start).replace("{end}", row.end));
            item.addEventListener("keydown", function (event) {
              if (busy || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
              event.preventDefault();
              var step = event.key === "ArrowRight" ? 1 : -1;
              var shift = function (iso, days) { var d = parseDay(iso); d.setDate(d.getDate() + days); return isoDay(d); };
              var start = event.shiftKey ? row.start : shift(row.start, step);
              var end = shift(row.end, step);
              if (end < start) return;
              refocus = row.id;
              send({ id: row.id, start: start, end: end });
            });
          }
        }
        list.appendChild(item);
      });
      list.style.height = chart.$container.getBoundingClientRect().height + "px";
    }

    // --- Moving bars ---------------------------------------------------------------------------------------------

    function redraw() {
      chart.refresh(frappeTasks());
      decorate();
      if (refocus && list) {
        var again = list.querySelector('[data-row="' + refocus + '"]');
        refocus = null;
        if (again) again.focus();
      }
    }

    function send(move) {
      var row = byId[move.id];
      if (!row || row.kind !== "task") { redraw(); return; }
      busy = true;
      var body = new URLSearchParams({ start_date: move.start, due_date: move.end });
      fetch(config.move_url.replace("/0/move/", "/" + move.id.slice(1) + "/move/"), {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString(),
        credentials: "same-origin"
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        return (type.indexOf("application/json") === 0 ? response.json() : Promise.resolve({}))
          .then(function (answer) { return { ok: response.ok, answer: answer }; });
      }).then(function (result) {
        busy = false;
        if (!result.ok) {
          say(result.answer.message || document.body.dataset.msgFailed);
          redraw();  // the bar goes back to where the schedule has it
          return;
        }
        rows = result.answer.data;
        index(rows);
        redraw();
        var badge = document.querySelector(".campaign-health");
        if (badge && result.answer.badge) { badge.outerHTML = result.answer.badge; }
        var schedule = document.getElementById("gantt-schedule");
        if (schedule && result.answer.schedule) { schedule.outerHTML = result.answer.schedule; }
        if (status) { status.textContent = result.answer.message; }
      }).catch(function () {
        busy = false;
        say(document.body.dataset.msgOffline);
        redraw();
      });
    }

    // Frappe reports a changed bar while it is dragged; the move is sent once, when the mouse is let go.
    function dropped() {
      if (!pending || busy) return;
      var move = pending;
      pending = null;
      send(move);
    }
    document.addEventListener("mouseup", function () { window.setTimeout(dropped, 0); });

    index(rows);
    var buttons = Array.prototype.slice.call(document.querySelectorAll("[data-gantt-view]"));
    var mode = initialMode(rows);
    var modes = window.Gantt.VIEW_MODE;
    var chart = new window.Gantt(target, frappeTasks(), {
      // Narrower days and less padding than Frappe's defaults, so a month-long campaign fits on a laptop.
      view_modes: [
        Object.assign({}, modes.DAY, { column_width: 32, padding: "3d" }),
        Object.assign({}, modes.WEEK, { padding: "7d" }),
        Object.assign({}, modes.MONTH, { padding: "14d" })
      ],
      readonly: !config.can_edit,
      readonly_progress: true,
      move_dependencies: false,  // the schedule moves what waits for a task, once the move is saved
      view_mode: mode,
      view_mode_select: false,
      today_button: false,
      scroll_to: config.scroll_to,
      language: document.documentElement.lang || "en",
      bar_height: 26,
      padding: 16,
      infinite_padding: false,
      popup_on: "click",
      popup: function (ctx) {
        var row = byId[ctx.task.id];
        if (!row) return false;
        ctx.get_title().textContent = row.name;
        if (row.kind === "phase") {
          ctx.get_subtitle().textContent = row.start + " – " + row.end;
          ctx.get_details().textContent = "";
          return;
        }
        ctx.get_subtitle().textContent = labels.labelScheduled + ": " + row.start + " – " + row.end;
        var details = labels.labelPlanned + ": " + row.planned_start + " – " + row.planned_end;
        details += " · " + labels.labelProgress + ": " + row.progress + " %";
        if (row.custom_class === "critical") details += " · " + labels.labelCritical;
        ctx.get_details().textContent = details;
      },
      on_date_change: function (task, startDate, endDate) {
        pending = { id: task.id, start: isoDay(startDate), end: isoDay(endDate) };
      },
      on_view_change: function () {
        // `this` is the chart; bars and arrows are drawn again on every view change.
        if (chart) { decorate(); }
      }
    });
    decorate();
    pressed(buttons, mode);
    target.setAttribute("data-ready", "true");

    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var next = button.getAttribute("data-gantt-view");
        chart.change_view_mode(next);
        decorate();
        pressed(buttons, next);
      });
    });
    var today = document.querySelector("[data-gantt-today]");
    if (today) {
      today.addEventListener("click", function () { chart.set_scroll_position(config.today); });
    }
    window.addEventListener("resize", function () { drawList(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
