// What GraphQL costs over the components' own routes: p50 and p99 latency of the subgraph's
// main queries through the host, against the same data read from the metrics and recommend
// routes in the same run. Started by bench/graphql.sh:
//   BASE_URL=http://127.0.0.1:PORT TOKEN=<admin JWT> STUDENTS=usr_a,usr_b SUBJECT=Python \
//   RUNS=200 node bench/graphql/bench.mjs
// Each run sends every pair once, route and query back to back (their order alternating), for
// students in turn; the first tenth of the runs warms up and is not counted. Every answer is
// checked (status, no errors, the same number of items) so a fast failure is not measured.

import http from 'node:http';

const { BASE_URL: base, TOKEN: token, STUDENTS: students, SUBJECT: subject } = process.env;
const runs = Number(process.env.RUNS ?? 200);
const goal = process.env.GOAL ?? 'Learn Python for data science';
if (!base || !token || !students || !subject) throw new Error('BASE_URL, TOKEN, STUDENTS and SUBJECT are required');
const users = students.split(',');
const auth = { authorization: `Bearer ${token}` };

// The client: Node's `http` module over one kept-alive connection, as a router holds its
// connections to a subgraph; headers and body go out in one write. `CLIENT=fetch` uses
// `fetch` instead, whose request bodies pass through a web stream: measured on this host,
// a POST reached the server 0.26 ms later than a GET of the same operation (BENCHMARKS.md).
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const send = process.env.CLIENT === 'fetch' ? sendWithFetch : sendWithHttp;

function sendWithHttp(path, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const all = { ...headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) };
    const req = http.request(`${base}${path}`, { method, headers: all, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function sendWithFetch(path, init) {
  const response = await fetch(`${base}${path}`, init);
  return { status: response.status, text: await response.text() };
}

async function request(path, init = {}) {
  const { status, text } = await send(path, { ...init, headers: { ...auth, ...init.headers } });
  if (status !== 200) throw new Error(`${path}: ${status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

function graphql(query, variables) {
  return request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  }).then((answer) => {
    if (answer.errors) throw new Error(`GraphQL errors: ${JSON.stringify(answer.errors)}`);
    return answer.data;
  });
}

// Each pair: the route, the query, and how many items each answered (they must agree).
const PAIRS = [
  {
    name: 'overview dashboard',
    route: () => request('/metrics/overview').then((d) => d.series.length),
    query: () => graphql(`{ getDashboardMetrics(dashboard: OVERVIEW) { refreshedAt timeZone granularity
      series { metricName dimensions points { timestamp value } } } }`).then((d) => d.getDashboardMetrics.series.length),
  },
  {
    name: 'recommended tutors, ranked (subject filter)',
    route: (u) => request(`/recommendations/${u}/tutors?limit=10&subject=${encodeURIComponent(subject)}`).then((d) => d.items.length),
    query: (u) => graphql(`query($u: ID!, $s: String) { getRecommendedTutors(userId: $u, limit: 10, filters: {subject: $s}) {
      rank tutor { id } score explanation } }`, { u, s: subject }).then((d) => d.getRecommendedTutors.length),
  },
  {
    name: 'recommended tutors, stored',
    route: (u) => request(`/recommendations/${u}`).then((d) => Math.min(10, d.recommendedTutorIds.length)),
    query: (u) => graphql(`query($u: ID!) { getRecommendedTutors(userId: $u, limit: 10) {
      rank tutor { id } score explanation recommendation { recommendationId confidenceScore generatedAt stale } } }`, { u })
      .then((d) => d.getRecommendedTutors.length),
  },
  {
    name: 'study plan',
    route: (u) => request('/study-plans', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: u, goal }),
    }).then((d) => d.steps.length),
    query: (u) => graphql(`query($u: ID!, $g: String!) { getStudyPlan(userId: $u, goal: $g) { userId goal level estimatedHours
      steps { __typename ... on CourseStep { course { id } title subject level hours }
              ... on TutorSessionsStep { tutor { id } subject sessions hours explanation } }
      skipped { course { id } reason } } }`, { u, g: goal }).then((d) => d.getStudyPlan.steps.length),
  },
];

async function timed(call) {
  const started = process.hrtime.bigint();
  const items = await call();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, items };
}

const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

const warmup = Math.max(1, Math.floor(runs / 10));
const samples = PAIRS.map(() => ({ route: [], query: [] }));
for (let run = 0; run < warmup + runs; run++) {
  const user = users[run % users.length];
  for (const [i, pair] of PAIRS.entries()) {
    const order = run % 2 ? ['query', 'route'] : ['route', 'query'];
    const got = {};
    for (const side of order) got[side] = await timed(() => pair[side](user));
    if (got.route.items !== got.query.items) {
      throw new Error(`${pair.name} for ${user}: the route answered ${got.route.items} items, GraphQL ${got.query.items}`);
    }
    if (run >= warmup) for (const side of order) samples[i][side].push(got[side].ms);
  }
}

const f = (ms) => ms.toFixed(2).padStart(7);
console.log(`${runs} runs (+${warmup} warm-up) over ${users.length} students, client ${process.env.CLIENT === 'fetch' ? 'fetch' : 'node:http'}; milliseconds`);
console.log('| query | route p50 | GraphQL p50 | ratio p50 | route p99 | GraphQL p99 | ratio p99 |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [i, pair] of PAIRS.entries()) {
  const { route, query } = samples[i];
  const [r50, q50, r99, q99] = [percentile(route, 50), percentile(query, 50), percentile(route, 99), percentile(query, 99)];
  console.log(`| ${pair.name} | ${f(r50)} | ${f(q50)} | ${(q50 / r50).toFixed(2)} | ${f(r99)} | ${f(q99)} | ${(q99 / r99).toFixed(2)} |`);
}
