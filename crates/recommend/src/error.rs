//! The errors of the recommendation layer, one enum per boundary.

use sql_store::StoreError;

/// The embedding model failed (Spin's LLM interface in the component, a fake in tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbedError {
    /// The model could not be run.
    #[error("embedding model: {0}")]
    Model(String),
    /// The model returned the wrong number of vectors, or vectors of the wrong size.
    #[error("embedding model: expected {expected} vectors of {dim} values, got {got}")]
    Shape {
        /// How many vectors were asked for.
        expected: usize,
        /// The expected size of each.
        dim: usize,
        /// What came back, e.g. `"3 vectors"` or `"a vector of 512 values"`.
        got: String,
    },
}

/// A refresh, an index rebuild, a recommendation or a study plan failed. These are
/// server-side failures (500, or 503 for [`RecommendError::is_retryable`] ones): the message
/// is for the logs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecommendError {
    /// The store refused a statement.
    #[error("recommend store: {step}: {source}")]
    Store {
        /// What the library was doing.
        step: &'static str,
        /// The store's error.
        source: StoreError,
    },
    /// The store returned a row of an unexpected shape.
    #[error("recommend store: unexpected row in {step}")]
    BadRow {
        /// What the library was reading.
        step: &'static str,
    },
    /// A stored index shard or manifest could not be decoded (written by another version).
    #[error("recommend index: cannot decode {what}: {message}")]
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// The embedding model failed.
    #[error(transparent)]
    Embed(#[from] EmbedError),
}

impl RecommendError {
    /// The HTTP status a component answers with: 503 when retrying may help (the store was
    /// locked, the model failed), else 500.
    pub fn status(&self) -> u16 {
        if self.is_retryable() { 503 } else { 500 }
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            RecommendError::Store { source, .. } => source.is_locked(),
            RecommendError::Embed(EmbedError::Model(_)) => true,
            _ => false,
        }
    }
}

/// Attaches the step to a store error.
pub(crate) fn at(step: &'static str) -> impl Fn(StoreError) -> RecommendError {
    move |source| RecommendError::Store { step, source }
}

/// A decoding error of `what`.
pub(crate) fn decode(what: &'static str) -> impl Fn(postcard::Error) -> RecommendError {
    move |e| RecommendError::Decode {
        what,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn statuses_and_messages() {
        let locked = at("fold")(StoreError::new("database is locked"));
        assert_eq!((locked.status(), locked.is_retryable()), (503, true));
        assert_eq!(
            locked.to_string(),
            "recommend store: fold: database is locked"
        );
        let broken = at("fold")(StoreError::new("no such table"));
        assert_eq!(broken.status(), 500);
        assert!(
            RecommendError::BadRow { step: "x" }
                .to_string()
                .contains('x')
        );
        let model: RecommendError = EmbedError::Model("down".into()).into();
        assert_eq!(
            (model.status(), model.to_string().as_str()),
            (503, "embedding model: down")
        );
        let shape: RecommendError = EmbedError::Shape {
            expected: 2,
            dim: 384,
            got: "1 vectors".into(),
        }
        .into();
        assert_eq!(shape.status(), 500);
        assert!(
            shape
                .to_string()
                .contains("expected 2 vectors of 384 values, got 1 vectors")
        );
        let d = decode("manifest")(postcard::Error::DeserializeUnexpectedEnd);
        assert!(
            d.to_string()
                .starts_with("recommend index: cannot decode manifest")
        );
    }
}
