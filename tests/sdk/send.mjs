// Sends track and identify calls through the real Segment and RudderStack Node SDKs to the
// ingestion endpoint at $INGEST_URL with write key $INGEST_KEY, then flushes both.
//
// The SDKs talk to a small recording proxy in this process, which forwards every request to
// $INGEST_URL unchanged and prints what each SDK really sent ("<sdk> content-type: ...",
// "<sdk> content-encoding: ...", "<sdk> status: ...") for the test to check.
// Event ids are "<prefix>-track-1" and so on, <prefix> being the SDK's name, or
// $SDK_ID_PREFIX-<sdk> when that is set.

import http from 'node:http';
import { Analytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';

const target = new URL(process.env.INGEST_URL ?? 'http://127.0.0.1:3000');
const writeKey = process.env.INGEST_KEY ?? '';
const prefix = (sdk) => (process.env.SDK_ID_PREFIX ? `${process.env.SDK_ID_PREFIX}-${sdk}` : sdk);

function startProxy() {
  const proxy = http.createServer((req, res) => {
    const sdk = req.url.startsWith('/rudder') ? 'rudder' : 'segment';
    const path = req.url.replace(/^\/(rudder|segment)/, '');
    console.log(`${sdk} request: ${req.method} ${path}`);
    console.log(`${sdk} content-type: ${req.headers['content-type']}`);
    console.log(`${sdk} content-encoding: ${req.headers['content-encoding'] ?? 'none'}`);
    const upstream = http.request(
      { host: target.hostname, port: target.port, path, method: req.method, headers: req.headers },
      (reply) => {
        console.log(`${sdk} status: ${reply.statusCode}`);
        res.writeHead(reply.statusCode, reply.headers);
        reply.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      console.log(`${sdk} proxy error: ${e.message}`);
      res.writeHead(502).end();
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(proxy)));
}

async function viaSegment(base) {
  const id = prefix('segment');
  const analytics = new Analytics({ writeKey, host: `${base}/segment`, flushAt: 10, maxRetries: 0 });
  analytics.on('error', (e) => console.log(`segment error: ${e.message ?? e.reason ?? e}`));
  analytics.identify({ messageId: `${id}-identify-1`, userId: 'segment-user', traits: { plan: 'pro', sdk: 'segment' } });
  analytics.track({
    messageId: `${id}-track-1`, userId: 'segment-user', event: 'Lesson Completed',
    properties: { courseId: 'alg-1', lessonId: 'l-1' },
  });
  analytics.track({
    messageId: `${id}-track-anon`, anonymousId: 'segment-anon', event: 'Course Enrolled',
    properties: { courseId: 'alg-1' },
  });
  await analytics.closeAndFlush({ timeout: 20000 });
}

async function viaRudder(base) {
  const id = prefix('rudder');
  const client = new RudderAnalytics(writeKey, {
    dataPlaneUrl: `${base}/rudder`, flushAt: 10, flushInterval: 100000, retryCount: 0, logLevel: 'error',
    errorHandler: (e) => console.log(`rudder error: ${e.message}`),
  });
  client.identify({ messageId: `${id}-identify-1`, userId: 'rudder-user', traits: { plan: 'pro', sdk: 'rudder' } });
  client.track({
    messageId: `${id}-track-1`, userId: 'rudder-user', event: 'Lesson Completed',
    properties: { courseId: 'alg-1', lessonId: 'l-1' },
  });
  client.track({
    messageId: `${id}-track-anon`, anonymousId: 'rudder-anon', event: 'Course Enrolled',
    properties: { courseId: 'alg-1' },
  });
  await client.flush();
}

const proxy = await startProxy();
const base = `http://127.0.0.1:${proxy.address().port}`;
try {
  await viaSegment(base);
  await viaRudder(base);
} finally {
  proxy.close();
}
