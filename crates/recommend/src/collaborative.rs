//! The collaborative signal, item to item: what the students who took this student's latest
//! items also took, weighed against how popular it is (as item-kNN recommenders normalize
//! co-occurrence) and against how long ago the student took the item it came from.
//!
//! A pure function over a bounded sample ([`TAKERS_PER_ITEM`] co-takers of each of the
//! [`RECENT_ITEMS`] latest items), so that a request's cost does not grow with the platform;
//! `generate.rs` reads the sample from the store, the offline evaluation from its replay.

use std::collections::{HashMap, HashSet};

/// The student's latest items (of any kind) the signal starts from.
pub const RECENT_ITEMS: usize = 10;
/// Co-takers sampled per recent item (in id order; at most 300 peers in all).
pub const TAKERS_PER_ITEM: usize = 30;
/// How much less each older recent item counts than the next (the latest counts 1).
pub const RECENCY_DECAY: f32 = 0.8;
/// The exponent of an item's popularity in the normalization: 0.5 would be the cosine, 0 the
/// plain share; 0.25 did best on the offline evaluation's validation split
/// (docs/EVALUATION.md).
pub const POPULARITY_EXPONENT: f32 = 0.25;

/// One of the student's recent items, through its sampled co-takers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoTakers {
    /// How many takers of the item (other than the student) were sampled.
    pub sampled: usize,
    /// Per item of the kind recommended, how many of them took it.
    pub counts: HashMap<String, u32>,
}

/// Scores, 0 to 1, of the items the co-takers of `recent` (latest first) took, at most
/// `limit` of them (the best), none in `taken`:
///
/// ```text
/// score(i) ∝ Σ_r RECENCY_DECAY^r · (co-takers of r who took i / co-takers of r sampled)
///            / popularity(i)^POPULARITY_EXPONENT
/// ```
///
/// The share estimates how often the takers of `r` take `i`; dividing by a power of `i`'s
/// popularity (students who took it, at least 1) keeps items everyone takes from ranking
/// first for everyone.
pub fn co_taken(
    recent: &[CoTakers],
    popularity: impl Fn(&str) -> i64,
    taken: &HashSet<String>,
    limit: usize,
) -> HashMap<String, f32> {
    let mut scores: HashMap<&str, f32> = HashMap::new();
    let mut weight = 1.0f32;
    for r in recent {
        if r.sampled > 0 {
            for (item, &n) in &r.counts {
                if !taken.contains(item) {
                    *scores.entry(item.as_str()).or_default() +=
                        weight * n as f32 / r.sampled as f32;
                }
            }
        }
        weight *= RECENCY_DECAY;
    }
    let mut scored: Vec<(&str, f32)> = scores
        .into_iter()
        .map(|(item, s)| {
            let p = popularity(item).max(1) as f32;
            (item, s / p.powf(POPULARITY_EXPONENT))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    scored.truncate(limit);
    let max = scored.first().map_or(1.0, |s| s.1).max(f32::MIN_POSITIVE);
    scored
        .into_iter()
        .map(|(item, s)| (item.to_owned(), s / max))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn co(sampled: usize, counts: &[(&str, u32)]) -> CoTakers {
        CoTakers {
            sampled,
            counts: counts.iter().map(|(i, n)| (i.to_string(), *n)).collect(),
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn popular_items_weigh_less_and_recent_items_more() {
        let pop = |i: &str| match i {
            "everyone" => 100,
            _ => 4,
        };
        let none = HashSet::new();
        // Half the co-takers took a niche item, all took the item everyone takes.
        let s = co_taken(&[co(10, &[("niche", 5), ("everyone", 10)])], pop, &none, 10);
        assert_eq!(s["niche"], 1.0);
        let everyone = 2.0 * (4.0f32 / 100.0).powf(POPULARITY_EXPONENT);
        assert!(everyone < 1.0 && (s["everyone"] - everyone).abs() < 1e-6);
        // The same shares through an older item count less.
        let s = co_taken(
            &[co(10, &[("new", 5)]), co(10, &[("old", 5)])],
            pop,
            &none,
            10,
        );
        assert_eq!(s["new"], 1.0);
        assert!((s["old"] - RECENCY_DECAY).abs() < 1e-6);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn taken_items_are_left_out_and_the_best_kept() {
        let taken: HashSet<String> = ["a".to_string()].into();
        let recent = [co(4, &[("a", 4), ("b", 3), ("c", 1)]), co(0, &[])];
        let s = co_taken(&recent, |_| 1, &taken, 1);
        assert_eq!(s, HashMap::from([("b".to_string(), 1.0)]));
        assert!(co_taken(&[], |_| 1, &taken, 10).is_empty());
    }
}
