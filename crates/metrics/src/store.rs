//! The I/O boundary: the SQL connection the engine runs its statements on, a
//! [`sql_store::SqlStore`]. The engine runs every statement of a refresh on the same store,
//! inside the transaction it opens with `BEGIN IMMEDIATE`.

pub use sql_store::{Row, SqlStore, SqlValue, StoreError};

/// PRAGMAs for a connection the engine runs on. A refresh joins and groups across the fact
/// tables, the tallies and the served rows: with SQLite's default page cache of 2 MiB it read
/// the same pages from the file again and again (at 1M events, a run spent more time in
/// system calls than in SQL). The cache is a bound, not an allocation: it holds the pages
/// read, up to 64 MiB. Temporary B-trees (grouping, materialized subqueries) stay in memory.
pub const CONNECTION_PRAGMAS: [&str; 2] =
    ["PRAGMA cache_size = -65536", "PRAGMA temp_store = MEMORY"];
