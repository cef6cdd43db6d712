// Membership analytics charts. Data comes from {{ chart|json_script:"analytics-data" }} (members/views.py);
// every number drawn here is also in a table on the page, so nothing depends on the charts.
(function () {
  "use strict";

  var C = window.ConcordCharts.colours();
  var BRAND = C.brand;
  var TIER_COLOURS = [C.gray, C.primary, C.brand];
  var TARGET = C.dark;

  function percentTicks(value) {
    return value + " %";
  }

  function mixChart(data) {
    var canvas = document.getElementById("mix-chart");
    if (!canvas) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.mix.labels,
        datasets: [
          { label: data.text.actual, data: data.mix.actual, backgroundColor: TIER_COLOURS, borderRadius: 3 },
          { label: data.text.target, data: data.mix.target, backgroundColor: "rgba(33, 37, 41, .12)",
            borderColor: TARGET, borderWidth: 1.5, borderDash: [4, 3], borderRadius: 3 }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, suggestedMax: 70, ticks: { callback: percentTicks } } },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 14 } },
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + c.parsed.y + " %"; } } }
        }
      }
    });
  }

  function feeChart(data) {
    var canvas = document.getElementById("fees-chart");
    if (!canvas) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.fees.labels,
        datasets: [{
          label: data.text.members,
          data: data.fees.counts,
          backgroundColor: data.fees.near.map(function (near) { return near ? C.orange : C.brandSoft; }),
          borderColor: data.fees.near.map(function (near) { return near ? C.orangeDeep : BRAND; }),
          borderWidth: 1,
          borderRadius: 3
        }]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { ticks: { autoSkip: false, maxRotation: 0,
                        callback: function (value) { return this.getLabelForValue(value).split(" · "); } } },
          y: { beginAtZero: true, ticks: { precision: 0 } }
        },
        plugins: { legend: { display: false } }
      }
    });
  }

  function timeChart(data) {
    var canvas = document.getElementById("time-chart");
    if (!canvas) { return; }
    new window.Chart(canvas, {
      data: {
        labels: data.periods.labels,
        datasets: [
          { type: "bar", label: data.text.to_mid_high, data: data.periods.to_mid_high, backgroundColor: C.primary,
            stack: "upgrades", yAxisID: "y", order: 2 },
          { type: "bar", label: data.text.to_top, data: data.periods.to_top, backgroundColor: BRAND,
            stack: "upgrades", yAxisID: "y", order: 2 },
          { type: "line", label: data.text.joined, data: data.periods.joined, borderColor: C.success,
            backgroundColor: C.success, tension: 0.25, pointRadius: 2, yAxisID: "y1", order: 1 }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: data.text.upgrades } },
          y1: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 },
                title: { display: true, text: data.text.joined } }
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } }
      }
    });
  }

  function channelChart(data) {
    var canvas = document.getElementById("channel-chart");
    if (!canvas || !data.channels.labels.length) { return; }
    var target = data.channels.labels.map(function () { return data.channels.target; });
    // Horizontal bars, so long channel names stay readable; the target is a vertical dashed line.
    new window.Chart(canvas, {
      data: {
        labels: data.channels.labels,
        datasets: [
          { type: "bar", label: data.text.conversion, data: data.channels.conversion, borderRadius: 3,
            backgroundColor: data.channels.conversion.map(function (v) {
              return v >= data.channels.target ? C.success : C.brandSoft;
            }), order: 2 },
          { type: "line", label: data.text.conversion_target, data: target, borderColor: TARGET, borderDash: [6, 4],
            borderWidth: 1.5, pointRadius: 0, order: 1 }
        ]
      },
      options: {
        indexAxis: "y",
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { beginAtZero: true, suggestedMax: 40, ticks: { callback: percentTicks } },
          y: { ticks: { autoSkip: false,
                        callback: function (value) {
                          var label = this.getLabelForValue(value);
                          var room = this.chart.width < 500 ? 16 : 34;  // phones get the start of the name
                          return label.length > room ? label.slice(0, room - 1) + "…" : label;
                        } } }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 14 } },
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + c.parsed.x + " %"; } } }
        }
      }
    });
  }

  function draw() {
    var source = document.getElementById("analytics-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    mixChart(data);
    feeChart(data);
    timeChart(data);
    channelChart(data);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
