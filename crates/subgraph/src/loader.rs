//! Batched lookups of stored recommendations, for the router's `_entities` calls.
//!
//! The router asks for many users in one request; their `recommendedTutors` fields resolve
//! concurrently. Each registers its user, yields once so the others can register theirs,
//! and the first to resume fetches every registered user in one backend call. It is the
//! DataLoader pattern batched per scheduling round instead of per timer tick:
//! `async-graphql`'s own DataLoader needs a timer, which WASI components lack.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::backend::{Backend, BackendError, StoredRecommendation};

type Loaded = Result<StoredRecommendation, BackendError>;

/// One request's loader (never shared between requests: it caches what it loaded).
pub struct RecommendationLoader {
    backend: Arc<dyn Backend>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pending: Vec<String>,
    loaded: HashMap<String, Loaded>,
    batches: usize,
}

impl RecommendationLoader {
    /// A loader over `backend`.
    pub fn new(backend: Arc<dyn Backend>) -> RecommendationLoader {
        RecommendationLoader {
            backend,
            state: Mutex::new(State::default()),
        }
    }

    /// The stored recommendation of `user_id`, batched with the other loads of this round.
    pub async fn load(&self, user_id: &str) -> Loaded {
        if let Some(done) = self.state().loaded.get(user_id) {
            return done.clone();
        }
        {
            let mut state = self.state();
            if !state.pending.iter().any(|u| u == user_id) {
                state.pending.push(user_id.to_owned());
            }
        }
        YieldOnce(false).await;
        let batch = std::mem::take(&mut self.state().pending);
        if !batch.is_empty() {
            let answers = self.backend.recommendations(&batch);
            let mut state = self.state();
            state.batches += 1;
            for (user, answer) in batch.into_iter().zip(answers) {
                state.loaded.insert(user, answer);
            }
        }
        let found = self.state().loaded.get(user_id).cloned();
        match found {
            Some(answer) => answer,
            // The backend answered fewer users than asked: a contract violation.
            None => Err(BackendError::Internal(format!(
                "no recommendation returned for {user_id}"
            ))),
        }
    }

    /// How many backend calls the loader made.
    pub fn batches(&self) -> usize {
        self.state().batches
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Pending once (waking itself at once), then ready: lets sibling futures run.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
