//! A local host for Spin applications: it reads a `spin.toml` and serves its WebAssembly
//! components with wasmtime, providing the Spin interfaces they import, the way `spin up` does.
//!
//! It exists because Spin's CLI cannot be installed on our machines; it is not a replacement for
//! Spin, and it must never give a component something real Spin would not (see
//! `../shared/SPIN-BEHAVIOUR.md`). The pieces, in the order a request meets them:
//!
//! 1. [`manifest`] parses `spin.toml`; [`variables`] and [`runtime_config`] resolve settings.
//! 2. [`app`] compiles each component once (composing [`compose`] dependencies) and links it
//!    against WASI 0.2/0.3, `wasi:http` 0.3 and the Spin interfaces: [`sqlite`], [`key_value`]
//!    (also as `wasi:keyvalue`), [`variables_host`], [`llm`] (embeddings computed locally).
//! 3. [`server`] routes each request ([`routes`]) to a component's `ProxyHandler`, which
//!    reuses instances as Spin 4 does; [`outbound`] applies `allowed_outbound_hosts` and service
//!    chaining; [`serve`] accepts connections and shuts down gracefully. [`cron`] runs
//!    `[[trigger.cron]]` components on their schedule, as Spin's cron trigger plugin does.

pub mod app;
pub mod bindings;
pub mod cli;
pub mod compose;
pub mod cron;
pub mod key_value;
pub mod llm;
pub mod manifest;
pub mod outbound;
pub mod routes;
pub mod runtime_config;
pub mod serve;
pub mod server;
pub mod sqlite;
pub mod state;
pub mod variables;
pub mod variables_host;
