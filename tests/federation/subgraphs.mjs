// Stand-ins for the platform's users, tutors and courses subgraphs, written with Apollo's
// @apollo/subgraph as those teams would: each owns its entity and resolves references to it.
// They serve the ids our data really holds (passed in by tests/e2e/federation.rs), so what
// the gateway joins is what the platform would join.

import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

// The federation version our schema.graphql links; the platform's subgraphs use the same.
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])';

/** The three subgraphs' SDL and resolvers over `data` ({ users, tutors, courses }). */
export function subgraphDefinitions(data) {
  const byId = (list) => new Map(list.map((item) => [item.id, item]));
  const users = byId(data.users);
  const tutors = byId(data.tutors);
  const courses = byId(data.courses);
  return {
    users: {
      typeDefs: `${LINK}
        type User @key(fields: "id") { id: ID! name: String! }
        type Query {
          user(id: ID!): User
          users(first: Int! = 10): [User!]!
        }`,
      resolvers: {
        Query: {
          user: (_, { id }) => users.get(id) ?? null,
          users: (_, { first }) => data.users.slice(0, first),
        },
        User: { __resolveReference: (ref) => users.get(ref.id) ?? null },
      },
    },
    tutors: {
      typeDefs: `${LINK}
        type Tutor @key(fields: "id") { id: ID! name: String! }
        type Query { tutor(id: ID!): Tutor }`,
      resolvers: {
        Query: { tutor: (_, { id }) => tutors.get(id) ?? null },
        Tutor: { __resolveReference: (ref) => tutors.get(ref.id) ?? null },
      },
    },
    courses: {
      typeDefs: `${LINK}
        type Course @key(fields: "id") { id: ID! title: String! }
        type Query { course(id: ID!): Course }`,
      resolvers: {
        Query: { course: (_, { id }) => courses.get(id) ?? null },
        Course: { __resolveReference: (ref) => courses.get(ref.id) ?? null },
      },
    },
  };
}

/** Serves each definition on a free loopback port; returns { name: { url, typeDefs, stop } }. */
export async function startSubgraphs(definitions) {
  const started = {};
  for (const [name, { typeDefs, resolvers }] of Object.entries(definitions)) {
    const server = new ApolloServer({
      schema: buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers }),
      // No usage reporting here, so no federated traces to add to answers.
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    });
    const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
    started[name] = { url, typeDefs, stop: () => server.stop() };
  }
  return started;
}
