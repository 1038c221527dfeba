/* Draws the report's three charts with the inlined Apache ECharts; data from #chart-data (see html.py). */
(function () {
  var data = JSON.parse(document.getElementById('chart-data').textContent);
  var charts = [];
  function pct(v) { return v === null || v === undefined ? '不适用' : v.toFixed(1) + '%'; }
  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: 'svg' });
    chart.setOption(option);
    el.setAttribute('data-rendered', '1');
    charts.push(chart);
  }
  var small = window.innerWidth < 600;
  make('chart-rate', {
    title: { text: '各单位按期履行率（由低到高）', left: 'center', textStyle: { fontSize: 15 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: pct },
    grid: { left: 8, right: 48, top: 40, bottom: 10, containLabel: true },
    xAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', inverse: true, data: data.rate.names,
             axisLabel: { width: small ? 96 : 170, overflow: 'truncate' } },
    series: [{ type: 'bar', name: '按期履行率', data: data.rate.values, barMaxWidth: 18,
               itemStyle: { color: function (p) {
                 return p.value < 60 ? '#c62828' : (p.value < 90 ? '#ef6c00' : '#2e7d32'); } },
               label: { show: true, position: 'right', formatter: function (p) { return pct(p.value); } } }]
  });
  make('chart-area', {
    title: { text: '各条款领域逾期与违反情况', left: 'center', textStyle: { fontSize: 15 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
               formatter: function (ps) { var i = ps[0].dataIndex; return data.area.full[i] + '<br>' +
                 ps.map(function (p) { return p.marker + p.seriesName + '：' + p.value + ' 项'; }).join('<br>'); } },
    legend: { bottom: 0 },
    grid: { left: 8, right: 16, top: 40, bottom: 36, containLabel: true },
    xAxis: { type: 'category', data: data.area.names, axisLabel: { interval: 0, rotate: small ? 60 : 30 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { type: 'bar', name: '逾期未履行', stack: 'bad', data: data.area.overdue, itemStyle: { color: '#c62828' } },
      { type: 'bar', name: '违反禁止性规定', stack: 'bad', data: data.area.violated, itemStyle: { color: '#6a1b9a' } },
      { type: 'bar', name: '逾期履行', stack: 'bad', data: data.area.late, itemStyle: { color: '#ef6c00' } }
    ]
  });
  make('chart-month', {
    title: { text: '逐月趋势（按义务产生月份）', left: 'center', textStyle: { fontSize: 15 } },
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 8, right: 40, top: 64, bottom: small ? 64 : 36, containLabel: true },  // phone: legend on 2 lines
    xAxis: { type: 'category', data: data.month.names },
    yAxis: [{ type: 'value', name: '项', minInterval: 1 },
            { type: 'value', name: '按期履行率', min: 0, max: 100, axisLabel: { formatter: '{value}%' } }],
    series: [
      { type: 'bar', name: '产生义务', data: data.month.arisen, itemStyle: { color: '#90a4ae' } },
      { type: 'line', name: '逾期未履行', data: data.month.overdue, itemStyle: { color: '#c62828' } },
      { type: 'line', name: '逾期履行', data: data.month.late, itemStyle: { color: '#ef6c00' } },
      { type: 'line', name: '按期履行率', yAxisIndex: 1, data: data.month.rate, connectNulls: false,
        tooltip: { valueFormatter: pct }, itemStyle: { color: '#2e7d32' } }
    ]
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
})();
