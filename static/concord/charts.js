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

  // Big numbers on an axis as the page's language writes them: 2,800万 / 1.2亿 in Chinese, 28 M / 35 k in English.
  function shortNumber(value) {
    var number = Number(value) || 0;
    var size = Math.abs(number);
    var trim = function (text) { return text.replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1"); };
    if ((document.documentElement.lang || "").indexOf("zh") === 0) {
      if (size >= 1e8) { return trim((number / 1e8).toFixed(2)) + "亿"; }
      if (size >= 1e4) { return Number(trim((number / 1e4).toFixed(1))).toLocaleString("zh-CN") + "万"; }
      return number.toLocaleString("zh-CN");
    }
    if (size >= 1e6) { return trim((number / 1e6).toFixed(1)) + " M"; }
    if (size >= 1e3) { return Math.round(number / 1e3).toLocaleString("en") + " k"; }
    return number.toLocaleString("en");
  }

  window.ConcordCharts = {
    colours: colours, data: data, available: available, reduceMotion: reduceMotion, onReady: onReady,
    shortNumber: shortNumber
  };
})();
