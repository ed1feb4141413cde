// The supergraph as Apollo's tooling builds it: @apollo/composition composes the subgraphs'
// SDL, and @apollo/gateway (inside @apollo/server) plans and runs queries across them.

import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { parse } from 'graphql';

/**
 * Composes `subgraphs` ([{ name, url, typeDefs }]); throws on any error and on any hint,
 * since hints point at a misuse of the directives (a key one side cannot resolve, a type
 * both sides own, descriptions that disagree).
 */
export function compose(subgraphs) {
  const result = composeServices(subgraphs.map(({ name, url, typeDefs }) => ({ name, url, typeDefs: parse(typeDefs) })));
  const problems = [
    ...(result.errors ?? []).map((e) => `error ${e.extensions?.code ?? ''}: ${e.message}`),
    ...(result.hints ?? []).map((h) => `hint ${h.definition?.code ?? ''}: ${h.message}`),
  ];
  if (problems.length) throw new Error(`composition is not clean:\n  ${problems.join('\n  ')}`);
  return result.supergraphSdl;
}

/**
 * Starts the gateway on a free loopback port over `supergraphSdl`. Requests to the subgraph
 * named `ours` carry the caller's Authorization header (the gateway forwards nothing by
 * itself) and are recorded in `sent` ({ query, variables }), so tests can see how the
 * gateway batched its entity fetches.
 */
export async function startGateway(supergraphSdl, ours) {
  const sent = [];
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request, context }) {
          if (name !== ours) return;
          sent.push({ query: request.query, variables: request.variables ?? {} });
          if (context.authorization) request.http.headers.set('authorization', context.authorization);
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { host: '127.0.0.1', port: 0 },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  return { url, sent, stop: () => server.stop() };
}

/** POSTs one operation to a GraphQL endpoint; returns the parsed body. */
export async function post(url, query, variables = {}, token = undefined) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${url} answered ${response.status}: ${text.slice(0, 300)}`);
  }
}
