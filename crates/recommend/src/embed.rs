//! The embedding boundary: the [`Embedder`] trait, the vector helpers, and
//! [`HashingEmbedder`], a deterministic stand-in for tests and benchmarks.

use sha2::{Digest, Sha256};

pub use crate::error::EmbedError;

/// Values per vector: all-MiniLM-L6-v2 gives 384.
pub const EMBEDDING_DIM: usize = 384;

/// A sentence-embedding model: Spin's LLM interface (`all-minilm-l6-v2`) in the component, a
/// [`HashingEmbedder`] in tests.
///
/// Implementations return one vector of [`EMBEDDING_DIM`] values per text, in order; the
/// library checks the shape and L2-normalizes them, so cosine similarity is a dot product.
// Components run on a single-threaded Wasm guest, so the futures need no `Send` bound.
#[allow(async_fn_in_trait)]
pub trait Embedder {
    /// The model's name; part of every cache key, so changing models re-embeds everything.
    fn model(&self) -> &str;

    /// Embeds `texts`, one vector per text.
    async fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

impl<E: Embedder> Embedder for &mut E {
    fn model(&self) -> &str {
        (**self).model()
    }

    async fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        (**self).embed(texts).await
    }
}

/// The cache key of `text` embedded by `model`: the hex SHA-256 of both (first 16 bytes).
///
/// ```
/// let a = recommend::text_hash("all-minilm-l6-v2", "Python tutor");
/// assert_eq!(a.len(), 32);
/// assert_ne!(a, recommend::text_hash("other-model", "Python tutor"));
/// ```
pub fn text_hash(model: &str, text: &str) -> String {
    let digest = Sha256::new()
        .chain_update(model.as_bytes())
        .chain_update([0])
        .chain_update(text.as_bytes())
        .finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// The dot product, i.e. the cosine similarity of unit vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A vector as stored: little-endian `f32`s.
pub fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A stored vector, or `None` if the blob is not [`EMBEDDING_DIM`] `f32`s.
pub fn from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    if bytes.len() != EMBEDDING_DIM * 4 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// Checks the model's answer and normalizes it.
pub(crate) fn checked(
    expected: usize,
    vectors: Vec<Vec<f32>>,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    let shape = |got: String| EmbedError::Shape {
        expected,
        dim: EMBEDDING_DIM,
        got,
    };
    if vectors.len() != expected {
        return Err(shape(format!("{} vectors", vectors.len())));
    }
    vectors
        .into_iter()
        .map(|mut v| {
            if v.len() != EMBEDDING_DIM || v.iter().any(|x| !x.is_finite()) {
                return Err(shape(format!("a vector of {} values", v.len())));
            }
            normalize(&mut v);
            Ok(v)
        })
        .collect()
}

/// A deterministic embedder for tests, benchmarks and demos without a model: a hashed bag
/// of lower-cased words and character trigrams, normalized. Texts sharing words get similar
/// vectors; it knows no synonyms.
///
/// ```
/// use recommend::{Embedder, HashingEmbedder, dot};
/// let mut e = HashingEmbedder::default();
/// let v = sql_store::run_ready(e.embed(&[
///     "Python for data science".to_string(),
///     "data science with Python".to_string(),
///     "Spanish conversation".to_string(),
/// ])).unwrap().unwrap();
/// assert!(dot(&v[0], &v[1]) > dot(&v[0], &v[2]));
/// ```
#[derive(Debug, Clone, Default)]
pub struct HashingEmbedder {
    /// How many texts it embedded (to check the cache in tests).
    pub calls: usize,
}

impl HashingEmbedder {
    /// The vector of one text.
    pub fn vector(text: &str) -> Vec<f32> {
        let mut v = vec![0.0f32; EMBEDDING_DIM];
        let lower = text.to_lowercase();
        for word in lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            add_feature(&mut v, word.as_bytes(), 2.0);
            let padded: Vec<char> = format!(" {word} ").chars().collect();
            for gram in padded.windows(3) {
                let gram: String = gram.iter().collect();
                add_feature(&mut v, gram.as_bytes(), 1.0);
            }
        }
        normalize(&mut v);
        v
    }
}

fn add_feature(v: &mut [f32], feature: &[u8], weight: f32) {
    // FNV-1a: stable across platforms and releases.
    let hash = feature.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    let slot = (hash % EMBEDDING_DIM as u64) as usize;
    let sign = if hash >> 63 == 0 { 1.0 } else { -1.0 };
    v[slot] += sign * weight;
}

impl Embedder for HashingEmbedder {
    fn model(&self) -> &str {
        "hashing-bow-v1"
    }

    async fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.calls += texts.len();
        Ok(texts.iter().map(|t| Self::vector(t)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sql_store::run_ready;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn hashing_embedder_is_deterministic_normalized_and_similar_for_similar_texts() {
        let mut e = HashingEmbedder::default();
        let texts: Vec<String> = [
            "Learn Python for data science",
            "Python data science with pandas",
            "Conversational Spanish for travel",
            "",
        ]
        .map(String::from)
        .to_vec();
        // Through the `&mut E` implementation, as generic code borrows an embedder.
        async fn through(mut e: impl Embedder, texts: &[String]) -> Vec<Vec<f32>> {
            assert_eq!(e.model(), "hashing-bow-v1");
            e.embed(texts).await.expect("embed")
        }
        let v = run_ready(through(&mut e, &texts)).expect("ready");
        assert_eq!(e.calls, 4);
        assert_eq!(e.model(), "hashing-bow-v1");
        assert!((dot(&v[0], &v[0]) - 1.0).abs() < 1e-5);
        assert!(dot(&v[0], &v[1]) > 0.4, "{}", dot(&v[0], &v[1]));
        assert!(dot(&v[0], &v[2]) < dot(&v[0], &v[1]));
        assert!(v[3].iter().all(|x| *x == 0.0));
        assert_eq!(
            HashingEmbedder::vector("Python"),
            HashingEmbedder::vector("python")
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn bytes_round_trip_and_shape_checks() {
        let v = HashingEmbedder::vector("calculus");
        assert_eq!(from_bytes(&to_bytes(&v)), Some(v.clone()));
        assert_eq!(from_bytes(&[0; 12]), None);
        let scaled: Vec<f32> = v.iter().map(|x| x * 3.0).collect();
        let ok = checked(1, vec![scaled]).expect("ok");
        assert!((dot(&ok[0], &v) - 1.0).abs() < 1e-5);
        assert!(matches!(
            checked(2, vec![v.clone()]),
            Err(EmbedError::Shape { .. })
        ));
        let short = checked(1, vec![vec![1.0; 3]]).unwrap_err();
        assert!(short.to_string().contains("a vector of 3 values"));
        assert!(checked(1, vec![vec![f32::NAN; EMBEDDING_DIM]]).is_err());
    }
}
