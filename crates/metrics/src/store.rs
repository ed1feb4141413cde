//! The I/O boundary: the SQL connection the engine runs its statements on, a
//! [`sql_store::SqlStore`]. The engine runs every statement of a refresh on the same store,
//! inside the transaction it opens with `BEGIN IMMEDIATE`.

pub use sql_store::{Row, SqlStore, SqlValue, StoreError};
