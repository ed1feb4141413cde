// Our subgraph against Apollo's own federation tooling. Run by tests/e2e/federation.rs:
//   SUBGRAPH_URL=http://127.0.0.1:PORT/graphql JWT_SECRET=... SCHEMA_FILE=schema.graphql \
//   FEDERATION_DATA='{"users":[...],"tutors":[...],"courses":[...],"student":"...",...}' \
//   node tests/federation/federation.test.mjs
// It composes our live SDL with users, tutors and courses subgraphs (subgraphs.mjs), runs
// @apollo/gateway in front of all four and checks what crosses them. Prints one line per
// check and a summary; exits non-zero when any check fails.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { compose, post, startGateway } from './gateway.mjs';
import { startSubgraphs, subgraphDefinitions } from './subgraphs.mjs';

const { SUBGRAPH_URL: ours, JWT_SECRET: secret, SCHEMA_FILE: schemaFile, FEDERATION_DATA: rawData } = process.env;
for (const [name, value] of Object.entries({ SUBGRAPH_URL: ours, JWT_SECRET: secret, SCHEMA_FILE: schemaFile, FEDERATION_DATA: rawData })) {
  assert.ok(value, `${name} is required`);
}
const data = JSON.parse(rawData);
const tutorNames = new Map(data.tutors.map((t) => [t.id, t.name]));
const courseTitles = new Map(data.courses.map((c) => [c.id, c.title]));
const userNames = new Map(data.users.map((u) => [u.id, u.name]));

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An HS256 JWT signed with the app's `jwt_secret`. */
function token(claims) {
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: now - 60, exp: now + 3600, ...claims })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
const admin = token({ sub: 'admin-1', role: 'admin' });
const student = token({ sub: data.student, role: 'student' });

const results = [];
async function check(name, body) {
  const started = performance.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Math.round(performance.now() - started)} ms)`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}\n     ${String(error?.stack ?? error).replaceAll('\n', '\n     ')}`);
  }
}

/** The data of an answer that must have no errors. */
function ok(answer) {
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
  return answer.data;
}

/** The `extensions.code` of an answer's first error. */
function code(answer) {
  assert.ok(answer.errors?.length, `expected an error, got ${JSON.stringify(answer)}`);
  return answer.errors[0].extensions?.code;
}

const ids = (list, key) => list.map((item) => item[key].id);

const sdl = ok(await post(ours, '{ _service { sdl } }'))._service.sdl;
const started = await startSubgraphs(subgraphDefinitions(data));
const subgraphs = [
  { name: 'analytics', url: ours, typeDefs: sdl },
  ...Object.entries(started).map(([name, { url, typeDefs }]) => ({ name, url, typeDefs })),
];
let gateway;

