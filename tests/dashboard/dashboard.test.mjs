// The admin dashboard in a real browser (Debian's Chromium through Playwright), against a
// running app with the demo platform loaded and refreshed. Run by tests/e2e/dashboard.rs:
//   BASE_URL=http://127.0.0.1:PORT JWT_SECRET=... FROM=2026-03-01 TO=2026-04-30 \
//   SCREENSHOTS=target/dashboard-screenshots node tests/dashboard/dashboard.test.mjs
// Every number the page shows is compared with what POST /graphql returns for the same view.
// Exits non-zero on the first failed check.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dashboard, graphql, launch, token } from './lib.mjs';

const { BASE_URL: base, JWT_SECRET: secret, FROM: from, TO: to } = process.env;
const shots = process.env.SCREENSHOTS ?? 'target/dashboard-screenshots';
for (const [name, value] of Object.entries({ BASE_URL: base, JWT_SECRET: secret, FROM: from, TO: to })) {
  assert.ok(value, `${name} is required`);
}
mkdirSync(shots, { recursive: true });

const TABS = ['overview', 'engagement', 'tutoring', 'revenue', 'learning'];
// The documented headline rule: these metrics show the period's sum, the others its latest bucket.
const SUMMED = new Set(['new_registrations', 'sessions_booked', 'sessions_completed', 'sessions_cancelled',
  'booked_hours', 'revenue_gross', 'revenue_refunds', 'revenue_net', 'enrollments', 'lesson_completions',
  'course_completions', 'reviews']);
const COHORT = new Set(['funnel_users', 'retention_users', 'retention_rate']);
const DAY = 86_400_000;

const admin = token(secret, { sub: 'admin-1', roles: ['admin'] });
const student = token(secret, { sub: 'stu-1', role: 'student' });
const expired = token(secret, { sub: 'admin-1', role: 'admin' }, -120);
const wrongKey = token('not-the-app-secret-but-32-bytes-long!', { sub: 'admin-1', role: 'admin' });

const problems = [];
const browser = await launch();
let checks = 0;

function near(actual, expected, what) {
  checks += 1;
  const a = Number(actual);
  assert.ok(actual !== '' && Number.isFinite(a), `${what}: shown ${JSON.stringify(actual)}, API ${expected}`);
  assert.ok(Math.abs(a - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: shown ${a}, API ${expected}`);
}

async function newPage(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`); });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  return page;
}

const viewUrl = (tab, granularity = 'DAY', search = '') => `${base}/admin/${search}#${tab}?from=${from}&to=${to}&granularity=${granularity}`;
const ready = (page, tab) => page.locator(`#panel[data-state=ready][data-dashboard=${tab.toUpperCase()}]`).waitFor({ timeout: 20_000 });
const attr = (page, testid, name = 'data-value') => page.getByTestId(testid).getAttribute(name);

function previousRange() {
  const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY) + 1;
  const prevTo = Date.parse(from) - DAY;
  const iso = (ms) => new Date(ms).toISOString().slice(0, 10);
  return { from: iso(prevTo - (days - 1) * DAY), to: iso(prevTo) };
}

const periodValue = (metric, points) => (points.length === 0 ? null
  : SUMMED.has(metric) ? points.reduce((s, p) => s + p.value, 0) : points.at(-1).value);

async function signIn(page, jwt, tab = 'overview') {
  await page.goto(viewUrl(tab));
  await page.getByTestId('token').fill(jwt);
  await page.getByTestId('token').press('Tab');
  await page.keyboard.press('Enter');
}

async function expectError(page, code, pattern) {
  const error = page.getByTestId('error');
  await error.waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await error.getAttribute('data-code'), code);
  assert.match(await error.textContent(), pattern);
  assert.ok(await page.getByTestId('token').isVisible(), 'the sign-in form is shown again');
  assert.ok(!(await page.locator('#dashboard').isVisible()), 'no dashboard without a valid admin token');
  checks += 3;
}

