//! `fermyon:spin/llm@2.0.0`, the interface `spin_sdk::llm` calls: embeddings with
//! `all-minilm-l6-v2` computed here on the CPU ([`embeddings`]), and `infer` answering as Spin's
//! local engine does when no inferencing model is installed, because none is on our machines.
//!
//! It follows Spin's rules a component can observe:
//! - A component may use only the models its `ai_models` lists; any other call gets
//!   `invalid-input` saying how to grant the model, before anything is loaded.
//! - Models live in the state directory: `<state-dir>/ai-models/all-minilm-l6-v2/` holds
//!   `tokenizer.json` and `model.safetensors`, and an inferencing model would be
//!   `<state-dir>/ai-models/<architecture>/<model>/`. Nothing is ever downloaded.
//! - An embedding model other than `all-minilm-l6-v2` is `model-not-supported`; a missing or
//!   broken model directory is a `runtime-error` (and the next call tries to load it again).
//!
//! The model loads on first use, once for the whole app, and runs on tokio's blocking threads.
//! Where it differs from Spin, on purpose: the texts of one call are pooled over their real
//! tokens only, as sentence-transformers does, so a text's vector does not depend on the
//! other texts in its batch (Spin's own pooling counts the padding too).

pub mod embeddings;

use crate::bindings::llm::{self, EmbeddingsResult, EmbeddingsUsage, Error, InferencingResult};
use embeddings::{ALL_MINILM_L6_V2, EmbedError, LoadError, SentenceEmbedder};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::OnceCell;
use wasmtime::component::HasData;

/// The app's models: where they live, and the embeddings model once loaded. One per app,
/// shared by every component and instance.
pub struct Models {
    registry: PathBuf,
    minilm: OnceCell<Arc<SentenceEmbedder>>,
}

impl Models {
    /// The models under `<state_dir>/ai-models/`, as Spin looks for them; nothing is read yet.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            registry: state_dir.join("ai-models"),
            minilm: OnceCell::new(),
        }
    }

    /// Embeds `texts` with `model`. The outer error is a host failure (a trap); the inner one is
    /// what the component sees.
    pub async fn generate_embeddings(
        &self,
        model: &str,
        texts: Vec<String>,
    ) -> wasmtime::Result<Result<EmbeddingsResult, Error>> {
        if model != ALL_MINILM_L6_V2 {
            return Ok(Err(Error::ModelNotSupported));
        }
        let embedder = match self.minilm().await? {
            Ok(embedder) => embedder,
            Err(e) => return Ok(Err(to_load_err(e))),
        };
        let embedded = tokio::task::spawn_blocking(move || embedder.embed(&texts)).await?;
        Ok(embedded.map_err(to_embed_err).map(|e| EmbeddingsResult {
            embeddings: e.vectors,
            usage: EmbeddingsUsage {
                prompt_token_count: e.token_count,
            },
        }))
    }

    /// The embeddings model, loaded on the first call that succeeds; a failed load is not kept,
    /// so installing the files fixes the next call.
    async fn minilm(&self) -> wasmtime::Result<Result<Arc<SentenceEmbedder>, LoadError>> {
        let dir = self.registry.join(ALL_MINILM_L6_V2);
        // The error is a trap (the loading thread panicked) or a load error for the component.
        let load = || async move {
            match tokio::task::spawn_blocking(move || SentenceEmbedder::load(&dir)).await {
                Ok(loaded) => loaded.map(Arc::new).map_err(Ok),
                Err(panicked) => Err(Err(wasmtime::Error::from(panicked))),
            }
        };
        match self.minilm.get_or_try_init(load).await {
            Ok(embedder) => Ok(Ok(embedder.clone())),
            Err(failed) => failed.map(Err),
        }
    }

    /// Inferencing: this host runs no inferencing model, so the answer is Spin's when the
    /// model's files are absent.
    pub async fn infer(&self, model: &str) -> wasmtime::Result<Error> {
        let registry = self.registry.clone();
        let model = model.to_owned();
        Ok(tokio::task::spawn_blocking(move || without_inferencing(&registry, &model)).await?)
    }
}

/// What Spin's local engine answers for an inferencing model when it cannot run it: it looks
/// for `<registry>/<architecture>/<model>/`. No registry is a runtime error; no such directory
/// is invalid input; a directory under an architecture Spin does not know is
/// `model-not-supported`; one under `llama` would be loaded, and here is a runtime error.
fn without_inferencing(registry: &Path, model: &str) -> Error {
    let architectures = match std::fs::read_dir(registry) {
        Ok(entries) => entries,
        Err(e) => {
            return Error::RuntimeError(format!(
                "cannot read the model directory {}: {e}",
                registry.display()
            ));
        }
    };
    for architecture in architectures.flatten() {
        let Ok(models) = std::fs::read_dir(architecture.path()) else {
            continue;
        };
        let found = models
            .flatten()
            .any(|m| m.file_name() == model && m.path().is_dir());
        if !found {
            continue;
        }
        return if architecture.file_name() == "llama" {
            Error::RuntimeError(format!(
                "cannot load the inferencing model '{model}': this host runs embedding models only"
            ))
        } else {
            Error::ModelNotSupported
        };
    }
    Error::InvalidInput(format!(
        "no directory for the model '{model}' in the model directory {}",
        registry.display()
    ))
}

fn to_load_err(error: LoadError) -> Error {
    match error {
        LoadError::MissingDirectory(_) | LoadError::Tokenizer(..) | LoadError::Model(..) => {
            Error::RuntimeError(error.to_string())
        }
    }
}

fn to_embed_err(error: EmbedError) -> Error {
    match error {
        EmbedError::NoText | EmbedError::Tokenize(_) | EmbedError::Model(_) => {
            Error::RuntimeError(format!("cannot generate embeddings: {error}"))
        }
    }
}

