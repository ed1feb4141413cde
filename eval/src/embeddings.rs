//! Item and goal vectors from all-MiniLM-L6-v2, the model the host serves components through
//! Spin's LLM interface, cached on disk by `recommend::text_hash(model, text)` so a second run
//! embeds nothing.
//!
//! The model code is the host's own (`host/src/llm/embeddings.rs`, compiled in as [`model`]),
//! not a copy: depending on the `host` crate would build wasmtime for a CLI that only needs
//! candle.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use recommend::{EMBEDDING_DIM, HashingEmbedder, from_bytes, text_hash, to_bytes};

/// The host's all-MiniLM-L6-v2 (candle, on the CPU).
#[path = "../../host/src/llm/embeddings.rs"]
pub mod model;

/// Texts per model call.
const BATCH: usize = 32;

/// Where vectors come from.
pub enum Source {
    /// all-MiniLM-L6-v2 from its directory (`target/models/ai-models/all-minilm-l6-v2`).
    Model(PathBuf),
    /// The library's [`HashingEmbedder`] (bag of words and trigrams): the ablation without
    /// semantics.
    Hashing,
}

impl Source {
    /// The model's name, part of every cache key.
    pub fn name(&self) -> &'static str {
        match self {
            Source::Model(_) => model::ALL_MINILM_L6_V2,
            Source::Hashing => "hashing",
        }
    }
}

/// Vectors by text, cached in `cache_dir/<model>/<text hash>` (little-endian `f32`s).
pub struct Vectors {
    source: Source,
    cache_dir: PathBuf,
    loaded: Option<model::SentenceEmbedder>,
    /// Texts embedded by the model in this run (not found in the cache).
    pub embedded: usize,
}

impl Vectors {
    /// Vectors from `source`, cached under `cache_dir`.
    pub fn new(source: Source, cache_dir: &Path) -> Vectors {
        Vectors {
            cache_dir: cache_dir.join(source.name()),
            source,
            loaded: None,
            embedded: 0,
        }
    }

    /// One unit vector per text, in order.
    pub fn embed(&mut self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        let model = self.source.name();
        let mut found: HashMap<String, Vec<f32>> = HashMap::new();
        let mut missing: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for text in texts {
            if !seen.insert(text) {
                continue;
            }
            let key = text_hash(model, text);
            match read_vector(&self.cache_dir.join(&key)) {
                Some(v) => {
                    found.insert(key, v);
                }
                None => missing.push(text.clone()),
            }
        }
        if !missing.is_empty() {
            std::fs::create_dir_all(&self.cache_dir)
                .with_context(|| format!("creating {}", self.cache_dir.display()))?;
        }
        for chunk in missing.chunks(BATCH) {
            let vectors = self.compute(chunk)?;
            for (text, v) in chunk.iter().zip(vectors) {
                let key = text_hash(model, text);
                let path = self.cache_dir.join(&key);
                std::fs::write(&path, to_bytes(&v))
                    .with_context(|| format!("writing {}", path.display()))?;
                found.insert(key, v);
            }
            self.embedded += chunk.len();
        }
        Ok(texts
            .iter()
            .map(|t| found[&text_hash(model, t)].clone())
            .collect())
    }

    fn compute(&mut self, texts: &[String]) -> anyhow::Result<Vec<Vec<f32>>> {
        let dir = match &self.source {
            Source::Hashing => {
                return Ok(texts.iter().map(|t| HashingEmbedder::vector(t)).collect());
            }
            Source::Model(dir) => dir,
        };
        if self.loaded.is_none() {
            let loaded = model::SentenceEmbedder::load(dir)
                .context("loading all-minilm-l6-v2 (scripts/setup installs it)")?;
            self.loaded = Some(loaded);
        }
        let embedder = self.loaded.as_ref().context("the model")?;
        let mut vectors = embedder.embed(texts).context("embedding")?.vectors;
        for v in &mut vectors {
            anyhow::ensure!(v.len() == EMBEDDING_DIM, "a vector of {} values", v.len());
            recommend::normalize(v);
        }
        Ok(vectors)
    }
}

/// A cached vector, or `None` if it is missing or not a vector of the model's size.
fn read_vector(path: &Path) -> Option<Vec<f32>> {
    from_bytes(&std::fs::read(path).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_cached_by_model_and_text() {
        let dir = std::env::temp_dir().join(format!("eval-vectors-{}", std::process::id()));
        let texts = vec!["Python for data science".to_string(), "Spanish".to_string()];
        let mut first = Vectors::new(Source::Hashing, &dir);
        let a = first.embed(&texts).expect("embed");
        assert_eq!(first.embedded, 2);
        let mut second = Vectors::new(Source::Hashing, &dir);
        let b = second.embed(&texts).expect("embed");
        assert_eq!((second.embedded, &a), (0, &b));
        assert_eq!(a[0], HashingEmbedder::vector("Python for data science"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
