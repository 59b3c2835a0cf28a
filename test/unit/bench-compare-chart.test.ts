import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderChart } from '../../bench/compare/svg-chart.js';
import { m } from './bench-compare-fixture.js';

test('the chart has a bar per system and run in each panel, labelled with its value', () => {
  const svg = renderChart(
    [
      m('distdb', 'put', 1, 900, 1, 3),
      m('etcd', 'put', 1, 800, 1, 4),
      m('distdb', 'get', 64, 20_000, 1, 12.5),
      m('etcd', 'get', 64, 3000, 1, 40),
    ],
    'a <title> & more',
  );
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.match(svg, /a &lt;title&gt; &amp; more/);
  // 4 measurements × 2 panels, plus the legend's two swatches and the background.
  assert.equal(svg.match(/<rect /g)?.length, 4 * 2 + 2 + 1);
  assert.match(svg, /<title>distdb get ×64: 20,000<\/title>/);
  assert.match(svg, /<title>etcd get ×64: 40\.0<\/title>/);
  assert.match(svg, />put ×1</);
  assert.doesNotMatch(svg, /redis/); // a system not run is not in the legend
  assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
});

test('a run with no successful request draws no bar and breaks nothing', () => {
  const svg = renderChart([m('distdb', 'put', 1, 0, 0, 0)], 't');
  assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
  assert.equal(svg.match(/<rect /g)?.length, 2); // background and legend
});
