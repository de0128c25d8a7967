// The interactions pages' own style sheet and the script that draws their charts with uPlot
// (loaded after uplot.min.js). Each chart's numbers come from the JSON data block its
// [data-chart] attribute names; the table beside it holds the same numbers.
export const INTERACTIONS_STYLES = `
form.search { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: .75rem; align-items: end; margin-bottom: 1rem; }
form.search .actions { margin: 0; }
nav.subnav ul { display: flex; gap: 1rem; list-style: none; margin: 0 0 1rem; padding: 0; }
nav.subnav a[aria-current="page"] { font-weight: 700; text-decoration: none; }
pre.source { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 32rem; overflow: auto; background: var(--panel); border: 1px solid var(--line); padding: .75rem; font-size: .85rem; }
.chart-pair { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1rem; align-items: start; margin-bottom: 2rem; }
.chart-pair h2 { grid-column: 1 / -1; }
.chart { min-height: 300px; }
.chart-table { max-height: 360px; overflow: auto; }
.chart-table caption { text-align: left; font-weight: 600; }
.chart-table { font-size: .85rem; }
.chart-table th, .chart-table td { white-space: nowrap; padding: .25rem .4rem; }
.chart-table td { text-align: right; }
@media (max-width: 48rem) { .chart-pair { grid-template-columns: 1fr; } }
`;

export const CHARTS_SCRIPT = `(() => {
  'use strict';
  const colors = ['#0b5cad', '#b35900', '#a40e26', '#6f42c1', '#116329', '#57606a'];
  const uPlot = window.uPlot;
  if (!uPlot) return;
  for (const el of document.querySelectorAll('[data-chart]')) {
    const source = document.getElementById(el.getAttribute('data-chart'));
    if (!source) continue;
    const d = JSON.parse(source.textContent);
    const opts = {
      width: Math.max(280, el.clientWidth),
      height: 280,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      scales: { x: { time: true } },
      axes: [{}, { label: d.unit }],
      series: [{ label: 'UTC' }].concat(d.series.map((s, i) => ({ label: s.label, stroke: colors[i % colors.length], width: 2 }))),
    };
    new uPlot(opts, [d.x].concat(d.series.map((s) => s.values)), el);
  }
})();
`;
