//! The tutoring platform's GraphQL API: one Apollo Federation v2 subgraph over the dashboard
//! metrics and the recommendations.
//!
//! - [`types`]: the schema's types; [`schema`]: the resolvers and who may call them
//!   (admins for dashboards; a student for their own recommendations, an admin for anyone's).
//! - [`backend::Backend`]: the one I/O boundary, the metrics and recommend components'
//!   typed exports (the `graphql` component implements it).
//! - [`loader`]: the router's entity lookups batched into one backend call.
//! - [`points`]: a dashboard's hundreds of points resolved in one pass.
//! - [`http`]: GraphQL over HTTP, with the body limit; [`documents`]: the parsed and
//!   validated operations it keeps.
//!
//! The SDL is checked into the repository as `schema.graphql` ([`sdl`]); a test fails when
//! they drift.

pub mod backend;
pub mod documents;
pub mod http;
pub mod loader;
pub mod points;
pub mod schema;
pub mod types;

pub use backend::{
    Backend, BackendError, DashboardArgs, ItemKind, RankedItem, StoredRecommendation,
};
pub use http::{HttpRequest, HttpResponse, MAX_BODY_BYTES, Subgraph};
pub use schema::{Caller, SubgraphSchema, build_schema, build_schema_with};

/// The deepest selection accepted (the schema's deepest is 5; introspection is not counted).
pub const MAX_DEPTH: usize = 16;

/// The most fields one operation may select, counted statically.
pub const MAX_COMPLEXITY: usize = 1000;

/// The subgraph's SDL as the router composes it (`_service { sdl }`).
pub fn sdl(schema: &SubgraphSchema) -> String {
    schema.sdl_with_options(
        async_graphql::SDLExportOptions::new()
            .federation()
            .compose_directive(),
    )
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod schema_tests;
