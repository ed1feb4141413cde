// Turns a dashboard's series into headline numbers, charts (uPlot), the funnel, the cohort
// retention heat map and leaderboards. Every shown number carries its raw value in
// `data-value`, so the browser tests compare it with the API's.

/** Metrics whose period figure is the sum of its buckets; the others show the latest bucket. */
const SUMMED = new Set([
  'new_registrations', 'sessions_booked', 'sessions_completed', 'sessions_cancelled',
  'booked_hours', 'revenue_gross', 'revenue_refunds', 'revenue_net', 'enrollments',
  'lesson_completions', 'course_completions', 'reviews',
]);
const RATES = new Set([
  'stickiness', 'session_completion_rate', 'session_cancellation_rate', 'funnel_conversion',
  'retention_rate', 'course_completion_rate',
]);
const COHORT = new Set(['funnel_users', 'retention_users', 'retention_rate']);
const COLORS = ['#1f6feb', '#d9480f', '#2b8a3e', '#862e9c', '#c2255c', '#5c940d', '#0b7285'];

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};

/** `revenue_net` -> `Revenue net`. */
export const label = (metric) => {
  const words = metric.replace(/_/g, ' ').replace(/\b(dau|wau|mau|arppu)\b/g, (w) => w.toUpperCase());
  return words.charAt(0).toUpperCase() + words.slice(1);
};

const isLeaderboard = (metric) => metric.startsWith('top_');
const dims = (series) => series.dimensions ?? {};
const date = (timestamp) => timestamp.slice(0, 10);

function fractionDigits(currency) {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
}

/** A value as the admin reads it: money in major units, rates as percentages. */
export function format(metric, value, currency) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (currency && !['paying_users'].includes(metric)) {
    const digits = fractionDigits(currency);
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value / 10 ** digits);
  }
  if (RATES.has(metric)) {
    return new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 }).format(value);
  }
  const digits = metric === 'average_rating' ? 2 : Number.isInteger(value) ? 0 : 1;
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(value);
}

/** The figure of a series over the period: the sum, or the latest bucket's value. */
export function periodValue(metric, points) {
  if (!points.length) return null;
  return SUMMED.has(metric) ? points.reduce((sum, p) => sum + p.value, 0) : points[points.length - 1].value;
}

const key = (series) => `${series.metricName}|${JSON.stringify(dims(series))}`;

function headlines(current, previous) {
  const before = new Map(previous.series.map((s) => [key(s), s]));
  const cards = current.series
    .filter((s) => !isLeaderboard(s.metricName) && !COHORT.has(s.metricName) && s.metricName !== 'funnel_conversion')
    .filter((s) => Object.keys(dims(s)).every((k) => k === 'currency'))
    .map((s) => {
      const currency = dims(s).currency;
      const value = periodValue(s.metricName, s.points);
      const prior = periodValue(s.metricName, before.get(key(s))?.points ?? []);
      const id = `headline-${s.metricName}${currency ? `-${currency}` : ''}`;
      let change = 'no figure for the previous period';
      let trend = 'flat';
      if (value !== null && prior !== null && prior !== 0) {
        const ratio = (value - prior) / Math.abs(prior);
        trend = ratio > 0 ? 'up' : ratio < 0 ? 'down' : 'flat';
        const pct = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(ratio);
        change = `${pct} vs previous period`;
      }
      return el('div', { class: 'card', 'data-testid': id },
        el('h3', {}, label(s.metricName), currency ? ` (${currency})` : null,
          el('span', { class: 'how' }, SUMMED.has(s.metricName) ? 'total' : 'latest')),
        el('p', { class: 'figure', 'data-testid': `${id}-value`, 'data-value': value ?? '' },
          format(s.metricName, value, currency)),
        el('p', { class: `change ${trend}`, 'data-testid': `${id}-change`, 'data-previous': prior ?? '' },
          change));
    });
  return el('section', { class: 'headlines', 'aria-label': 'Headline numbers' }, ...cards);
}

