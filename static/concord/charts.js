// One Chart.js set-up for every chart (campaign overview, KPIs, risk exposure, membership analytics). Colours come
// from the page's CSS variables — the brand and Bootstrap's --bs-* — so a palette change in concord.css reaches the
// charts too; motion follows prefers-reduced-motion; text uses the page's font. Each chart reads its numbers from a
// json_script element, and the same numbers are in a table beside it, so nothing depends on the charts.
(function () {
  "use strict";

  function css(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function colours() {
    return {
      brand: css("--concord-brand", "#7a1f5c"),
      brandSoft: "rgba(122, 31, 92, .55)",
      primary: css("--bs-primary", "#0d6efd"),
      success: css("--bs-success", "#198754"),
      danger: css("--bs-danger", "#dc3545"),
      orange: css("--bs-orange", "#fd7e14"),
      orangeDeep: css("--concord-orange-deep", "#7a3b00"),
      gray: css("--bs-gray-500", "#adb5bd"),
      dark: css("--bs-dark", "#212529")
    };
  }

  function data(id) {
    var source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }

  function available() {
    return typeof window.Chart === "function";
  }

  function reduceMotion() {
    return Boolean(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  function onReady(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  onReady(function () {
    if (!available()) { return; }
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    if (reduceMotion()) { window.Chart.defaults.animation = false; }
  });

  window.ConcordCharts = { colours: colours, data: data, available: available, reduceMotion: reduceMotion, onReady: onReady };
})();
