//! The hybrid score, the diversity pass and the explanations: pure functions over candidates
//! already gathered from the index and the store (see `docs/RECOMMENDATIONS.md`).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::embed::dot;
use crate::filters::{Attributes, Filters, Level};
use crate::index::Kind;

/// One tutor or course that may be recommended, with everything the score needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The tutor or course id.
    pub id: String,
    /// The tutor's name or the course's title, for explanations.
    pub label: String,
    /// What filters look at.
    pub attributes: Attributes,
    /// Cosine similarity to the student's goals and history (0 when unknown).
    pub similarity: f32,
    /// How much the students who took this student's latest items also took this one,
    /// against its popularity, 0 to 1 ([`crate::collaborative::co_taken`]).
    pub collaborative: f32,
    /// Sum and count of ratings.
    pub ratings: (i64, i64),
    /// Bookings (tutors) or enrollments (courses).
    pub popularity: i64,
    /// Completed courses (courses only).
    pub completions: i64,
    /// The item's vector, for diversity (`None`: not compared).
    pub vector: Option<Vec<f32>>,
}

/// The student side of a ranking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RankContext {
    /// Items the student already booked, enrolled in or completed: never recommended.
    pub taken: HashSet<String>,
    /// The student's level (from their latest goal), for course fit.
    pub level: Option<Level>,
    /// The student's latest goal, quoted in explanations.
    pub goal: Option<String>,
    /// Whether the student has a history (else the collaborative signal is absent).
    pub has_history: bool,
}

/// The weights of the hybrid score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Semantic similarity.
    pub similarity: f32,
    /// Collaborative signal.
    pub collaborative: f32,
    /// Quality prior (Bayesian rating, completion rate).
    pub quality: f32,
    /// Popularity (log-scaled).
    pub popularity: f32,
    /// Course level fit.
    pub level_fit: f32,
    /// Diversity: how much similarity to an item already chosen costs.
    pub diversity: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            similarity: 0.45,
            collaborative: 0.2,
            quality: 0.15,
            popularity: 0.05,
            level_fit: 0.15,
            diversity: 0.15,
        }
    }
}

/// Ratings a new item is assumed to have, at the platform-wide mean (Bayesian average).
pub const PRIOR_RATINGS: f64 = 5.0;
/// The mean rating assumed before any review.
pub const PRIOR_MEAN: f64 = 4.0;

/// The similarity from which an explanation says an item matches the goal.
pub const SIMILAR_ENOUGH: f32 = 0.2;

/// A ranked item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendedItem {
    /// `tutor` or `course`.
    pub kind: Kind,
    /// The tutor or course id.
    pub id: String,
    /// The hybrid score, 0 to 1.
    pub score: f32,
    /// Why, in a short sentence.
    pub explanation: String,
}

/// The Bayesian average rating, 1 to 5.
pub fn bayesian_rating(sum: i64, count: i64) -> f64 {
    (PRIOR_RATINGS * PRIOR_MEAN + sum as f64) / (PRIOR_RATINGS + count as f64)
}

pub(crate) struct Parts {
    similarity: f32,
    collaborative: f32,
    quality: f32,
    popularity: f32,
    level_fit: f32,
}

pub(crate) fn parts(c: &Candidate, ctx: &RankContext, max_popularity: i64) -> Parts {
    let rating = ((bayesian_rating(c.ratings.0, c.ratings.1) - 1.0) / 4.0) as f32;
    let quality = match c.attributes.kind {
        Kind::Tutor => rating,
        Kind::Course => {
            let completion =
                (c.completions as f32 + 1.0) / (c.popularity.max(c.completions) as f32 + 2.0);
            0.7 * rating + 0.3 * completion
        }
    };
    let popularity = if max_popularity > 0 {
        ((1.0 + c.popularity.max(0) as f32).ln() / (1.0 + max_popularity as f32).ln()).min(1.0)
    } else {
        0.0
    };
    let level_fit = match (c.attributes.level, ctx.level) {
        (Some(item), Some(student)) => 1.0 - (item.rank() - student.rank()).abs() as f32 / 2.0,
        _ => 1.0,
    };
    Parts {
        similarity: c.similarity.clamp(0.0, 1.0),
        collaborative: c.collaborative.clamp(0.0, 1.0),
        quality: quality.clamp(0.0, 1.0),
        popularity,
        level_fit,
    }
}

