// The admin dashboard: sign-in, one tab per DashboardType, the date range, and refreshes.
// State lives in the URL hash (`#revenue?from=2026-04-01&to=2026-04-30&granularity=WEEK`),
// so a view can be bookmarked; the token lives in this tab's sessionStorage only.

import { ApiError, DASHBOARD_QUERY, REFRESH_MUTATION, graphql, tokenProblem } from './api.js';
import { renderDashboard } from './render.js';

const DASHBOARDS = ['OVERVIEW', 'ENGAGEMENT', 'TUTORING', 'REVENUE', 'LEARNING'];
const GRANULARITIES = ['DAY', 'WEEK', 'MONTH'];
/** How often an open dashboard reloads itself: a minute, or `?poll=SECONDS` (for tests). */
const POLL_MS = Math.max(1, Number(new URLSearchParams(location.search).get('poll')) || 60) * 1000;
const TOKEN_KEY = 'adminToken';
const DAY_MS = 86_400_000;

const $ = (id) => document.getElementById(id);
const ui = {
  error: $('error'), status: $('status'), signIn: $('sign-in'), form: $('sign-in-form'),
  token: $('token'), dashboard: $('dashboard'), tabs: $('tabs'), range: $('range'),
  panel: $('panel'), session: $('session'), refreshed: $('refreshed'), refresh: $('refresh'),
  signOut: $('sign-out'),
};

const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);

let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
let view = readHash();
let charts = [];
let loadCount = 0;
let refreshedAt = null;

/** The view in the URL hash, with defaults: the overview of the last 30 days, by day. */
function readHash() {
  const [name, query = ''] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(query);
  const dashboard = DASHBOARDS.find((d) => d === name.toUpperCase()) ?? 'OVERVIEW';
  const validDate = (v) => /^\d{4}-\d{2}-\d{2}$/.test(v ?? '') && !Number.isNaN(Date.parse(v));
  const to = validDate(params.get('to')) ? params.get('to') : isoDate(Date.now());
  const from = validDate(params.get('from')) && params.get('from') <= to ? params.get('from') : isoDate(Date.parse(to) - 29 * DAY_MS);
  const g = (params.get('granularity') ?? '').toUpperCase();
  return { dashboard, from, to, granularity: GRANULARITIES.includes(g) ? g : 'DAY' };
}

