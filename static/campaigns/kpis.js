// KPI charts: one Chart.js line chart per <canvas data-kpi-chart="ID">, its data in the json_script
// element #ID ({labels, series: [{key, label, data}], unit}). Charts inside content that htmx swaps in
// (a KPI card after a reading was recorded) are drawn on htmx:load.
(function () {
  "use strict";

  function styles() {
    var c = window.ConcordCharts.colours();
    return {
      actual: { borderColor: c.brand, backgroundColor: c.brand, borderWidth: 2.5, pointRadius: 3 },
      forecast: { borderColor: c.primary, backgroundColor: c.primary, borderDash: [6, 4], borderWidth: 2, pointRadius: 2 },
      target: { borderColor: c.success, backgroundColor: c.success, borderDash: [2, 3], borderWidth: 1.5, pointRadius: 0 }
    };
  }

  function draw(canvas) {
    if (typeof window.Chart !== "function" || window.Chart.getChart(canvas)) return;
    var source = document.getElementById(canvas.getAttribute("data-kpi-chart"));
    if (!source) return;
    var chart = JSON.parse(source.textContent);
    var reduceMotion = window.ConcordCharts.reduceMotion();
    var STYLE = styles();
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (s) {
          return Object.assign({ label: s.label, data: s.data, spanGaps: true, tension: 0.2, fill: false }, STYLE[s.key] || {});
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : undefined,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true, pointStyle: "line", boxWidth: 24 } },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var value = ctx.parsed.y;
                return ctx.dataset.label + ": " + (value === null ? "—" : value.toLocaleString() + (chart.unit ? " " + chart.unit : ""));
              }
            }
          }
        },
        scales: { y: { beginAtZero: false, ticks: { maxTicksLimit: 6 } }, x: { ticks: { maxTicksLimit: 8 } } }
      }
    });
  }

  function drawAll(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches("canvas[data-kpi-chart]")) draw(root);
    root.querySelectorAll("canvas[data-kpi-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.detail && event.detail.elt); });
})();
