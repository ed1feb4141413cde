//! Quantized vectors: 384 `i8`s and one scale, a quarter of the `f32` size, so a shard
//! decodes fast and stays small in memory; the cosine similarity they give is within about
//! 1% of the exact one.

use serde::{Deserialize, Serialize};

/// A unit vector quantized to `i8`s: `value[i] ≈ scale * q[i]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QVec {
    scale: f32,
    #[serde(with = "i8_bytes")]
    q: Vec<i8>,
}

/// `i8`s as one byte string: decoding a shard copies them at once instead of visiting them
/// one by one (a recycled instance decodes its shards again).
pub(super) mod i8_bytes {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(q: &[i8], serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = q.iter().map(|&x| x as u8).collect();
        serializer.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<i8>, D::Error> {
        let bytes: serde_bytes::ByteBuf = serde::Deserialize::deserialize(deserializer)?;
        Ok(bytes.into_vec().into_iter().map(|x| x as i8).collect())
    }
}

/// Numbers of 4 bytes, as one byte string, little-endian.
pub(super) mod le_words {
    use serde::{Deserializer, Serializer};

    /// A number stored as 4 little-endian bytes.
    pub trait Word: Copy {
        fn to_le(self) -> [u8; 4];
        fn from_le(bytes: [u8; 4]) -> Self;
    }

    impl Word for u32 {
        fn to_le(self) -> [u8; 4] {
            self.to_le_bytes()
        }
        fn from_le(bytes: [u8; 4]) -> Self {
            u32::from_le_bytes(bytes)
        }
    }

    impl Word for f32 {
        fn to_le(self) -> [u8; 4] {
            self.to_le_bytes()
        }
        fn from_le(bytes: [u8; 4]) -> Self {
            f32::from_le_bytes(bytes)
        }
    }

    pub fn serialize<T: Word, S: Serializer>(
        values: &[T],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le()).collect();
        serializer.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, T: Word, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<T>, D::Error> {
        let bytes: serde_bytes::ByteBuf = serde::Deserialize::deserialize(deserializer)?;
        if !bytes.len().is_multiple_of(4) {
            return Err(serde::de::Error::custom("a byte string of 4-byte words"));
        }
        Ok(bytes
            .chunks_exact(4)
            .map(|w| T::from_le([w[0], w[1], w[2], w[3]]))
            .collect())
    }
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
            .map(|x| (x / max * 127.0).round().clamp(-127.0, 127.0) as i8)
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

    /// The approximate dot product with the quantized vector `values` times `scale`.
    pub fn similarity_to(&self, values: &[i8], scale: f32) -> f32 {
        let sum: i32 = self
            .q
            .iter()
            .zip(values)
            .map(|(a, b)| i32::from(*a) * i32::from(*b))
            .sum();
        sum as f32 * self.scale * scale
    }

    /// The vector again, approximately.
    pub fn to_f32(&self) -> Vec<f32> {
        QVec::f32s(&self.q, self.scale)
    }

    /// The approximate vector of `values` times `scale`.
    pub fn f32s(values: &[i8], scale: f32) -> Vec<f32> {
        values.iter().map(|x| f32::from(*x) * scale).collect()
    }

    /// How many dimensions.
    pub fn dim(&self) -> usize {
        self.q.len()
    }

    /// The quantized values.
    pub fn values(&self) -> &[i8] {
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