function writeHash() {
  const hash = `#${view.dashboard.toLowerCase()}?from=${view.from}&to=${view.to}&granularity=${view.granularity}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

/** The period of the same length just before the view's, for the headline changes. */
export function previousRange(from, to) {
  const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
  const prevTo = Date.parse(from) - DAY_MS;
  return { from: isoDate(prevTo - (days - 1) * DAY_MS), to: isoDate(prevTo) };
}

function showError(error) {
  ui.error.textContent = error ? error.message : '';
  ui.error.dataset.code = error?.code ?? '';
  ui.error.hidden = !error;
}

function showSignIn(error) {
  showError(error);
  destroyCharts();
  ui.dashboard.hidden = true;
  ui.session.hidden = true;
  ui.signIn.hidden = false;
  ui.token.value = '';
  ui.token.focus();
}

function showDashboard() {
  ui.signIn.hidden = true;
  ui.dashboard.hidden = false;
  ui.session.hidden = false;
  renderTabs();
  ui.range.elements.from.value = view.from;
  ui.range.elements.to.value = view.to;
  ui.range.elements.granularity.value = view.granularity;
}

function renderTabs() {
  ui.tabs.replaceChildren(...DASHBOARDS.map((d) => {
    const tab = document.createElement('button');
    const selected = d === view.dashboard;
    Object.assign(tab, { type: 'button', id: `tab-${d.toLowerCase()}`, textContent: d.charAt(0) + d.slice(1).toLowerCase() });
    tab.setAttribute('role', 'tab');
    tab.setAttribute('aria-selected', String(selected));
    tab.setAttribute('aria-controls', 'panel');
    tab.setAttribute('data-testid', `tab-${d.toLowerCase()}`);
    tab.tabIndex = selected ? 0 : -1;
    return tab;
  }));
  ui.panel.setAttribute('aria-labelledby', `tab-${view.dashboard.toLowerCase()}`);
}

function destroyCharts() {
  for (const chart of charts) chart.destroy();
  charts = [];
}

function describeRefreshed() {
  if (!refreshedAt) {
    ui.refreshed.textContent = 'Metrics never refreshed yet';
    return;
  }
  const minutes = Math.round((Date.now() - Date.parse(refreshedAt)) / 60_000);
  const ago = minutes < 1 ? 'less than a minute ago' : minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
  const at = new Date(refreshedAt).toLocaleString();
  ui.refreshed.replaceChildren('Metrics refreshed ', Object.assign(document.createElement('time'), { dateTime: refreshedAt, textContent: ago, title: at }));
}

/** Loads the view's dashboard (and what its headlines and cohort table need) and draws it. */
async function load({ quiet = false } = {}) {
  const mine = ++loadCount;
  writeHash();
  if (!quiet) {
    ui.panel.setAttribute('aria-busy', 'true');
    ui.panel.dataset.state = 'loading';
    ui.status.textContent = 'Loading…';
  }
  const vars = { dashboard: view.dashboard, from: view.from, to: view.to, granularity: view.granularity };
  const get = (v) => graphql(token, DASHBOARD_QUERY, v).then((d) => d.getDashboardMetrics);
  try {
    const [current, previous, weekly] = await Promise.all([
      get(vars),
      get({ ...vars, ...previousRange(view.from, view.to) }),
      // The cohort retention table is weekly whatever the charts' granularity.
      view.dashboard === 'ENGAGEMENT' && view.granularity !== 'WEEK' ? get({ ...vars, granularity: 'WEEK' }) : null,
    ]);
    if (mine !== loadCount) return;
    showError(null);
    refreshedAt = current.refreshedAt;
    describeRefreshed();
    destroyCharts();
    charts = renderDashboard(ui.panel, { current, previous, weekly: weekly ?? current }, () => {
      if (mine !== loadCount) return;
      ui.panel.setAttribute('aria-busy', 'false');
      ui.panel.dataset.state = 'ready';
      ui.panel.dataset.dashboard = view.dashboard;
      if (!quiet) ui.status.textContent = `${view.dashboard.charAt(0)}${view.dashboard.slice(1).toLowerCase()} loaded`;
      performance.mark('dashboard-drawn');
    });
  } catch (error) {
    if (mine !== loadCount) return;
    if (!(error instanceof ApiError)) throw error;
    if (error.isAuth) {
      sessionStorage.removeItem(TOKEN_KEY);
      token = '';
      showSignIn(error);
    } else {
      showError(error);
      ui.panel.setAttribute('aria-busy', 'false');
      ui.panel.dataset.state = 'error';
      ui.status.textContent = '';
    }
  }
}

function selectTab(dashboard, focus) {
  view = { ...view, dashboard };
  renderTabs();
  if (focus) $(`tab-${dashboard.toLowerCase()}`).focus();
  load();
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const candidate = ui.token.value.trim();
  const problem = tokenProblem(candidate);
  if (problem) {
    showError(problem);
    ui.token.focus();
    return;
  }
  token = candidate;
  sessionStorage.setItem(TOKEN_KEY, token);
  showError(null);
  showDashboard();
  load();
});

ui.signOut.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  token = '';
  showSignIn(null);
});

ui.tabs.addEventListener('click', (event) => {
  const tab = event.target.closest('[role=tab]');
  if (tab) selectTab(DASHBOARDS[[...ui.tabs.children].indexOf(tab)], false);
});

// Arrow keys, Home and End move between tabs (the WAI-ARIA tabs pattern).
ui.tabs.addEventListener('keydown', (event) => {
  const at = DASHBOARDS.indexOf(view.dashboard);
  const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: DASHBOARDS.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  selectTab(DASHBOARDS[(moves[event.key] + DASHBOARDS.length) % DASHBOARDS.length], true);
});

ui.range.addEventListener('submit', (event) => {
  event.preventDefault();
  const { from, to, granularity } = ui.range.elements;
  if (!from.value || !to.value || from.value > to.value) {
    showError(new ApiError('BAD_USER_INPUT', 'Pick a start date on or before the end date.'));
    return;
  }
  view = { ...view, from: from.value, to: to.value, granularity: granularity.value };
  load();
});

ui.refresh.addEventListener('click', async () => {
  ui.refresh.disabled = true;
  ui.status.textContent = 'Refreshing the metrics…';
  try {
    const { refreshDashboardMetrics: run } = await graphql(token, REFRESH_MUTATION);
    ui.status.textContent = run.toSeq > run.fromSeq
      ? `Refreshed: ${run.toSeq - run.fromSeq} new events, ${run.bucketsRecomputed} buckets recomputed${run.morePending ? ' (more pending)' : ''}.`
      : 'Refreshed: no new events.';
    await load({ quiet: true });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.isAuth) showSignIn(error);
    else showError(error);
  } finally {
    ui.refresh.disabled = false;
  }
});

window.addEventListener('hashchange', () => {
  view = readHash();
  if (token) {
    showDashboard();
    load();
  }
});

// Resize the charts with their boxes (a phone turned sideways, a narrower window).
new ResizeObserver(() => {
  for (const chart of charts) {
    const width = Math.max(chart.root.parentElement.clientWidth, 240);
    if (Math.abs(width - chart.width) > 4) chart.setSize({ width, height: chart.height });
  }
}).observe(ui.panel);

// Reload on its own while open and visible; keep "refreshed N minutes ago" current.
setInterval(() => {
  if (token && document.visibilityState === 'visible') load({ quiet: true });
}, POLL_MS);
setInterval(() => { if (token) describeRefreshed(); }, 15_000);

if (token) {
  showDashboard();
  load();
} else {
  showSignIn(null);
}