/** Every number on one tab against the API's answer for the same view. */
async function checkTab(page, tab, granularity) {
  const vars = { dashboard: tab.toUpperCase(), from, to, granularity };
  const [current, previous] = await Promise.all([dashboard(base, admin, vars), dashboard(base, admin, { ...vars, ...previousRange() })]);
  assert.equal(current.dashboard, tab.toUpperCase());
  assert.ok(current.series.length > 0, `${tab}: the demo platform gives series`);
  const refreshed = await page.locator('[data-testid=refreshed-at] time').getAttribute('datetime');
  assert.equal(refreshed, current.refreshedAt, 'refreshed-at is the API\'s');

  // Headlines, with the previous period.
  const dims = (s) => s.dimensions ?? {};
  const key = (s) => `${s.metricName}|${JSON.stringify(dims(s))}`;
  const before = new Map(previous.series.map((s) => [key(s), s]));
  const cards = current.series.filter((s) => !s.metricName.startsWith('top_') && !COHORT.has(s.metricName)
    && s.metricName !== 'funnel_conversion' && Object.keys(dims(s)).every((k) => k === 'currency'));
  assert.equal(await page.locator('.headlines .card').count(), cards.length, `${tab}: one card per headline series`);
  for (const s of cards) {
    const id = `headline-${s.metricName}${dims(s).currency ? `-${dims(s).currency}` : ''}`;
    near(await attr(page, `${id}-value`), periodValue(s.metricName, s.points), id);
    const prior = periodValue(s.metricName, before.get(key(s))?.points ?? []);
    if (prior === null) assert.equal(await attr(page, `${id}-change`, 'data-previous'), '');
    else near(await attr(page, `${id}-change`, 'data-previous'), prior, `${id} previous`);
  }

  // Charts: every point of every charted series, in the chart's data table.
  const charted = new Map();
  for (const s of current.series) {
    if (s.metricName.startsWith('top_') || COHORT.has(s.metricName)) continue;
    if (!charted.has(s.metricName)) charted.set(s.metricName, []);
    charted.get(s.metricName).push(s);
  }
  assert.equal(await page.locator('figure.chart').count(), charted.size, `${tab}: one chart per metric`);
  assert.equal(await page.locator('figure.chart canvas').count(), charted.size, `${tab}: every chart drawn`);
  for (const [metric, group] of charted) {
    const cells = await page.getByTestId(`table-${metric}`).evaluate((table) =>
      Object.fromEntries([...table.querySelectorAll('td')].map((td) => [td.dataset.testid, td.dataset.value])));
    const stamps = new Set(group.flatMap((s) => s.points.map((p) => p.timestamp.slice(0, 10))));
    assert.equal(Object.keys(cells).length, stamps.size * group.length, `${metric}: cells`);
    group.forEach((s, i) => {
      for (const p of s.points) near(cells[`cell-${metric}-${i}-${p.timestamp.slice(0, 10)}`], p.value, `${tab} ${metric} ${JSON.stringify(dims(s))} ${p.timestamp}`);
    });
  }

  // Revenue per currency.
  for (const s of current.series) {
    if (['revenue_gross', 'revenue_refunds', 'revenue_net'].includes(s.metricName) && Object.keys(dims(s)).join() === 'currency') {
      near(await attr(page, `revenue-${dims(s).currency}-${s.metricName}`), periodValue(s.metricName, s.points), `${tab} revenue ${dims(s).currency}`);
    }
  }

  const revenueColumns = new Set(current.series.filter((s) => ['revenue_gross', 'revenue_refunds', 'revenue_net'].includes(s.metricName)
    && Object.keys(dims(s)).join() === 'currency').map((s) => s.metricName));
  assert.equal(await page.locator('[data-testid=revenue-table] thead th').count(), revenueColumns.size ? revenueColumns.size + 1 : 0, `${tab}: revenue columns`);

  // The 30-day funnel: cohort users per step, summed over the period's cohorts.
  const funnel = current.series.filter((s) => s.metricName === 'funnel_users');
  if (tab === 'engagement') assert.ok(funnel.length === 3, 'engagement has the funnel');
  for (const s of funnel) near(await attr(page, `funnel-${dims(s).step}`), s.points.reduce((a, p) => a + p.value, 0), `funnel ${dims(s).step}`);

  // Weekly cohort retention (asked for by week whatever the charts' granularity).
  if (tab === 'engagement') {
    const weekly = granularity === 'WEEK' ? current : await dashboard(base, admin, { ...vars, granularity: 'WEEK' });
    const rates = weekly.series.filter((s) => s.metricName === 'retention_rate' && 'week' in dims(s));
    assert.ok(rates.length > 1, 'the demo platform has retention cells');
    let cells = 0;
    for (const s of rates) {
      for (const p of s.points) {
        near(await attr(page, `retention-${p.timestamp.slice(0, 10)}-${dims(s).week}`), p.value, `retention ${p.timestamp} week ${dims(s).week}`);
        cells += 1;
      }
    }
    assert.equal(await page.locator('[data-testid^=retention-]').count(), cells, 'no extra retention cells');
  }

  // Leaderboards: the latest bucket's top 10, per currency for money.
  const boards = new Map();
  for (const s of current.series.filter((x) => x.metricName.startsWith('top_'))) {
    const slug = `leader-${s.metricName}${dims(s).currency ? `-${dims(s).currency}` : ''}`;
    if (!boards.has(slug)) boards.set(slug, []);
    boards.get(slug).push(s);
  }
  for (const [slug, series] of boards) {
    const latest = series.flatMap((s) => s.points.map((p) => p.timestamp)).sort((a, b) => Date.parse(a) - Date.parse(b)).at(-1);
    assert.equal(await attr(page, slug, 'data-bucket'), latest);
    const entries = series.filter((s) => s.points.some((p) => p.timestamp === latest));
    assert.equal(await page.locator(`[data-testid^="${slug}-"]`).count(), entries.length, `${slug}: entries`);
    for (const s of entries) {
      const row = `${slug}-${dims(s).rank}`;
      assert.equal(await attr(page, row, 'data-id'), dims(s).tutorId ?? dims(s).courseId, `${row} id`);
      near(await attr(page, row), s.points.find((p) => p.timestamp === latest).value, row);
    }
  }
  if (['tutoring', 'revenue', 'learning'].includes(tab)) assert.ok(boards.size > 0, `${tab} has leaderboards`);
}

