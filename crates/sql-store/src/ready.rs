//! Driving a store's futures from synchronous code.
//!
//! The synchronous stores (`spin::SyncSpinStore`) never wait inside their futures, so an
//! `async` computation over them completes in a single poll. A synchronous export, such as
//! the cron trigger's `handle-cron-event`, runs it with [`run_ready`] and needs no executor
//! (and must not use one: a synchronous task may not block on asynchronous imports).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The future was still waiting after its one poll: something in it was not synchronous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the computation waited on an asynchronous operation in a synchronous context")]
pub struct NotReady;

/// Polls `future` once and returns its output, or [`NotReady`] if it did not finish.
///
/// ```
/// assert_eq!(sql_store::run_ready(async { 1 + 1 }), Ok(2));
/// ```
pub fn run_ready<F: Future>(future: F) -> Result<F::Output, NotReady> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => Err(NotReady),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn ready_and_pending() {
        assert_eq!(run_ready(async { "done" }), Ok("done"));
        assert_eq!(run_ready(std::future::pending::<()>()), Err(NotReady));
        assert!(NotReady.to_string().contains("synchronous"));
    }
}
