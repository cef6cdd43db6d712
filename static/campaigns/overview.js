// Campaign overview: the "KPIs against target" bar chart and the budget burn chart. Data comes from
// {{ kpi_chart|json_script:"kpi-data" }}; the same numbers are in the table beside it.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("kpi-data");
    var canvas = document.getElementById("kpi-chart");
    if (!source || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var rows = data.rows || [];
    if (!rows.length) {
      return;
    }
    var labels = rows.map(function (row) { return row.name; });
    var percents = rows.map(function (row) { return row.percent; });
    var reached = window.ConcordCharts.colours().brand;

    // Room for one bar pair per KPI, so long lists stay readable on a phone.
    canvas.parentElement.style.height = Math.max(180, rows.length * 56 + 60) + "px";

    function unit(row, value) {
      if (value === null || value === undefined) { return data.labels.none; }
      return value.toLocaleString() + (row.unit ? " " + row.unit : "");
    }

    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          {
            label: data.labels.actual,
            data: percents,
            backgroundColor: reached,
            borderRadius: 3
          },
          {
            label: data.labels.target,
            data: rows.map(function () { return 100; }),
            backgroundColor: "rgba(108, 117, 125, 0.25)",
            borderColor: "rgba(108, 117, 125, 0.8)",
            borderWidth: 1,
            borderRadius: 3
          }
        ]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: {
            beginAtZero: true,
            suggestedMax: 100,
            title: { display: true, text: data.labels.axis },
            ticks: { callback: function (value) { return value + " %"; } }
          },
          y: {
            ticks: {
              autoSkip: false,
              // Long names are cut on narrow screens; the table beside the chart has them in full.
              callback: function (value) {
                var label = labels[value] || "";
                var room = Math.max(10, Math.floor(canvas.clientWidth / 22));
                return label.length > room ? label.slice(0, room - 1) + "…" : label;
              }
            }
          }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (context) {
                var row = rows[context.dataIndex];
                if (context.datasetIndex === 1) {
                  return data.labels.target + ": " + unit(row, row.target);
                }
                var pct = context.raw === null ? "" : " (" + context.raw + " %)";
                return data.labels.actual + ": " + unit(row, row.actual) + pct;
              }
            }
          }
        }
      }
    });
  }

  // Budget burn: approved amount and spend per category, from {{ burn_chart|json_script:"burn-data" }}.
  function drawBurn() {
    var source = document.getElementById("burn-data");
    var canvas = document.getElementById("burn-chart");
    if (!source || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var rows = data.rows || [];
    if (!rows.length) {
      return;
    }
    var brand = window.ConcordCharts.colours().brand;
    canvas.parentElement.style.height = Math.max(160, rows.length * 44 + 70) + "px";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: rows.map(function (row) { return row.label; }),
        datasets: [
          {
            label: data.labels.plan,
            data: rows.map(function (row) { return row.plan; }),
            backgroundColor: "rgba(108, 117, 125, 0.25)",
            borderColor: "rgba(108, 117, 125, 0.8)",
            borderWidth: 1
          },
          {
            label: data.labels.spent,
            data: rows.map(function (row) { return row.spent; }),
            backgroundColor: brand
          }
        ]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: {
            beginAtZero: true,
            title: { display: true, text: data.labels.axis },
            ticks: { callback: function (value) { return window.ConcordCharts.shortNumber(value); } }
          }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (context) {
                return context.dataset.label + ": " + Number(context.raw).toLocaleString() + " " + data.labels.axis;
              }
            }
          }
        }
      }
    });
  }

  function drawAll() {
    draw();
    drawBurn();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
