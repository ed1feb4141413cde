//! Generated bindings for the Spin interfaces in `host/wit`.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit/spin",
    world: "local:host/spin-imports",
    imports: { default: async | trappable },
});

pub use fermyon::spin::llm;
pub use spin::key_value::key_value;
pub use spin::sqlite::sqlite;
pub use spin::variables::variables;
pub use wasi::keyvalue::store as wasi_key_value;
