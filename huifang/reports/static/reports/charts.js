// The dashboard's charts (ECharts 6): the data comes from the page as JSON (json_script), its
// labels already translated; rates are percentages. When every chart is drawn, <body> gets
// data-charts="ready" (the browser test waits for it).
(function () {
  "use strict";
  const PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de"];

  function percentAxis() {
    return { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  }

  function series(labels, data, type) {
    return Object.keys(data).map(function (key) {
      return {
        name: labels[key] || key, type: type, data: data[key], connectNulls: false,
        emphasis: { focus: "series" }, barMaxWidth: 28,
      };
    });
  }

  function draw(id, option) {
    const node = document.getElementById(id);
    if (!node) return;
    const chart = echarts.init(node);
    chart.setOption(Object.assign({ animation: false, color: PALETTE }, option));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    const source = document.getElementById("dashboard-data");
    if (!source || typeof echarts === "undefined") return;
    const data = JSON.parse(source.textContent);
    const tooltipPercent = { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } };
    draw("chart-trend", {
      tooltip: tooltipPercent, legend: { top: 0 }, grid: { left: 48, right: 16, top: 36, bottom: 30 },
      xAxis: { type: "category", data: data.trend.x }, yAxis: percentAxis(),
      series: series(data.labels, data.trend.series, "line"),
    });
    if (data.regions) {
      draw("chart-regions", {
        tooltip: tooltipPercent, legend: { top: 0 }, grid: { left: 48, right: 16, top: 36, bottom: 30 },
        xAxis: { type: "category", data: data.regions.x }, yAxis: percentAxis(),
        series: series(data.labels, data.regions.series, "bar"),
      });
    }
    draw("chart-satisfaction", {
      tooltip: { trigger: "item" }, legend: { bottom: 0 },
      color: ["#91cc75", "#fac858", "#ee6666"],
      series: [{
        type: "pie", radius: ["42%", "70%"], center: ["50%", "45%"], data: data.satisfaction,
        label: { formatter: "{b}\n{d}%" },
      }],
    });
    draw("chart-funnel", {
      tooltip: { trigger: "item" },
      series: [{
        type: "funnel", left: "10%", width: "80%", top: 10, bottom: 10, sort: "descending", gap: 2,
        data: data.funnel, label: { position: "inside", formatter: "{b}: {c}" },
      }],
    });
    draw("chart-cases", {
      tooltip: { trigger: "axis" }, grid: { left: 40, right: 16, top: 16, bottom: 30 },
      xAxis: { type: "category", data: data.cases.map(function (b) { return b.label; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: data.cases.map(function (b) { return b.count; }), barMaxWidth: 48,
                 itemStyle: { color: "#ee6666" }, label: { show: true, position: "top" } }],
    });
    document.body.dataset.charts = "ready";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
