// Risk exposure: the histogram of simulated total cost. Data comes from
// {{ chart|json_script:"exposure-data" }}; the same numbers are in the table below the chart.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("exposure-data");
    var canvas = document.getElementById("exposure-chart");
    if (!source || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    if (!data.shares || !data.shares.length) {
      return;
    }
    var palette = window.ConcordCharts.colours();
    var brand = palette.brand;
    var beyond = palette.danger;
    var anyBeyond = data.beyond.some(function (b) { return b; });
    // Two datasets (within / beyond the reserve) so the legend names both colours; each bar is in one of them.
    var datasets = [{
      label: data.text.within,
      data: data.shares.map(function (share, i) { return data.beyond[i] ? null : share; }),
      backgroundColor: brand,
      borderRadius: 2,
      grouped: false
    }];
    if (anyBeyond) {
      datasets.push({
        label: data.text.beyond,
        data: data.shares.map(function (share, i) { return data.beyond[i] ? share : null; }),
        backgroundColor: beyond,
        borderRadius: 2,
        grouped: false
      });
    }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        categoryPercentage: 0.95,
        barPercentage: 1.0,
        scales: {
          x: {
            title: { display: true, text: data.text.x },
            ticks: { maxRotation: 60, autoSkip: true }
          },
          y: {
            beginAtZero: true,
            title: { display: true, text: data.text.y },
            ticks: { callback: function (value) { return value + " %"; } }
          }
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (context) { return context.parsed.y + " %"; }
            }
          }
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
