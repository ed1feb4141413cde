//! Quantized vectors: 384 `i8`s and one scale, a quarter of the `f32` size, so a shard
//! decodes fast and stays small in memory; the cosine similarity they give is within about
//! 1% of the exact one.

use serde::{Deserialize, Serialize};

/// A unit vector quantized to `i8`s: `value[i] ≈ scale * q[i]`. The `i8`s are kept as their
/// bytes, so a stored shard's matrix is searched where it lies, with no copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QVec {
    scale: f32,
    #[serde(with = "serde_bytes")]
    q: Vec<u8>,
}

/// The `i8` a byte holds.
fn signed(byte: u8) -> i32 {
    i32::from(byte as i8)
}

impl QVec {
    /// Quantizes `v` (each value divided by the largest magnitude, times 127).
    pub fn new(v: &[f32]) -> QVec {
        let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        if max == 0.0 {
            return QVec {
                scale: 0.0,
                q: vec![0; v.len()],
            };
        }
        let q = v
            .iter()
            .map(|x| (x / max * 127.0).round().clamp(-127.0, 127.0) as i8 as u8)
            .collect();
        QVec {
            scale: max / 127.0,
            q,
        }
    }

    /// The approximate dot product with another quantized vector.
    pub fn similarity(&self, other: &QVec) -> f32 {
        self.similarity_to(&other.q, other.scale)
    }

    /// The approximate dot product with the quantized vector `values` (the bytes of `i8`s)
    /// times `scale`.
    pub fn similarity_to(&self, values: &[u8], scale: f32) -> f32 {
        let sum: i32 = self
            .q
            .iter()
            .zip(values)
            .map(|(a, b)| signed(*a) * signed(*b))
            .sum();
        sum as f32 * self.scale * scale
    }

    /// The vector again, approximately.
    pub fn to_f32(&self) -> Vec<f32> {
        QVec::f32s(&self.q, self.scale)
    }

    /// The approximate vector of `values` (the bytes of `i8`s) times `scale`.
    pub fn f32s(values: &[u8], scale: f32) -> Vec<f32> {
        values.iter().map(|x| signed(*x) as f32 * scale).collect()
    }

    /// How many dimensions.
    pub fn dim(&self) -> usize {
        self.q.len()
    }

    /// The quantized values, as the bytes of `i8`s.
    pub fn values(&self) -> &[u8] {
        &self.q
    }

    /// What a value is multiplied by.
    pub fn scale(&self) -> f32 {
        self.scale
    }
}

impl instant_distance::Point for QVec {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - self.similarity(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{HashingEmbedder, dot};

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn quantized_similarity_is_close_to_exact() {
        let a = HashingEmbedder::vector("Calculus I: limits and derivatives");
        let b = HashingEmbedder::vector("Calculus II: integrals and series");
        let (qa, qb) = (QVec::new(&a), QVec::new(&b));
        assert!((qa.similarity(&qb) - dot(&a, &b)).abs() < 0.02);
        assert!((qa.similarity(&qa) - 1.0).abs() < 0.02);
        assert!(
            qa.to_f32()
                .iter()
                .zip(&a)
                .all(|(x, y)| (x - y).abs() < 0.01)
        );
        let zero = QVec::new(&[0.0; 4]);
        assert_eq!(zero.similarity(&zero), 0.0);
        assert!((instant_distance::Point::distance(&qa, &qa)).abs() < 0.02);
    }
}