/// Spin's refusal of a model the component's `ai_models` does not list.
fn access_denied(model: &str) -> Error {
    Error::InvalidInput(format!(
        "this component may not use the model '{model}': add '{model}' to its `ai_models` in spin.toml"
    ))
}

/// One instance's view of the models: the app's, and which of them the component may use.
pub struct LlmState {
    models: Arc<Models>,
    allowed: Arc<HashSet<String>>,
}

impl LlmState {
    /// A fresh state for one instance of a component whose `ai_models` is `allowed`.
    pub fn new(models: Arc<Models>, allowed: Arc<HashSet<String>>) -> Self {
        Self { models, allowed }
    }
}

impl HasData for LlmState {
    type Data<'a> = &'a mut LlmState;
}

impl llm::Host for LlmState {
    async fn infer(
        &mut self,
        model: String,
        _prompt: String,
        _params: Option<llm::InferencingParams>,
    ) -> wasmtime::Result<Result<InferencingResult, Error>> {
        if !self.allowed.contains(&model) {
            return Ok(Err(access_denied(&model)));
        }
        Ok(Err(self.models.infer(&model).await?))
    }

    async fn generate_embeddings(
        &mut self,
        model: String,
        text: Vec<String>,
    ) -> wasmtime::Result<Result<EmbeddingsResult, Error>> {
        if !self.allowed.contains(&model) {
            return Ok(Err(access_denied(&model)));
        }
        self.models.generate_embeddings(&model, text).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(registry: &Path, allowed: &[&str]) -> LlmState {
        let models = Models {
            registry: registry.to_owned(),
            minilm: OnceCell::new(),
        };
        let allowed = allowed.iter().map(|m| m.to_string()).collect();
        LlmState::new(Arc::new(models), Arc::new(allowed))
    }

    fn runtime_error(result: Result<impl std::fmt::Debug, Error>) -> String {
        match result {
            Err(Error::RuntimeError(message)) => message,
            other => panic!("expected a runtime error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn only_listed_models_are_used() {
        let dir = tempfile::tempdir().unwrap();
        let mut llm = state(dir.path(), &["llama2-chat"]);
        let texts = vec!["hello".to_owned()];
        for result in [
            llm::Host::generate_embeddings(&mut llm, ALL_MINILM_L6_V2.into(), texts.clone())
                .await
                .unwrap()
                .map(|_| ()),
            llm::Host::infer(&mut llm, "codellama-instruct".into(), "hi".into(), None)
                .await
                .unwrap()
                .map(|_| ()),
        ] {
            let Err(Error::InvalidInput(message)) = result else {
                panic!("expected access denied, got {result:?}")
            };
            assert!(message.contains("`ai_models`"), "{message}");
        }
    }

    #[tokio::test]
    async fn embeddings_need_a_known_model_and_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut llm = state(dir.path(), &[ALL_MINILM_L6_V2, "other-model"]);
        let texts = vec!["hello".to_owned()];
        let other = llm::Host::generate_embeddings(&mut llm, "other-model".into(), texts.clone());
        assert!(matches!(
            other.await.unwrap(),
            Err(Error::ModelNotSupported)
        ));
        let missing = llm::Host::generate_embeddings(&mut llm, ALL_MINILM_L6_V2.into(), texts);
        let message = runtime_error(missing.await.unwrap());
        assert!(message.contains("does not exist"), "{message}");
    }

    #[tokio::test]
    async fn embeddings_load_once_and_report_bad_calls() {
        let registry = embeddings::tests::model_dir();
        let mut llm = state(registry.parent().unwrap(), &[ALL_MINILM_L6_V2]);
        let texts = vec!["Rust for beginners".to_owned(), "Calculus".to_owned()];
        let result = llm::Host::generate_embeddings(&mut llm, ALL_MINILM_L6_V2.into(), texts)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(result.embeddings.len(), 2);
        assert!(result.embeddings.iter().all(|v| v.len() == 384));
        // [CLS] rust for begin ##ners [SEP]: the longest text, in WordPiece tokens.
        assert_eq!(result.usage.prompt_token_count, 6);
        let empty = llm::Host::generate_embeddings(&mut llm, ALL_MINILM_L6_V2.into(), Vec::new());
        let message = runtime_error(empty.await.unwrap());
        assert!(message.contains("no text"), "{message}");
        assert!(llm.models.minilm.initialized());
    }

    #[tokio::test]
    async fn inferencing_answers_as_spin_does_without_model_files() {
        let dir = tempfile::tempdir().unwrap();
        let registry = dir.path().join("ai-models");
        let model = "llama2-chat";
        let mut llm = state(&registry, &[model]);
        let mut infer = async || {
            llm::Host::infer(&mut llm, model.into(), "Say hi".into(), None)
                .await
                .unwrap()
        };
        assert!(runtime_error(infer().await).contains("cannot read the model directory"));

        std::fs::create_dir_all(registry.join(ALL_MINILM_L6_V2)).unwrap();
        std::fs::write(registry.join("README"), "a file, not an architecture").unwrap();
        let Err(Error::InvalidInput(message)) = infer().await else {
            panic!("expected invalid input")
        };
        assert!(
            message.contains("no directory for the model 'llama2-chat'"),
            "{message}"
        );

        std::fs::create_dir_all(registry.join("gpt").join(model)).unwrap();
        assert!(matches!(infer().await, Err(Error::ModelNotSupported)));
        std::fs::remove_dir_all(registry.join("gpt")).unwrap();

        std::fs::create_dir_all(registry.join("llama").join(model)).unwrap();
        assert!(runtime_error(infer().await).contains("embedding models only"));
    }
}
