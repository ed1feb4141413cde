// Time to a fully drawn overview tab, and the bytes the page transfers, in Debian's Chromium
// (Playwright) against a running app with the demo platform. Started by bench/dashboard.sh:
//   BASE_URL=http://127.0.0.1:PORT JWT_SECRET=... RUNS=15 node bench/dashboard/bench.mjs
// Each run is a fresh browser context (cold cache) loading /admin/#overview signed in. In the
// same run, two baselines: the page's GraphQL requests alone (fetched from the page's origin,
// as the page sends them), and the page loaded without a token (its files, no data, no chart).

import { dashboard, launch, token, DASHBOARD_QUERY } from '../../tests/dashboard/lib.mjs';

const { BASE_URL: base, JWT_SECRET: secret } = process.env;
const runs = Number(process.env.RUNS ?? 15);
if (!base || !secret) throw new Error('BASE_URL and JWT_SECRET are required');
const admin = token(secret, { sub: 'admin-bench', role: 'admin' });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];

const browser = await launch();
const drawn = [];
const fetched = [];
const blank = [];
let bytes;

async function context(withToken) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (withToken) await ctx.addInitScript((jwt) => sessionStorage.setItem('adminToken', jwt), admin);
  return ctx;
}

try {
  const { series } = await dashboard(base, admin, { dashboard: 'OVERVIEW' });
  if (!series.some((s) => s.points.some((p) => p.value !== 0))) throw new Error('the overview is empty: load the demo platform first');

  for (let i = 0; i < runs + 1; i++) {
    // The dashboard, from navigation start to the last chart drawn.
    const ctx = await context(true);
    const page = await ctx.newPage();
    await page.goto(`${base}/admin/#overview`);
    await page.waitForFunction(() => performance.getEntriesByName('dashboard-drawn').length > 0, null, { timeout: 30_000 });
    const m = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const resources = performance.getEntriesByType('resource');
      const sum = (list, key) => list.reduce((s, e) => s + e[key], 0);
      const api = resources.filter((e) => e.name.endsWith('/graphql'));
      const files = resources.filter((e) => !e.name.endsWith('/graphql'));
      return {
        ms: performance.getEntriesByName('dashboard-drawn')[0].startTime,
        transferred: nav.transferSize + sum(resources, 'transferSize'),
        files: nav.transferSize + sum(files, 'transferSize'),
        filesDecoded: nav.decodedBodySize + sum(files, 'decodedBodySize'),
        api: sum(api, 'transferSize'),
        requests: resources.length + 1,
      };
    });
    // Baseline 1: the same GraphQL requests alone, from a page of the same origin.
    const ms = await page.evaluate(async ({ query, jwt }) => {
      const today = new Date().toISOString().slice(0, 10);
      const day = 86_400_000;
      const from = new Date(Date.parse(today) - 29 * day).toISOString().slice(0, 10);
      const prevTo = new Date(Date.parse(from) - day).toISOString().slice(0, 10);
      const prevFrom = new Date(Date.parse(prevTo) - 29 * day).toISOString().slice(0, 10);
      const one = (from, to) => fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
        body: JSON.stringify({ query, variables: { dashboard: 'OVERVIEW', from, to, granularity: 'DAY' } }),
      }).then((r) => r.json());
      const t0 = performance.now();
      await Promise.all([one(from, today), one(prevFrom, prevTo)]);
      return performance.now() - t0;
    }, { query: DASHBOARD_QUERY, jwt: admin });
    await ctx.close();

    // Baseline 2: the page without a token (its files and the sign-in form).
    const bare = await context(false);
    const bp = await bare.newPage();
    await bp.goto(`${base}/admin/`, { waitUntil: 'load' });
    const loadMs = await bp.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
    await bare.close();

    if (i === 0) continue; // warm-up: the host compiles and instantiates the components
    drawn.push(m.ms);
    fetched.push(ms);
    blank.push(loadMs);
    bytes = m;
  }
} finally {
  await browser.close();
}

const row = (name, xs) => `| ${name} | ${median(xs).toFixed(0)} ms | ${p90(xs).toFixed(0)} ms |`;
console.log(`runs: ${runs} (after one warm-up), cold cache each\n`);
console.log('| measure | median | p90 |\n|---|---|---|');
console.log(row('overview drawn (navigation start to the last chart)', drawn));
console.log(row('baseline: its GraphQL requests alone', fetched));
console.log(row('baseline: the page without data (load event)', blank));
console.log(`| **drawn / GraphQL alone** | **${(median(drawn) / median(fetched)).toFixed(2)}** | |`);
console.log(`| **drawn / page without data** | **${(median(drawn) / median(blank)).toFixed(2)}** | |`);
console.log(`\nbytes transferred: ${bytes.transferred} in ${bytes.requests} requests ` +
  `(files ${bytes.files}, ${bytes.filesDecoded} decoded; GraphQL responses ${bytes.api})`);
