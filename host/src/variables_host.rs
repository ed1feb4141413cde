//! `spin:variables/variables@3.0.0`: a component reads its own `[component.NAME.variables]`.

use crate::bindings::variables::{self, Error};
use std::collections::HashMap;
use std::sync::Arc;
use wasmtime::component::{Accessor, HasData};

/// One component's resolved variables.
pub struct VariablesState(pub Arc<HashMap<String, String>>);

impl HasData for VariablesState {
    type Data<'a> = &'a mut VariablesState;
}

impl variables::Host for VariablesState {}

impl<T> variables::HostWithStore<T> for VariablesState {
    async fn get(
        accessor: &Accessor<T, Self>,
        name: String,
    ) -> wasmtime::Result<Result<String, Error>> {
        if crate::manifest::check_snake_name(&name).is_err() {
            return Ok(Err(Error::InvalidName(name)));
        }
        Ok(accessor.with(|mut a| a.get().0.get(&name).cloned().ok_or(Error::Undefined(name))))
    }
}