try {
  await check('the live _service SDL is schema.graphql', () => {
    assert.equal(sdl, readFileSync(schemaFile, 'utf8'));
  });

  let supergraphSdl;
  await check('composes with users, tutors and courses: no errors, no hints', () => {
    supergraphSdl = compose(subgraphs);
    // Our fields land on the users subgraph's User; Tutor and Course stay references here.
    assert.match(supergraphSdl, /recommendedTutors\(.*\): \[RecommendedTutor!\]! @join__field\(graph: ANALYTICS\)/);
    assert.match(supergraphSdl, /@join__type\(graph: ANALYTICS, key: "id", resolvable: false\)/);
  });

  // The two checks above can fail: a real error and a mere hint both stop composition.
  const variant = (name, from, to) => subgraphs.map((s) => (s.name === name ? { ...s, typeDefs: s.typeDefs.replace(from, to) } : s));
  await check('composition fails on a second owner of our User fields (error)', () => {
    assert.throws(() => compose(variant('users', 'name: String!', 'name: String! recommendedTutors: [ID!]!')),
      /error INVALID_FIELD_SHARING/);
  });
  await check('composition fails on a Course.id that disagrees with ours (hint)', () => {
    assert.throws(() => compose(variant('courses', '{ id: ID!', '{ id: ID')), /hint INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE/);
  });

  gateway = await startGateway(supergraphSdl, 'analytics');
  const { url } = gateway;

  await check("a user's recommendedTutors and recommendedCourses, named by the tutors and courses subgraphs", async () => {
    const direct = ok(await post(ours, `query($u: ID!) {
      getRecommendedTutors(userId: $u, limit: 3) { rank tutor { id } }
      getRecommendedCourses(userId: $u, limit: 3) { rank course { id } } }`, { u: data.student }, student));
    const joined = ok(await post(url, `query($u: ID!) { user(id: $u) { id name
      recommendedTutors(limit: 3) { rank tutor { id name } }
      recommendedCourses(limit: 3) { rank course { id title } } } }`, { u: data.student }, student)).user;
    assert.equal(joined.name, userNames.get(data.student));
    assert.ok(direct.getRecommendedTutors.length > 0 && direct.getRecommendedCourses.length > 0);
    assert.deepEqual(ids(joined.recommendedTutors, 'tutor'), ids(direct.getRecommendedTutors, 'tutor'));
    assert.deepEqual(ids(joined.recommendedCourses, 'course'), ids(direct.getRecommendedCourses, 'course'));
    for (const { tutor } of joined.recommendedTutors) assert.equal(tutor.name, tutorNames.get(tutor.id));
    for (const { course } of joined.recommendedCourses) assert.equal(course.title, courseTitles.get(course.id));
  });

  await check("a user's studyPlan, its courses and tutors named by their subgraphs", async () => {
    const vars = { u: data.student, goal: data.goal };
    const direct = ok(await post(ours, `query($u: ID!, $goal: String!) { getStudyPlan(userId: $u, goal: $goal) {
      estimatedHours steps { ... on CourseStep { course { id } } ... on TutorSessionsStep { tutor { id } } } } }`,
    vars, student)).getStudyPlan;
    const joined = ok(await post(url, `query($u: ID!, $goal: String!) { user(id: $u) { studyPlan(goal: $goal) {
      estimatedHours steps { ... on CourseStep { course { id title } } ... on TutorSessionsStep { tutor { id name } } } } } }`,
    vars, student)).user.studyPlan;
    assert.ok(direct.steps.length > 0, 'the plan has steps');
    assert.equal(joined.estimatedHours, direct.estimatedHours);
    assert.deepEqual(joined.steps.map((s) => (s.course ?? s.tutor).id), direct.steps.map((s) => (s.course ?? s.tutor).id));
    for (const step of joined.steps) {
      if (step.course) assert.equal(step.course.title, courseTitles.get(step.course.id));
      else assert.equal(step.tutor.name, tutorNames.get(step.tutor.id));
    }
  });

  await check('getDashboardMetrics(OVERVIEW) through the gateway equals our subgraph', async () => {
    const query = `query($from: String, $to: String) { getDashboardMetrics(dashboard: OVERVIEW, from: $from, to: $to) {
      dashboard refreshedAt timeZone granularity series { metricName dimensions points { timestamp value } } } }`;
    const vars = { from: data.from, to: data.to };
    const direct = ok(await post(ours, query, vars, admin)).getDashboardMetrics;
    const joined = ok(await post(url, query, vars, admin)).getDashboardMetrics;
    assert.ok(direct.refreshedAt, 'the metrics were refreshed');
    assert.ok(direct.series.some((s) => s.points.some((p) => p.value > 0)), 'some metric is not zero');
    assert.deepEqual(joined, direct);
  });

  await check('auth errors pass through the gateway with their codes', async () => {
    const dashboard = '{ getDashboardMetrics(dashboard: OVERVIEW) { refreshedAt } }';
    assert.equal(code(await post(url, dashboard)), 'UNAUTHENTICATED');
    assert.equal(code(await post(url, dashboard, {}, 'not.a.jwt')), 'UNAUTHENTICATED');
    assert.equal(code(await post(url, dashboard, {}, student)), 'FORBIDDEN');
    const other = await post(url, `query($u: ID!) { user(id: $u) { name recommendedTutors { rank } } }`,
      { u: data.otherStudent }, student);
    assert.equal(code(other), 'FORBIDDEN');
    // @apollo/gateway keeps the entity fetch's own segment in the path: ['user', '_entities', 'recommendedTutors'].
    const path = other.errors[0].path;
    assert.equal(path[0], 'user', JSON.stringify(path));
    assert.equal(path.at(-1), 'recommendedTutors', JSON.stringify(path));
  });

  await check('a hundred users in one _entities fetch, answered in representation order', async () => {
    const first = 100;
    assert.ok(data.users.length >= first, `the data holds ${data.users.length} users`);
    gateway.sent.length = 0;
    const users = ok(await post(url, `query($n: Int!) { users(first: $n) { id name
      recommendedTutors(limit: 2) { tutor { id name } recommendation { userId } } } }`, { n: first }, admin)).users;
    assert.equal(users.length, first);
    assert.equal(gateway.sent.length, 1, `the gateway sent ${gateway.sent.length} requests to our subgraph`);
    const [{ query, variables }] = gateway.sent;
    assert.match(query, /_entities\(representations:\s*\$representations\)/);
    assert.match(query, /\.\.\.\s*on User/);
    assert.deepEqual(variables.representations.map((r) => [r.__typename, r.id]),
      data.users.slice(0, first).map((u) => ['User', u.id]));
    for (const user of users) {
      assert.ok(user.recommendedTutors.length > 0, `${user.id} has tutors`);
      // Each answer is the one for its representation: its stored recommendation names the user.
      for (const item of user.recommendedTutors) {
        assert.equal(item.recommendation.userId, user.id);
        assert.equal(item.tutor.name, tutorNames.get(item.tutor.id));
      }
    }
    const direct = ok(await post(ours, `query($u: ID!) { getRecommendedTutors(userId: $u, limit: 2) { tutor { id } } }`,
      { u: users[first - 1].id }, admin)).getRecommendedTutors;
    assert.deepEqual(ids(users[first - 1].recommendedTutors, 'tutor'), ids(direct, 'tutor'));
  });
} finally {
  await gateway?.stop();
  for (const { stop } of Object.values(started)) await stop();
}

const failed = results.filter((r) => !r.ok);
console.log(`federation tests: ${results.length - failed.length} passed, ${failed.length} failed`);
if (failed.length) process.exit(1);
