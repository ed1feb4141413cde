// The GraphQL API the dashboard reads: its two operations, and errors in the admin's words.

export const DASHBOARD_QUERY = `query Dashboard($dashboard: DashboardType!, $from: String, $to: String, $granularity: Granularity, $timeZone: String) {
  getDashboardMetrics(dashboard: $dashboard, from: $from, to: $to, granularity: $granularity, timeZone: $timeZone) {
    dashboard refreshedAt timeZone granularity
    series { metricName dimensions points { timestamp value } }
  }
}`;

export const REFRESH_MUTATION = `mutation Refresh { refreshDashboardMetrics { fromSeq toSeq morePending bucketsRecomputed } }`;

/** A failure to show: `code` is the GraphQL error code, or NETWORK / BAD_RESPONSE. */
export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }

  /** Whether signing in again is the way out. */
  get isAuth() {
    return this.code === 'UNAUTHENTICATED' || this.code === 'FORBIDDEN';
  }
}

/** The token's claims, or null when it is not a readable JWT (the server decides anyway). */
export function claims(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/** Why a token cannot be used, before asking the server; null when it may be fine. */
export function tokenProblem(token, nowSeconds = Date.now() / 1000) {
  if (!token) return new ApiError('UNAUTHENTICATED', 'Paste an admin token to sign in.');
  const c = claims(token);
  if (!c) {
    return new ApiError('UNAUTHENTICATED',
      'This is not a token: a JWT is three dot-separated parts. Copy the whole token and try again.');
  }
  if (typeof c.exp === 'number' && c.exp <= nowSeconds) {
    return expired(c.exp);
  }
  return null;
}

function expired(exp) {
  const when = new Date(exp * 1000).toISOString().replace('T', ' ').slice(0, 16);
  return new ApiError('UNAUTHENTICATED',
    `This token expired on ${when} UTC. Sign in with a fresh admin token.`);
}

/** The message for an error the API returned, knowing which token was sent. */
function explain(error, token) {
  const code = error.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
  if (code === 'UNAUTHENTICATED') {
    const c = claims(token);
    if (c && typeof c.exp === 'number' && c.exp <= Date.now() / 1000) return expired(c.exp);
    return new ApiError(code, `This token was refused (${error.message}). Sign in with a valid admin token.`);
  }
  if (code === 'FORBIDDEN') {
    return new ApiError(code, 'This token is valid but does not belong to an admin: the dashboards are for admins only.');
  }
  return new ApiError(code, error.message);
}

/** Runs one operation; resolves to its `data`, rejects with an ApiError. */
export async function graphql(token, query, variables = {}) {
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('NETWORK', 'The API cannot be reached. Is the app running?');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError('BAD_RESPONSE', `The API answered ${response.status} without a GraphQL response.`);
  }
  if (body.errors?.length) throw explain(body.errors[0], token);
  if (!response.ok || !body.data) {
    throw new ApiError('BAD_RESPONSE', `The API answered ${response.status} without data.`);
  }
  return body.data;
}
