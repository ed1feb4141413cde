//! The [`Embedder`] over Spin's LLM interface (`fermyon:spin/llm`, `generate-embeddings`
//! with `all-minilm-l6-v2`, which the component lists in `ai_models`).
//!
//! The interface is synchronous, so the embedder also serves the cron export; its future
//! completes in one poll.

use recommend::{EmbedError, Embedder};
use spin_sdk::llm::{self, EmbeddingModel};

/// The model's name, as Spin knows it and as the embedding cache keys it.
pub const MODEL: &str = "all-minilm-l6-v2";

/// Embeds through the host's `all-minilm-l6-v2`.
#[derive(Debug, Default)]
pub struct SpinEmbedder;

impl Embedder for SpinEmbedder {
    fn model(&self) -> &str {
        MODEL
    }

    async fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        llm::generate_embeddings(EmbeddingModel::AllMiniLmL6V2, texts)
            .map(|result| result.embeddings)
            .map_err(to_embed_err)
    }
}

/// Spin's error as the library's; every one is the model's failure (retryable, 503).
fn to_embed_err(e: llm::Error) -> EmbedError {
    EmbedError::Model(match e {
        llm::Error::ModelNotSupported => format!(
            "{MODEL} is not available to this component (list it in ai_models; the host needs the model installed)"
        ),
        llm::Error::RuntimeError(message) => format!("{MODEL} failed: {message}"),
        llm::Error::InvalidInput(message) => format!("{MODEL} refused the input: {message}"),
    })
}
