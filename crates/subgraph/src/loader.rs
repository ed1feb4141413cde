//! Batched lookups of stored recommendations, for the router's `_entities` calls.
//!
//! The router asks for many users in one request; their `recommendedTutors` fields resolve
//! concurrently. Each registers its user, yields once so the others can register theirs,
//! and the first to resume fetches every registered user in one backend call. It is the
//! DataLoader pattern batched per scheduling round instead of per timer tick:
//! `async-graphql`'s own DataLoader needs a timer, which WASI components lack.
//!
//! The round costs a turn of the host's scheduler (about 15 us in wasm), for nothing when
//! the operation loads one user at most: [`loads_once`] tells, and such a loader fetches at
//! once.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use crate::backend::{Backend, BackendError, StoredRecommendation};

type Loaded = Result<StoredRecommendation, BackendError>;

/// One request's loader (never shared between requests: it caches what it loaded).
pub struct RecommendationLoader {
    backend: Arc<dyn Backend>,
    /// Whether loads wait for the others of their round (see [`loads_once`]).
    batching: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pending: Vec<String>,
    loaded: HashMap<String, Loaded>,
    batches: usize,
}

impl RecommendationLoader {
    /// A loader over `backend` that batches the loads of each scheduling round.
    pub fn new(backend: Arc<dyn Backend>) -> RecommendationLoader {
        RecommendationLoader {
            backend,
            batching: true,
            state: Mutex::new(State::default()),
        }
    }

    /// A loader that fetches each user at once, for an operation that [`loads_once`].
    pub fn unbatched(backend: Arc<dyn Backend>) -> RecommendationLoader {
        RecommendationLoader {
            batching: false,
            ..RecommendationLoader::new(backend)
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
        if self.batching {
            YieldOnce(false).await;
        }
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

/// Fields whose resolution loads stored recommendations (`_entities` may be many users).
const LOADING_FIELDS: [&str; 4] = [
    "getRecommendedTutors",
    "getRecommendedCourses",
    "recommendedTutors",
    "recommendedCourses",
];

/// Whether `document` loads at most one stored recommendation: at most one field that
/// loads, no `_entities`, and no named fragments (a fragment may be spread many times).
pub fn loads_once(document: &ExecutableDocument) -> bool {
    fn count(set: &SelectionSet) -> Option<usize> {
        let mut n = 0;
        for selection in &set.items {
            n += match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if name == "_entities" {
                        return None;
                    }
                    usize::from(LOADING_FIELDS.contains(&name))
                        + count(&field.node.selection_set.node)?
                }
                Selection::InlineFragment(fragment) => count(&fragment.node.selection_set.node)?,
                Selection::FragmentSpread(_) => return None,
            };
        }
        Some(n)
    }
    document.fragments.is_empty()
        && document
            .operations
            .iter()
            .try_fold(0, |n, (_, op)| {
                Some(n + count(&op.node.selection_set.node)?)
            })
            .is_some_and(|n| n <= 1)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn once(query: &str) -> bool {
        loads_once(&async_graphql::parser::parse_query(query).expect("parses"))
    }

    #[test]
    fn an_operation_loads_once_unless_it_can_load_more() {
        assert!(once(
            "query($u: ID!) { getRecommendedTutors(userId: $u) { rank } }"
        ));
        assert!(once(
            r#"{ ... on Query { getRecommendedCourses(userId: "u") { rank } } }"#
        ));
        assert!(once(
            "{ getDashboardMetrics(dashboard: OVERVIEW) { timeZone } }"
        ));
        assert!(!once(
            r#"{ a: getRecommendedTutors(userId: "1") { rank } b: getRecommendedTutors(userId: "2") { rank } }"#
        ));
        assert!(!once(
            "{ _entities(representations: []) { ... on User { recommendedTutors { rank } } } }"
        ));
        assert!(!once(
            r#"{ getRecommendedTutors(userId: "1") { ...F } } fragment F on RecommendedTutor { rank }"#
        ));
        assert!(!once(
            r#"query A { getRecommendedTutors(userId: "1") { rank } } query B { getRecommendedCourses(userId: "1") { rank } }"#
        ));
    }
}
