//! Deterministic synthetic unit vectors for recall tests and benchmarks, in three shapes:
//! uniform on the sphere (the worst case for any graph index, unlike embeddings), flat
//! clusters with noise in every dimension, and *topical* clusters whose spread lies mostly in
//! a few directions per topic, as sentence embeddings of profiles in a few topics do (their
//! variance concentrates in a few dozen directions). Queries are drawn from the same
//! distribution as the items (same centers, other noise), as a student's goal is near the
//! profiles it is searched against.
//!
//! Only for tests and benchmarks (the `synthetic` feature); no real data goes through it.

use crate::embed::{EMBEDDING_DIM, normalize};

/// How the vectors spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Uniform on the unit sphere.
    Uniform,
    /// Around a center per cluster, uniform noise of ±0.06 in every dimension (cosine to the
    /// center about 0.83).
    Clustered,
    /// Around a center per topic, spread along 24 directions of the topic with decaying
    /// weight, plus a little noise in every dimension (cosine to the center about 0.83, as
    /// for [`Shape::Clustered`], but the spread has a few dozen dimensions, not 384).
    Topical,
}

/// Directions of spread per topic ([`Shape::Topical`]).
const TOPIC_DIRECTIONS: usize = 24;

/// A generator: the centers (and topic directions) are fixed by its seed; each
/// [`Synthetic::sample`] draws new vectors around them.
#[derive(Debug, Clone)]
pub struct Synthetic {
    shape: Shape,
    centers: Vec<Vec<f32>>,
    directions: Vec<Vec<Vec<f32>>>,
}

impl Synthetic {
    /// `clusters` centers (at least one) drawn from `seed`.
    pub fn new(shape: Shape, clusters: usize, seed: u64) -> Synthetic {
        let mut rng = Rng::new(seed);
        let clusters = clusters.max(1);
        let centers = (0..clusters).map(|_| rng.unit()).collect();
        let directions = match shape {
            Shape::Topical => (0..clusters)
                .map(|_| (0..TOPIC_DIRECTIONS).map(|_| rng.unit()).collect())
                .collect(),
            _ => Vec::new(),
        };
        Synthetic {
            shape,
            centers,
            directions,
        }
    }

    /// How many clusters.
    pub fn clusters(&self) -> usize {
        self.centers.len()
    }

    /// `n` vectors named `{prefix}-{i:05}`; item `i` is in cluster `i % clusters`.
    pub fn sample(&self, n: usize, seed: u64, prefix: &str) -> Vec<(String, Vec<f32>)> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|i| {
                let v = self.around(i % self.centers.len(), &mut rng);
                (format!("{prefix}-{i:05}"), v)
            })
            .collect()
    }

    /// One vector of cluster `cluster` (modulo the clusters), drawn from `rng`.
    pub fn around(&self, cluster: usize, rng: &mut Rng) -> Vec<f32> {
        let cluster = cluster % self.centers.len();
        let center = &self.centers[cluster];
        let mut v: Vec<f32> = match self.shape {
            Shape::Uniform => return rng.unit(),
            Shape::Clustered => center.iter().map(|x| x + 0.06 * rng.signed()).collect(),
            Shape::Topical => {
                let mut v: Vec<f32> = center.iter().map(|x| x + 0.01 * rng.signed()).collect();
                for (j, d) in self.directions[cluster].iter().enumerate() {
                    let w = 0.6 / ((j + 1) as f32).sqrt() * rng.signed();
                    v.iter_mut().zip(d).for_each(|(a, b)| *a += w * b);
                }
                v
            }
        };
        normalize(&mut v);
        v
    }
}

/// A small deterministic generator (xorshift).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1))
    }

    /// Uniform in `[-1, 1)`.
    pub fn signed(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.signed() + 1.0) / 2.0 * n as f32) as usize).min(n.saturating_sub(1))
    }

    /// A random unit vector of [`EMBEDDING_DIM`] values (a normalized Gaussian-like draw:
    /// the sum of three uniforms per value, so the direction is close to uniform).
    pub fn unit(&mut self) -> Vec<f32> {
        let mut v: Vec<f32> = (0..EMBEDDING_DIM)
            .map(|_| self.signed() + self.signed() + self.signed())
            .collect();
        normalize(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::dot;

    #[test]
    fn shapes_spread_as_documented() {
        for (shape, low, high) in [
            (Shape::Uniform, -0.2, 0.2),
            (Shape::Clustered, 0.78, 0.88),
            (Shape::Topical, 0.78, 0.88),
        ] {
            let g = Synthetic::new(shape, 3, 1);
            let items = g.sample(60, 2, "x");
            let mean = items
                .iter()
                .enumerate()
                .map(|(i, (_, v))| dot(v, &g.centers[i % 3]))
                .sum::<f32>()
                / 60.0;
            assert!(low < mean && mean < high, "{shape:?}: {mean}");
            assert!(items.iter().all(|(_, v)| (dot(v, v) - 1.0).abs() < 1e-4));
        }
        assert_eq!(
            Synthetic::new(Shape::Topical, 3, 1).sample(2, 5, "t")[1].0,
            "t-00001"
        );
        let mut rng = Rng::new(3);
        assert!((0..100).all(|_| rng.below(7) < 7));
    }
}
