//! Top-k metrics with one held-out item per user, and catalog coverage.

use std::collections::HashSet;
use std::hash::Hash;

/// NDCG@k with one relevant item: `1 / log2(position + 2)` if it is at `position` (0-based)
/// among the first `k`, else 0 (the ideal DCG is 1: the item first).
///
/// ```
/// assert_eq!(eval_recommend::metrics::ndcg_at(&[7, 3], &3, 10), 1.0 / 3f64.log2());
/// ```
pub fn ndcg_at<T: PartialEq>(ranked: &[T], relevant: &T, k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|x| x == relevant)
        .map_or(0.0, |p| 1.0 / ((p + 2) as f64).log2())
}

/// Recall@k with one relevant item, i.e. the hit rate: 1 if it is among the first `k`.
pub fn recall_at<T: PartialEq>(ranked: &[T], relevant: &T, k: usize) -> f64 {
    if ranked.iter().take(k).any(|x| x == relevant) {
        1.0
    } else {
        0.0
    }
}

/// The share of the catalog that appears in at least one top-k list.
#[derive(Debug, Clone)]
pub struct Coverage<T> {
    seen: HashSet<T>,
    catalog: usize,
}

impl<T: Eq + Hash + Clone> Coverage<T> {
    /// Coverage of a catalog of `catalog` items.
    pub fn new(catalog: usize) -> Coverage<T> {
        Coverage {
            seen: HashSet::new(),
            catalog,
        }
    }

    /// Counts the first `k` items of one list.
    pub fn add(&mut self, ranked: &[T], k: usize) {
        self.seen.extend(ranked.iter().take(k).cloned());
    }

    /// Distinct items recommended / catalog size (0 for an empty catalog).
    pub fn value(&self) -> f64 {
        if self.catalog == 0 {
            0.0
        } else {
            self.seen.len() as f64 / self.catalog as f64
        }
    }
}

/// A running mean.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Mean {
    sum: f64,
    n: usize,
}

impl Mean {
    /// Adds one value.
    pub fn add(&mut self, x: f64) {
        self.sum += x;
        self.n += 1;
    }

    /// The mean (0 with no value).
    pub fn value(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64
        }
    }

    /// How many values.
    pub fn count(&self) -> usize {
        self.n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_discounts_by_position_and_stops_at_k() {
        assert_eq!(ndcg_at(&["a", "b", "c"], &"a", 10), 1.0);
        assert!((ndcg_at(&["a", "b", "c"], &"b", 10) - 1.0 / 3f64.log2()).abs() < 1e-12);
        assert!((ndcg_at(&["a", "b", "c", "d"], &"d", 10) - 1.0 / 5f64.log2()).abs() < 1e-12);
        assert_eq!(ndcg_at(&["a", "b", "c"], &"c", 2), 0.0);
        assert_eq!(ndcg_at(&["a"], &"z", 10), 0.0);
        assert_eq!(ndcg_at::<&str>(&[], &"z", 10), 0.0);
    }

    #[test]
    fn recall_is_a_hit_within_k() {
        assert_eq!(recall_at(&[1, 2, 3], &3, 3), 1.0);
        assert_eq!(recall_at(&[1, 2, 3], &3, 2), 0.0);
        assert_eq!(recall_at(&[1, 2, 3], &9, 10), 0.0);
    }

    #[test]
    fn coverage_counts_distinct_items_in_the_top_k() {
        let mut c = Coverage::new(10);
        c.add(&[1, 2, 3], 2);
        c.add(&[2, 1, 4], 2);
        assert_eq!(c.value(), 0.2);
        c.add(&[5, 6], 10);
        assert_eq!(c.value(), 0.4);
        assert_eq!(Coverage::<u8>::new(0).value(), 0.0);
    }

    #[test]
    fn mean_of_nothing_is_zero() {
        let mut m = Mean::default();
        assert_eq!((m.value(), m.count()), (0.0, 0));
        m.add(1.0);
        m.add(0.0);
        assert_eq!((m.value(), m.count()), (0.5, 2));
    }
}
