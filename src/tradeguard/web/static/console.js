// TradeGuard console: draws the charts whose data the page carries as JSON.
// No inline script anywhere, so the Content-Security-Policy can forbid it.
(function () {
  "use strict";
  var COLOURS = { allow: "#1f7a3a", challenge: "#9a6700", review: "#b35900", block: "#b3261e" };

  function data(canvas) {
    var holder = document.getElementById(canvas.dataset.chart);
    return holder ? JSON.parse(holder.textContent) : null;
  }

  function volumes(canvas, d) {
    var datasets = d.series.map(function (s) {
      return { label: s.decision, data: s.data, backgroundColor: COLOURS[s.decision] || "#666", stack: "v" };
    });
    return new Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: datasets },
      options: {
        animation: false, responsive: true,
        scales: { x: { stacked: true, ticks: { maxTicksLimit: 12 } }, y: { stacked: true, beginAtZero: true } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  function rules(canvas, d) {
    return new Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: [{ label: "verdicts", data: d.counts, backgroundColor: "#1d4ed8" }] },
      options: { animation: false, indexAxis: "y", responsive: true, plugins: { legend: { display: false } } }
    });
  }

  function levels(canvas, d) {
    var palette = ["#111827", "#1d4ed8", "#1f7a3a", "#9a6700", "#b3261e"];
    var datasets = d.series.map(function (s, i) {
      return { label: s.label, data: s.data, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length],
               borderWidth: i === 0 ? 3 : 1.5, stepped: true, fill: false };
    });
    return new Chart(canvas, {
      type: "line",
      data: { labels: d.labels, datasets: datasets },
      options: {
        animation: false, responsive: true,
        scales: { y: { min: 0, max: 4, ticks: { stepSize: 1, callback: function (v) { return "L" + v; } } } },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  var CHARTS = { volumes: volumes, rules: rules, levels: levels };

  function draw(root) {
    if (typeof Chart === "undefined") { return; }
    (root || document).querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var d = data(canvas);
      if (!d) { return; }
      (CHARTS[canvas.dataset.type] || volumes)(canvas, d);
      canvas.dataset.drawn = "1";
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (e) { draw(e.target); });
})();