pub(crate) fn score(p: &Parts, w: &Weights) -> f32 {
    w.similarity * p.similarity
        + w.collaborative * p.collaborative
        + w.quality * p.quality
        + w.popularity * p.popularity
        + w.level_fit * p.level_fit
}

/// Ranks `candidates`: drops what the filters refuse and what the student already took,
/// scores the rest, and picks up to `limit` greedily, each pick maximizing its score minus
/// [`Weights::diversity`] times its similarity to the closest item already picked.
pub fn rank(
    candidates: Vec<Candidate>,
    filters: &Filters,
    ctx: &RankContext,
    weights: &Weights,
    limit: usize,
) -> Vec<RecommendedItem> {
    let mut seen = HashSet::new();
    let pool: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| filters.admits(&c.attributes) && !ctx.taken.contains(&c.id))
        .filter(|c| seen.insert(c.id.clone()))
        .collect();
    let max_popularity = pool.iter().map(|c| c.popularity).max().unwrap_or(0);
    let mut scored: Vec<(Candidate, Parts, f32)> = pool
        .into_iter()
        .map(|c| {
            let p = parts(&c, ctx, max_popularity);
            let s = score(&p, weights);
            (c, p, s)
        })
        .collect();
    scored.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.id.cmp(&b.0.id)));
    // Each candidate's similarity to the closest item picked so far, and how many picks that
    // covers: brought up to date only when the candidate is looked at, which the early stop
    // below keeps to the few near the top.
    let mut closest: Vec<(f32, usize)> = vec![(0.0, 0); scored.len()];
    let mut picked: Vec<(Candidate, Parts, f32)> = Vec::new();
    while picked.len() < limit && !scored.is_empty() {
        let mut best: Option<(usize, f32)> = None;
        for (i, (c, _, s)) in scored.iter().enumerate() {
            // `scored` is sorted by score, so when the penalty is never negative no later
            // candidate can beat the best adjusted score so far.
            if weights.diversity >= 0.0 && best.is_some_and(|(_, b)| b >= *s) {
                break;
            }
            let (near, seen) = &mut closest[i];
            if let Some(w) = &c.vector {
                for (p, _, _) in &picked[*seen..] {
                    if let Some(v) = &p.vector {
                        *near = near.max(dot(w, v));
                    }
                }
            }
            *seen = picked.len();
            let adjusted = s - weights.diversity * *near;
            if best.is_none_or(|(_, b)| adjusted > b) {
                best = Some((i, adjusted));
            }
        }
        let Some((i, _)) = best else { break };
        closest.remove(i);
        picked.push(scored.remove(i));
    }
    picked
        .into_iter()
        .map(|(c, p, s)| RecommendedItem {
            kind: c.attributes.kind,
            explanation: explain(&c, &p, ctx, weights),
            id: c.id,
            score: s.clamp(0.0, 1.0),
        })
        .collect()
}