/** One chart per metric: one line per dimension value (currency, step...). */
function chartSection(response, charts, onDrawn) {
  const byMetric = new Map();
  for (const s of response.series) {
    if (isLeaderboard(s.metricName) || COHORT.has(s.metricName)) continue;
    if (!byMetric.has(s.metricName)) byMetric.set(s.metricName, []);
    byMetric.get(s.metricName).push(s);
  }
  const section = el('section', { class: 'charts', 'aria-label': 'Charts' });
  const pending = [];
  for (const [metric, group] of byMetric) {
    const stamps = [...new Set(group.flatMap((s) => s.points.map((p) => p.timestamp)))]
      .sort((a, b) => Date.parse(a) - Date.parse(b));
    const names = group.map((s) => Object.values(dims(s)).join(' ') || label(metric));
    const columns = group.map((s) => {
      const at = new Map(s.points.map((p) => [p.timestamp, p.value]));
      return stamps.map((t) => (at.has(t) ? at.get(t) : null));
    });
    const currency = (i) => dims(group[i]).currency;
    const plot = el('div', { class: 'plot', 'aria-hidden': 'true' });
    const head = el('tr', {}, el('th', { scope: 'col' }, 'Bucket'), ...names.map((n) => el('th', { scope: 'col' }, n)));
    const rows = stamps.map((t, r) => el('tr', {}, el('th', { scope: 'row' }, date(t)),
      ...columns.map((col, i) => el('td', { 'data-testid': `cell-${metric}-${i}-${date(t)}`, 'data-value': col[r] ?? '' },
        format(metric, col[r], currency(i))))));
    const table = el('details', {}, el('summary', {}, 'Data table'),
      el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': `${label(metric)} data` },
        el('table', { 'data-testid': `table-${metric}` }, el('thead', {}, head), el('tbody', {}, ...rows))));
    const figure = el('figure', { class: 'chart', 'data-testid': `chart-${metric}`, 'data-points': String(stamps.length) },
      el('figcaption', {}, label(metric)), plot, table);
    section.append(figure);
    pending.push({ metric, plot, stamps, names, columns, currency });
  }
  // Draw once the section is in the page, so each plot knows its width.
  return {
    section,
    draw() {
      let left = pending.length;
      if (!left) onDrawn();
      for (const p of pending) {
        const opts = {
          width: Math.max(p.plot.clientWidth, 240),
          height: 180,
          tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), response.timeZone),
          legend: { show: p.names.length > 1 },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true } },
          axes: [{}, { size: 60, values: (u, vals) => vals.map((v) => format(p.metric, v, p.currency(0))) }],
          series: [{}, ...p.names.map((name, i) => ({
            label: name, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false,
            value: (u, v) => format(p.metric, v, p.currency(i)),
          }))],
          hooks: {
            draw: [() => {
              if (p.drawn) return;
              p.drawn = true;
              left -= 1;
              if (left === 0) onDrawn();
            }],
          },
        };
        const data = [p.stamps.map((t) => Date.parse(t) / 1000), ...p.columns];
        charts.push(new window.uPlot(opts, data, p.plot));
      }
    },
  };
}

function revenueTable(response) {
  const money = ['revenue_gross', 'revenue_refunds', 'revenue_net'];
  const totals = new Map();
  for (const s of response.series) {
    const d = dims(s);
    if (!money.includes(s.metricName) || !d.currency || Object.keys(d).length !== 1) continue;
    if (!totals.has(d.currency)) totals.set(d.currency, {});
    totals.get(d.currency)[s.metricName] = periodValue(s.metricName, s.points);
  }
  if (!totals.size) return null;
  // Only the money metrics this dashboard has (the overview has revenue_net alone).
  const shown = money.filter((m) => [...totals.values()].some((t) => m in t));
  const rows = [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, t]) =>
    el('tr', {}, el('th', { scope: 'row' }, currency), ...shown.map((m) =>
      el('td', { 'data-testid': `revenue-${currency}-${m}`, 'data-value': t[m] ?? '' }, format(m, t[m] ?? null, currency)))));
  return el('section', { class: 'block', 'aria-labelledby': 'revenue-title' },
    el('h2', { id: 'revenue-title' }, 'Revenue per currency'),
    el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Revenue per currency' },
      el('table', { 'data-testid': 'revenue-table' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Currency'), ...shown.map((m) => el('th', { scope: 'col' }, label(m))))),
        el('tbody', {}, ...rows))));
}

function funnel(response) {
  const steps = ['registered', 'engaged', 'paid'];
  const sums = Object.fromEntries(steps.map((s) => [s, 0]));
  let found = false;
  for (const s of response.series) {
    if (s.metricName !== 'funnel_users' || !(dims(s).step in sums)) continue;
    found = true;
    sums[dims(s).step] += s.points.reduce((sum, p) => sum + p.value, 0);
  }
  if (!found) return null;
  const top = sums.registered || 1;
  const bars = steps.map((step) => el('li', { class: 'step' },
    el('span', { class: 'name' }, label(step)),
    el('span', { class: 'track' },
      el('span', { class: 'fill', 'data-width': String(sums[step] / top) })),
    el('span', { class: 'count', 'data-testid': `funnel-${step}`, 'data-value': sums[step] },
      `${format('funnel_users', sums[step])} (${format('funnel_conversion', sums[step] / top)})`)));
  return el('section', { class: 'block', 'aria-labelledby': 'funnel-title' },
    el('h2', { id: 'funnel-title' }, '30-day funnel of the users who signed up in the period'),
    el('ol', { class: 'funnel', 'data-testid': 'funnel' }, ...bars));
}

