/* Progressive enhancement: the pages work without this file; with it, charts are drawn
   from the JSON each page embeds, and a form is not sent twice. */
(function () {
  "use strict";
  var COLORS = { red: "#c62828", orange: "#ef6c00", yellow: "#f9a825" };

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node || !window.echarts) { return; }
    node.hidden = false;
    var chart = window.echarts.init(node);
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function districtChart() {
    var d = data("district-chart-data");
    if (!d || !d.districts.length) { return; }
    draw("district-chart", {
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: d.districts, axisLabel: { interval: 0, rotate: d.districts.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: d.series.map(function (s) {
        return { name: d.labels[s.level], type: "bar", stack: "open", data: s.values, itemStyle: { color: COLORS[s.level] } };
      })
    });
  }

  function projectCharts() {
    var d = data("project-chart-data");
    if (!d || !d.months.length) { return; }
    var base = {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "category", data: d.months }
    };
    function series(keys, type) {
      return keys.map(function (k) { return { name: d.labels[k], type: type, data: d[k] }; });
    }
    draw("wages-chart", Object.assign({}, base, { yAxis: { type: "value" }, series: series(["payable", "paid"], "bar") }));
    draw("workers-chart", Object.assign({}, base, { yAxis: { type: "value", minInterval: 1 }, series: series(["attended", "paid_workers"], "bar") }));
    draw("account-chart", Object.assign({}, base, { yAxis: { type: "value" }, series: [
      { name: d.labels.deposits, type: "bar", data: d.deposits },
      { name: d.labels.balance, type: "line", data: d.balance }
    ] }));
  }

  function oneSubmit() {
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "1";
      });
    });
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("form").forEach(function (form) { delete form.dataset.sent; });
    });
  }

  function boot() { districtChart(); projectCharts(); oneSubmit(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else { boot(); }
})();
