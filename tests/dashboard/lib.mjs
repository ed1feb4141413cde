// What the dashboard's browser tests and its benchmark share: Chromium, tokens, the API.

import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, done by `scripts/setup --test`), or $CHROMIUM. */
export function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('Chromium is not installed: run scripts/setup --test (apt-get install chromium)');
  }
}

export function launch() {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--disable-gpu', '--disable-dev-shm-usage'] });
}

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An HS256 JWT signed with the app's `jwt_secret`, valid for `ttl` seconds (negative: expired). */
export function token(secret, claims, ttl = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: now - 60, exp: now + ttl, ...claims })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

export const DASHBOARD_QUERY = `query Dashboard($dashboard: DashboardType!, $from: String, $to: String, $granularity: Granularity, $timeZone: String) {
  getDashboardMetrics(dashboard: $dashboard, from: $from, to: $to, granularity: $granularity, timeZone: $timeZone) {
    dashboard refreshedAt timeZone granularity
    series { metricName dimensions points { timestamp value } }
  }
}`;

/** POST /graphql; returns the parsed body. */
export async function graphql(base, jwt, query, variables = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`POST /graphql answered ${response.status}: ${text.slice(0, 300)}`);
  }
}

/** A dashboard as the API serves it; throws on GraphQL errors. */
export async function dashboard(base, jwt, variables) {
  const body = await graphql(base, jwt, DASHBOARD_QUERY, variables);
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data.getDashboardMetrics;
}