function retention(weekly) {
  const cells = weekly.series.filter((s) => s.metricName === 'retention_rate' && 'week' in dims(s));
  if (!cells.length) return null;
  const offsets = [...new Set(cells.map((s) => Number(dims(s).week)))].sort((a, b) => a - b);
  const cohorts = [...new Set(cells.flatMap((s) => s.points.map((p) => p.timestamp)))].sort();
  const size = new Map();
  for (const s of weekly.series) {
    if (s.metricName === 'retention_users' && dims(s).week === '0') for (const p of s.points) size.set(p.timestamp, p.value);
  }
  const rate = new Map();
  for (const s of cells) for (const p of s.points) rate.set(`${p.timestamp}|${dims(s).week}`, p.value);
  const rows = cohorts.map((c) => el('tr', {},
    el('th', { scope: 'row' }, date(c), el('span', { class: 'size' }, ` ${format('retention_users', size.get(c) ?? 0)} users`)),
    ...offsets.map((o) => {
      const v = rate.get(`${c}|${o}`);
      if (v === undefined) return el('td', { class: 'empty' });
      return el('td', { class: 'heat', 'data-heat': String(Math.min(9, Math.floor(v * 10))), 'data-testid': `retention-${date(c)}-${o}`, 'data-value': v },
        format('retention_rate', v));
    })));
  return el('section', { class: 'block', 'aria-labelledby': 'retention-title' },
    el('h2', { id: 'retention-title' }, 'Weekly cohort retention'),
    el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Weekly cohort retention' },
      el('table', { class: 'retention', 'data-testid': 'retention' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Signup week'), ...offsets.map((o) => el('th', { scope: 'col' }, `Week ${o}`)))),
        el('tbody', {}, ...rows))));
}

function leaderboards(response) {
  const boards = new Map();
  for (const s of response.series) {
    if (!isLeaderboard(s.metricName)) continue;
    const board = `${s.metricName}|${dims(s).currency ?? ''}`;
    if (!boards.has(board)) boards.set(board, []);
    boards.get(board).push(s);
  }
  if (!boards.size) return null;
  const tables = [...boards].map(([board, series]) => {
    const [metric, currency] = board.split('|');
    const latest = series.flatMap((s) => s.points.map((p) => p.timestamp)).sort((a, b) => Date.parse(a) - Date.parse(b)).at(-1);
    const entries = series
      .map((s) => ({ rank: Number(dims(s).rank), id: dims(s).tutorId ?? dims(s).courseId, point: s.points.find((p) => p.timestamp === latest) }))
      .filter((e) => e.point)
      .sort((a, b) => a.rank - b.rank);
    const slug = `leader-${metric}${currency ? `-${currency}` : ''}`;
    return el('div', { class: 'leaderboard', 'data-testid': slug, 'data-bucket': latest },
      el('h3', {}, label(metric), currency ? ` (${currency})` : null, el('span', { class: 'how' }, `bucket of ${date(latest)}`)),
      el('table', {},
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Rank'), el('th', { scope: 'col' }, metric.includes('tutors') ? 'Tutor' : 'Course'), el('th', { scope: 'col' }, 'Value'))),
        el('tbody', {}, ...entries.map((e) => el('tr', { 'data-testid': `${slug}-${e.rank}`, 'data-id': e.id, 'data-value': e.point.value },
          el('td', {}, String(e.rank)), el('td', {}, e.id), el('td', {}, format(metric, e.point.value, currency || undefined)))))));
  });
  return el('section', { class: 'block', 'aria-labelledby': 'leaders-title' },
    el('h2', { id: 'leaders-title' }, 'Leaderboards'),
    el('div', { class: 'leaderboards' }, ...tables));
}

/**
 * Fills the panel with one dashboard; `onDrawn` runs once every chart has drawn. Returns the
 * uPlot instances, to resize and destroy.
 */
export function renderDashboard(panel, { current, previous, weekly }, onDrawn) {
  const charts = [];
  const { section, draw } = chartSection(current, charts, onDrawn);
  const parts = [headlines(current, previous), revenueTable(current), funnel(current), section, retention(weekly), leaderboards(current)];
  panel.replaceChildren(...parts.filter(Boolean));
  for (const fill of panel.querySelectorAll('.fill')) fill.style.width = `${Number(fill.dataset.width) * 100}%`;
  draw();
  return charts;
}
