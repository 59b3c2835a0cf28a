// The dashboard served at GET /: one page with its CSS and script inline, so
// there is nothing to build or copy (a .ts module is compiled into dist/ like
// the rest). It loads /status once, then follows the live feed /events.
// Everything shown comes from the status report (status-report.ts); text is
// set with textContent, never parsed as HTML.

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>distdb dashboard</title>
<style>
  :root {
    --bg: #f4f6f9; --card: #ffffff; --ink: #1d2430; --muted: #667085; --line: #e3e7ee;
    --accent: #2563eb; --p99: #d97706; --good: #15803d; --bad: #b91c1c; --warn: #a16207;
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         background: var(--bg); color: var(--ink); }
  header { display: flex; align-items: center; gap: 16px; padding: 14px 28px;
           background: #111827; color: #f9fafb; }
  header h1 { font-size: 18px; margin: 0; letter-spacing: .3px; }
  header .where { color: #9ca3af; font-size: 13px; }
  header .live { margin-left: auto; font-size: 13px; display: flex; align-items: center; gap: 8px; }
  .dot { width: 9px; height: 9px; border-radius: 50%; background: #6b7280; display: inline-block; }
  .dot.on { background: #22c55e; box-shadow: 0 0 0 3px rgba(34,197,94,.25); }
  .dot.off { background: #ef4444; }
  main { padding: 22px 28px 32px; max-width: 1280px; margin: 0 auto; }
  .cards { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 14px; }
  .card, section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
  .card { padding: 12px 16px; }
  .card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .5px; }
  .card .value { font-size: 24px; font-weight: 600; margin-top: 2px; font-variant-numeric: tabular-nums;
                 white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  section { margin-top: 18px; padding: 14px 18px 16px; }
  section h2 { font-size: 14px; margin: 0 0 10px; color: var(--muted); font-weight: 600;
               text-transform: uppercase; letter-spacing: .5px; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: right; padding: 7px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; }
  th:first-child, td:first-child, th.l, td.l { text-align: left; }
  tr:last-child td { border-bottom: none; }
  .badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600;
           background: #eef2ff; color: #3730a3; }
  .badge.leader { background: #dcfce7; color: #166534; }
  .badge.candidate, .badge.precandidate { background: #fef3c7; color: #92400e; }
  .badge.unknown { background: #f3f4f6; color: #6b7280; }
  .health.up { color: var(--good); font-weight: 600; }
  .health.down { color: var(--bad); font-weight: 600; }
  .health.degraded { color: var(--warn); font-weight: 600; }
  td a { color: var(--accent); text-decoration: none; }
  td a:hover { text-decoration: underline; }
  .you { color: var(--muted); font-size: 12px; margin-left: 6px; }
  .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
  .charts section { margin-top: 18px; }
  svg { width: 100%; height: 190px; display: block; }
  svg .grid { stroke: var(--line); stroke-width: 1; }
  svg .axis { fill: var(--muted); font-size: 11px; }
  .legend { font-size: 12px; color: var(--muted); display: flex; gap: 16px; margin: -4px 0 6px; }
  .legend i { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 5px; }
  .changes th, .changes td { text-align: left; }
  .changes td:first-child, .changes th:first-child { width: 160px; }
  .changes td:nth-child(2), .changes th:nth-child(2) { width: 100px; }
  .empty { color: var(--muted); }
  .error { color: var(--bad); margin-top: 10px; }
  footer { color: var(--muted); font-size: 12px; margin-top: 16px; }
  footer a { color: var(--accent); }
</style>
</head>
<body>
<header>
  <h1>distdb</h1>
  <span class="where" id="where">connecting…</span>
  <span class="live"><span class="dot" id="live-dot"></span><span id="live-text">connecting</span></span>
</header>
<main>
  <div class="cards">
    <div class="card"><div class="label">Members</div><div class="value" id="members-count">–</div></div>
    <div class="card"><div class="label">Leader</div><div class="value" id="leader">–</div></div>
    <div class="card"><div class="label">Term</div><div class="value" id="term">–</div></div>
    <div class="card"><div class="label">Commit index</div><div class="value" id="commit">–</div></div>
    <div class="card"><div class="label">Ops/s (cluster)</div><div class="value" id="ops-rate">–</div></div>
    <div class="card"><div class="label">Operations</div><div class="value" id="ops-total">–</div></div>
  </div>

  <section>
    <h2>Members</h2>
    <table>
      <thead><tr>
        <th>Node</th><th class="l">Role</th><th class="l">Health</th><th>Term</th><th>Commit</th><th>Applied</th>
        <th>Match</th><th>Lag</th><th>Keys</th><th>Storage</th><th>Ops/s</th><th>p50</th><th>p99</th>
      </tr></thead>
      <tbody id="members"></tbody>
    </table>
    <div class="error" id="error"></div>
  </section>

  <div class="charts">
    <section>
      <h2>Operations per second</h2>
      <div class="legend" id="ops-legend"></div>
      <svg id="ops-chart"></svg>
    </section>
    <section>
      <h2>Latency (ms)</h2>
      <div class="legend">
        <span><i style="background: var(--accent)"></i>p50</span>
        <span><i style="background: var(--p99)"></i>p99</span>
        <span>slowest member each second</span>
      </div>
      <svg id="latency-chart"></svg>
    </section>
  </div>

  <section>
    <h2>Recent leader changes <span class="you">as this node saw them</span></h2>
    <table class="changes"><thead><tr><th>When</th><th>Term</th><th>Leader</th></tr></thead>
      <tbody id="changes"></tbody></table>
  </section>

  <footer>Figures of the other members are what they report to this node every second.
    Raw data: <a href="status">/status</a> · <a href="metrics">/metrics</a> · <a href="health">/health</a></footer>
</main>
<script>
(function () {
  'use strict';
  var HISTORY = 60;
  var COLORS = ['#2563eb', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#db2777'];
  var history = [];

  function $(id) { return document.getElementById(id); }
  function text(el, s) { el.textContent = s; return el; }
  function el(tag, cls, content) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (content !== undefined && content !== null) e.textContent = String(content);
    return e;
  }
  function num(n) { return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'); }
  function ms(n) { return n === null || n === undefined ? '–' : (n < 10 ? n.toFixed(2) : n.toFixed(1)) + ' ms'; }
  function rate(n) { return n === null || n === undefined ? '–' : (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')); }
  function bytes(n) {
    if (n === null || n === undefined) return '–';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }
  // host:port as a URL's authority: an IPv6 host goes in brackets.
  function urlAuthority(hostPort) {
    var i = hostPort.lastIndexOf(':');
    var host = hostPort.slice(0, i);
    return (host.indexOf(':') >= 0 ? '[' + host + ']' : host) + hostPort.slice(i);
  }
  function clock(t) { return new Date(t).toLocaleTimeString('en-GB'); }

  function render(s) {
    var c = s.cluster;
    var members = s.members;
    var leader = c ? c.leader : null;
    text($('where'), 'viewed from ' + s.node.id + (c ? ' (' + c.role + ')' : ' (standalone)'));
    text($('members-count'), members.length);
    text($('leader'), leader === null ? (c ? 'none' : '–') : leader);
    text($('term'), c ? num(c.term) : '–');
    text($('commit'), c ? num(c.commit) : '–');
    var totalRate = 0, haveRate = false, totalOps = 0;
    members.forEach(function (m) {
      var f = m.figures;
      if (!f) return;
      if (f.opsPerSec !== null) { totalRate += f.opsPerSec; haveRate = true; }
      totalOps += f.commandsTotal;
    });
    text($('ops-rate'), haveRate ? rate(totalRate) : '–');
    text($('ops-total'), num(totalOps));

    var byId = {};
    if (c) c.members.forEach(function (m) { byId[m.id] = m; });
    var leaderCommit = null;
    members.forEach(function (m) { if (m.figures && m.id === leader) leaderCommit = m.figures.commit; });
    var body = $('members');
    body.replaceChildren();
    members.forEach(function (m) {
      var f = m.figures, raft = byId[m.id] || {};
      var tr = el('tr');
      tr.setAttribute('data-testid', 'member-row');
      tr.setAttribute('data-node', m.id);
      tr.setAttribute('data-role', f ? f.role : 'unknown');
      var name = el('td');
      if (m.id !== s.node.id && f && f.http) {
        // Another member's own dashboard (its HTTP port, as it reports it).
        var a = el('a', null, m.id);
        // The same scheme as this page: the nodes of a cluster share their TLS settings.
        a.href = location.protocol + '//' + urlAuthority(f.http) + '/';
        name.appendChild(a);
      } else {
        name.textContent = m.id;
      }
      if (m.id === s.node.id) name.appendChild(el('span', 'you', 'this node'));
      tr.appendChild(name);
      var role = el('td', 'l');
      role.appendChild(el('span', 'badge ' + (f ? f.role : 'unknown'), f ? f.role : 'unknown'));
      if (raft.role === 'learner') role.appendChild(el('span', 'you', 'learner'));
      tr.appendChild(role);
      var health = !f ? ['down', 'unreachable'] : !f.storage ? ['degraded', 'storage down']
        : c && f.leader === null ? ['degraded', 'no leader'] : ['up', 'up'];
      var h = el('td', 'l health ' + health[0], health[1]);
      if (m.error) h.title = m.error;
      tr.appendChild(h);
      var lag = raft.lag !== null && raft.lag !== undefined ? raft.lag
        : f && leaderCommit !== null ? Math.max(0, leaderCommit - f.applied) : null;
      [f && f.term, f && f.commit, f && f.applied, raft.match, lag, f && f.keys]
        .forEach(function (v) { tr.appendChild(el('td', null, f || v !== null ? num(v) : '–')); });
      tr.appendChild(el('td', null, f ? bytes(f.diskBytes) : '–'));
      tr.appendChild(el('td', null, f ? rate(f.opsPerSec) : '–'));
      // No operations in the window: no latency to show (not 0 ms).
      var busy = f && f.opsPerSec > 0;
      tr.appendChild(el('td', null, busy ? ms(f.p50Ms) : '–'));
      tr.appendChild(el('td', null, busy ? ms(f.p99Ms) : '–'));
      body.appendChild(tr);
    });

    var changes = $('changes');
    changes.replaceChildren();
    if (s.leaderChanges.length === 0) {
      var tr0 = el('tr');
      var td0 = el('td', 'empty', 'none seen yet');
      td0.colSpan = 3;
      tr0.appendChild(td0);
      changes.appendChild(tr0);
    }
    s.leaderChanges.slice(0, 10).forEach(function (ch) {
      var tr = el('tr');
      tr.setAttribute('data-testid', 'leader-change');
      tr.appendChild(el('td', null, clock(ch.at)));
      tr.appendChild(el('td', null, num(ch.term)));
      tr.appendChild(el('td', null, ch.leader === null ? 'no leader' : ch.leader));
      changes.appendChild(tr);
    });

    record(s);
  }

  function record(s) {
    var point = { t: s.time, rates: {}, p50: null, p99: null };
    s.members.forEach(function (m) {
      var f = m.figures;
      if (!f) return;
      if (f.opsPerSec !== null) point.rates[m.id] = f.opsPerSec;
      if (!(f.opsPerSec > 0)) return;
      if (f.p50Ms !== null) point.p50 = Math.max(point.p50 || 0, f.p50Ms);
      if (f.p99Ms !== null) point.p99 = Math.max(point.p99 || 0, f.p99Ms);
    });
    history.push(point);
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    if (history.length > HISTORY) history.shift();
    var ids = s.members.map(function (m) { return m.id; });
    var legend = $('ops-legend');
    legend.replaceChildren();
    var series = ids.map(function (id, i) {
      var color = COLORS[i % COLORS.length];
      var item = el('span', null, id);
      var swatch = el('i');
      swatch.style.background = color;
      item.insertBefore(swatch, item.firstChild);
      legend.appendChild(item);
      return { color: color, values: history.map(function (p) { return p.rates[id]; }) };
    });
    chart($('ops-chart'), series, rate);
    chart($('latency-chart'), [
      { color: '#2563eb', values: history.map(function (p) { return p.p50; }) },
      { color: '#d97706', values: history.map(function (p) { return p.p99; }) },
    ], function (v) { return v < 10 ? v.toFixed(1) : Math.round(v); });
  }

  var NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  // Lines over the last HISTORY seconds, newest at the right; the y axis starts at 0.
  function chart(target, series, label) {
    // Drawn at the element's own size, so text is never stretched.
    var W = Math.max(300, Math.round(target.clientWidth || 600)), H = 190, L = 44, R = 8, T = 10, B = 20;
    target.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var max = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v !== undefined && v > max) max = v; }); });
    max = niceCeil(max);
    target.replaceChildren();
    for (var g = 0; g <= 4; g++) {
      var y = T + (H - T - B) * (1 - g / 4);
      target.appendChild(svg('line', { x1: L, x2: W - R, y1: y, y2: y, 'class': 'grid' }));
      var t = svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', 'class': 'axis' });
      t.textContent = g === 0 ? '0' : label((max * g) / 4);
      target.appendChild(t);
    }
    var ago = svg('text', { x: L, y: H - 4, 'class': 'axis' });
    ago.textContent = HISTORY + ' s ago';
    target.appendChild(ago);
    var now = svg('text', { x: W - R, y: H - 4, 'text-anchor': 'end', 'class': 'axis' });
    now.textContent = 'now';
    target.appendChild(now);
    var step = (W - L - R) / (HISTORY - 1);
    var offset = HISTORY - history.length;
    series.forEach(function (s) {
      var pts = [];
      s.values.forEach(function (v, i) {
        if (v === null || v === undefined) return;
        var x = L + (offset + i) * step;
        var y = T + (H - T - B) * (1 - (max === 0 ? 0 : v / max));
        pts.push(x.toFixed(1) + ',' + y.toFixed(1));
      });
      if (pts.length === 1) pts.push(pts[0]);
      if (pts.length > 0) {
        target.appendChild(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: s.color,
          'stroke-width': 2, 'stroke-linejoin': 'round', 'vector-effect': 'non-scaling-stroke' }));
      }
    });
  }
  function niceCeil(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    // Multiples whose quarters (the grid lines) are round numbers too.
    var m = [1, 2, 4, 6, 8, 10].find(function (k) { return k * p >= v; });
    return m * p;
  }

  function live(on, why) {
    $('live-dot').className = 'dot ' + (on ? 'on' : 'off');
    text($('live-text'), on ? 'live' : why);
  }

  function show(s) {
    try { render(s); text($('error'), ''); }
    catch (e) { text($('error'), 'cannot show the status: ' + e.message); }
  }

  fetch('status', { cache: 'no-store' })
    .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
    .then(show)
    .catch(function (e) { text($('error'), 'cannot load /status: ' + e.message); });
  var events = new EventSource('events');
  events.addEventListener('status', function (e) { live(true); show(JSON.parse(e.data)); });
  events.onerror = function () { live(false, 'reconnecting…'); };
})();
</script>
</body>
</html>
`;
