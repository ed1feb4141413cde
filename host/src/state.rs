//! What one component instance's `Store` holds: WASI, HTTP and the Spin interfaces' state.

use crate::key_value::KeyValueState;
use crate::llm::LlmState;
use crate::outbound::OutboundHooks;
use crate::sqlite::SqliteState;
use crate::variables_host::VariablesState;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// The data of one instance's store.
pub struct InstanceState {
    /// Resources shared by WASI and `wasi:http`.
    pub table: ResourceTable,
    /// WASI: environment, stdio, clocks, random.
    pub wasi: WasiCtx,
    /// `wasi:http` settings.
    pub http: WasiHttpCtx,
    /// Outbound HTTP rules and service chaining.
    pub hooks: OutboundHooks,
    /// `spin:sqlite`.
    pub sqlite: SqliteState,
    /// `spin:key-value`.
    pub key_value: KeyValueState,
    /// `spin:variables`.
    pub variables: VariablesState,
    /// `fermyon:spin/llm`.
    pub llm: LlmState,
    /// Memory and table limits.
    pub limits: wasmtime::StoreLimits,
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