fn explain(c: &Candidate, p: &Parts, ctx: &RankContext, w: &Weights) -> String {
    let what = match c.attributes.kind {
        Kind::Tutor => "tutors",
        Kind::Course => "courses",
    };
    let mut reasons: Vec<(f32, String)> = Vec::new();
    if p.similarity >= SIMILAR_ENOUGH {
        let text = match &ctx.goal {
            Some(goal) => format!("matches your goal \u{201c}{goal}\u{201d}"),
            None => "close to what you studied".to_owned(),
        };
        reasons.push((w.similarity * p.similarity, text));
    }
    if p.collaborative > 0.0 {
        reasons.push((
            w.collaborative * p.collaborative,
            format!("popular with students who took the same {what}"),
        ));
    }
    let (sum, count) = c.ratings;
    let rating = if count > 0 {
        format!(
            "rated {:.1}/5 by {count} students",
            sum as f64 / count as f64
        )
    } else {
        "new on the platform".to_owned()
    };
    reasons.push((w.quality * p.quality, rating));
    if let Some(level) = c.attributes.level
        && p.level_fit >= 1.0
        && ctx.level.is_some()
    {
        reasons.push((w.level_fit, format!("at your level ({})", level.as_str())));
    }
    reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
    let text: Vec<String> = reasons.into_iter().take(2).map(|(_, t)| t).collect();
    let mut sentence = format!("{}: {}", c.label, text.join("; "));
    sentence.push('.');
    sentence
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn candidate(id: &str, similarity: f32, ratings: (i64, i64)) -> Candidate {
        Candidate {
            id: id.into(),
            label: format!("Item {id}"),
            attributes: Attributes {
                kind: Kind::Course,
                subjects: vec!["Python".into()],
                languages: vec![],
                price: 1000,
                currency: "USD".into(),
                level: Some(Level::Beginner),
            },
            similarity,
            collaborative: 0.0,
            ratings,
            popularity: 10,
            completions: 5,
            vector: None,
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn similarity_and_quality_order_results_and_taken_is_skipped() {
        let ctx = RankContext {
            taken: ["c".to_string()].into(),
            level: Some(Level::Beginner),
            goal: Some("Learn Python".into()),
            has_history: true,
        };
        let items = vec![
            candidate("a", 0.2, (0, 0)),
            candidate("b", 0.9, (45, 10)),
            candidate("c", 1.0, (50, 10)),
            candidate("b", 0.9, (45, 10)),
        ];
        let out = rank(items, &Filters::default(), &ctx, &Weights::default(), 10);
        let ids: Vec<&str> = out.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert!(
            out[0]
                .explanation
                .contains("matches your goal \u{201c}Learn Python\u{201d}")
        );
        assert!(out[0].score > out[1].score && out[0].score <= 1.0);
        let none = rank(vec![], &Filters::default(), &ctx, &Weights::default(), 3);
        assert!(none.is_empty());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn diversity_prefers_a_different_item_over_a_near_duplicate() {
        let v = |x: f32| {
            let mut v = vec![x, 1.0 - x];
            crate::embed::normalize(&mut v);
            Some(v)
        };
        let mut a = candidate("a", 0.90, (0, 0));
        let mut a2 = candidate("a2", 0.89, (0, 0));
        let mut b = candidate("b", 0.80, (0, 0));
        (a.vector, a2.vector, b.vector) = (v(1.0), v(1.0), v(0.0));
        let ctx = RankContext::default();
        let out = rank(
            vec![a, a2, b],
            &Filters::default(),
            &ctx,
            &Weights::default(),
            2,
        );
        let ids: Vec<&str> = out.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert!(out[1].explanation.contains("close to what you studied"));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn cold_items_get_the_prior_and_explanations_name_the_signal() {
        assert_eq!(bayesian_rating(0, 0), PRIOR_MEAN);
        assert!(bayesian_rating(50, 10) > bayesian_rating(5, 1));
        let mut c = candidate("t", 0.0, (0, 0));
        c.attributes.kind = Kind::Tutor;
        c.attributes.level = None;
        c.collaborative = 1.0;
        let ctx = RankContext::default();
        let out = rank(vec![c], &Filters::default(), &ctx, &Weights::default(), 1);
        assert!(
            out[0]
                .explanation
                .contains("popular with students who took the same tutors")
        );
        assert!(out[0].explanation.contains("new on the platform"));
        let mut rated = candidate("r", 0.0, (9, 2));
        rated.popularity = 0;
        let ctx = RankContext {
            level: Some(Level::Beginner),
            ..RankContext::default()
        };
        let out = rank(
            vec![rated],
            &Filters::default(),
            &ctx,
            &Weights::default(),
            1,
        );
        assert!(
            out[0].explanation.contains("rated 4.5/5 by 2 students"),
            "{}",
            out[0].explanation
        );
        assert!(
            out[0].explanation.contains("at your level (beginner)"),
            "{}",
            out[0].explanation
        );
    }
}