try {
  // Error states: no token, not a JWT, expired, signed with another key, not an admin.
  const page = await newPage();
  await page.goto(viewUrl('overview'));
  await page.getByTestId('sign-in').click();
  await expectError(page, 'UNAUTHENTICATED', /Paste an admin token/);
  await signIn(page, 'not-a-token');
  await expectError(page, 'UNAUTHENTICATED', /not a token/);
  await signIn(page, expired);
  await expectError(page, 'UNAUTHENTICATED', /expired on/);
  await signIn(page, wrongKey);
  await expectError(page, 'UNAUTHENTICATED', /refused/);
  await signIn(page, student);
  await expectError(page, 'FORBIDDEN', /not belong to an admin/);
  await page.screenshot({ path: join(shots, 'sign-in-forbidden.png') });

  // A token that expires while stored is caught by the API (not only before sending).
  const stale = await newPage();
  await stale.addInitScript((jwt) => sessionStorage.setItem('adminToken', jwt), expired);
  await stale.goto(viewUrl('overview'));
  await expectError(stale, 'UNAUTHENTICATED', /expired on/);
  await stale.context().close();

  // Sign in, then every tab by click, compared with the API.
  await signIn(page, admin);
  await ready(page, 'overview');
  const drawn = await page.evaluate(() => performance.getEntriesByName('dashboard-drawn').length);
  assert.ok(drawn >= 1, 'the page marks dashboard-drawn');
  for (const tab of TABS) {
    await page.getByTestId(`tab-${tab}`).click();
    await ready(page, tab);
    assert.equal(await page.getByTestId(`tab-${tab}`).getAttribute('aria-selected'), 'true');
    assert.match(page.url(), new RegExp(`#${tab}\\?`));
    await checkTab(page, tab, 'DAY');
    await page.screenshot({ path: join(shots, `${tab}.png`), fullPage: true });
  }

  // The keyboard: arrows, Home and End move between tabs and load them.
  await page.getByTestId('tab-learning').focus();
  await page.keyboard.press('Home');
  await ready(page, 'overview');
  await page.keyboard.press('ArrowRight');
  await ready(page, 'engagement');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'tab-engagement');
  await page.keyboard.press('End');
  await ready(page, 'learning');
  await page.keyboard.press('ArrowRight');
  await ready(page, 'overview');

  // Another granularity through the form (keyboard only), checked the same way.
  await page.getByTestId('tab-engagement').click();
  await ready(page, 'engagement');
  await page.getByTestId('granularity').selectOption('WEEK');
  await page.getByTestId('granularity').press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash.includes('granularity=WEEK'));
  await ready(page, 'engagement');
  await checkTab(page, 'engagement', 'WEEK');

  // The refresh button runs the mutation and shows the new refresh time.
  const before = await page.locator('[data-testid=refreshed-at] time').getAttribute('datetime');
  await page.getByTestId('refresh').click();
  await page.getByTestId('status').filter({ hasText: /Refreshed/ }).waitFor({ timeout: 20_000 });
  await page.waitForFunction((old) => document.querySelector('[data-testid=refreshed-at] time')?.dateTime !== old, before);
  const latest = await dashboard(base, admin, { dashboard: 'ENGAGEMENT', from, to, granularity: 'WEEK' });
  assert.equal(await page.locator('[data-testid=refreshed-at] time').getAttribute('datetime'), latest.refreshedAt);
  await page.context().close();

  // Refreshing on its own: a refresh made elsewhere shows up without a click (polling every second here).
  const open = await newPage();
  await open.addInitScript((jwt) => sessionStorage.setItem('adminToken', jwt), admin);
  await open.goto(viewUrl('overview', 'DAY', '?poll=1'));
  await ready(open, 'overview');
  const shown = await open.locator('[data-testid=refreshed-at] time').getAttribute('datetime');
  const run = await graphql(base, admin, 'mutation Refresh { refreshDashboardMetrics { fromSeq toSeq morePending bucketsRecomputed } }');
  assert.ok(!run.errors, JSON.stringify(run.errors));
  await open.waitForFunction((old) => document.querySelector('[data-testid=refreshed-at] time')?.dateTime !== old, shown, { timeout: 10_000 });
  await open.context().close();

  // A phone: one column, nothing wider than the screen.
  const phone = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await phone.addInitScript((jwt) => sessionStorage.setItem('adminToken', jwt), admin);
  for (const tab of ['overview', 'engagement']) {
    await phone.goto(viewUrl(tab));
    await ready(phone, tab);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${tab} on a phone is ${overflow}px wider than the screen`);
    await phone.screenshot({ path: join(shots, `${tab}-phone.png`), fullPage: true });
  }
  // Without a view in the URL: the overview of the last 30 days, by day.
  await phone.goto(`${base}/admin/`);
  await ready(phone, 'overview');
  const today = new Date().toISOString().slice(0, 10);
  assert.equal(await phone.getByTestId('to').inputValue(), today);
  assert.equal(await phone.getByTestId('from').inputValue(), new Date(Date.parse(today) - 29 * DAY).toISOString().slice(0, 10));
  assert.equal(await phone.getByTestId('granularity').inputValue(), 'DAY');
  await phone.context().close();

  assert.deepEqual(problems, [], 'no console errors or warnings, no failed requests');
  console.log(`dashboard browser tests passed: ${checks} numbers and states checked; screenshots in ${shots}`);
} finally {
  await browser.close();
}
