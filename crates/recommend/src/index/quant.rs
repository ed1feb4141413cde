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

/// `f32`s as one byte string, little-endian.
pub(super) mod le_f32s {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(values: &[f32], serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        serializer.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f32>, D::Error> {
        let bytes: serde_bytes::ByteBuf = serde::Deserialize::deserialize(deserializer)?;
        words(&bytes).map(|w| w.map(f32::from_le_bytes).collect())
    }

    /// The 4-byte words of `bytes`, or an error if its length is not a multiple of 4.
    pub(crate) fn words<E: serde::de::Error>(
        bytes: &[u8],
    ) -> Result<impl Iterator<Item = [u8; 4]> + '_, E> {
        if !bytes.len().is_multiple_of(4) {
            return Err(E::custom("a byte string of 4-byte words"));
        }
        Ok(bytes.chunks_exact(4).map(|w| [w[0], w[1], w[2], w[3]]))
    }
}

/// `u32`s as one byte string, little-endian.
pub(super) mod le_u32s {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(values: &[u32], serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        serializer.serialize_bytes(&bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u32>, D::Error> {
        let bytes: serde_bytes::ByteBuf = serde::Deserialize::deserialize(deserializer)?;
        super::le_f32s::words(&bytes).map(|w| w.map(u32::from_le_bytes).collect())
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
