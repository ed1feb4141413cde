//! What is evaluated: our ranker, fed the candidates the library gathers, and the popularity
//! and random baselines.

use std::collections::{BTreeSet, HashMap, HashSet};

use recommend::collaborative::{CoTakers, RECENT_ITEMS, TAKERS_PER_ITEM, co_taken};
use recommend::ranker::{Candidate, RankContext, Weights, rank};
use recommend::{ANN_CANDIDATES, Attributes, FALLBACK_CANDIDATES, Filters, dot};

use crate::dataset::Dataset;
use crate::state::State;

/// A top-k recommender over the state at a cut.
pub trait Recommender {
    /// Its name in reports.
    fn name(&self) -> String;

    /// Up to `k` items for `user`, best first, none already taken.
    fn top(&mut self, state: &State, user: usize, k: usize) -> Vec<usize>;
}

/// Goals that shape the query vector, latest first (`student.rs`).
const GOALS: usize = 5;
/// History items that shape the query vector, latest first (`student.rs`).
const HISTORY: usize = 20;

/// The library's recommender: candidates gathered as `generate.rs` gathers them (nearest
/// items, peers' items, best-rated items of the student's subjects), scored, diversified and
/// cut by `recommend::ranker::rank`.
///
/// The one difference: the nearest items come from an exact scan of the whole catalog rather
/// than the per-subject shards the index would search (below 4,096 items a shard is scanned
/// exactly anyway; the shards would restrict the search to a few subjects).
#[derive(Clone)]
pub struct Ours<'d> {
    dataset: &'d Dataset,
    item_vectors: Vec<Vec<f32>>,
    goal_vectors: HashMap<String, Vec<f32>>,
    ids: HashMap<&'d str, usize>,
    /// The hybrid score's weights.
    pub weights: Weights,
    /// Its name in reports.
    pub label: String,
}

impl<'d> Ours<'d> {
    /// Our ranker over `dataset`, with a vector per item and per goal text.
    pub fn new(
        dataset: &'d Dataset,
        item_vectors: Vec<Vec<f32>>,
        goal_vectors: HashMap<String, Vec<f32>>,
        weights: Weights,
        label: &str,
    ) -> Ours<'d> {
        let ids = dataset
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.id.as_str(), i))
            .collect();
        Ours {
            dataset,
            item_vectors,
            goal_vectors,
            ids,
            weights,
            label: label.to_owned(),
        }
    }

    /// The dataset it ranks.
    pub fn dataset(&self) -> &'d Dataset {
        self.dataset
    }

    fn query(&self, state: &State, user: usize) -> Option<Vec<f32>> {
        let goals: Vec<Vec<f32>> = state.goals[user]
            .iter()
            .take(GOALS)
            .filter_map(|g| self.goal_vectors.get(&g.text).cloned())
            .collect();
        let history: Vec<Vec<f32>> = state.history[user]
            .iter()
            .rev()
            .take(HISTORY)
            .map(|&i| self.item_vectors[i].clone())
            .collect();
        recommend::blend(&goals, &history)
    }

    /// The [`ANN_CANDIDATES`] published items nearest to the query.
    fn nearest(&self, state: &State, query: &[f32]) -> HashMap<usize, f32> {
        let mut scored: Vec<(usize, f32)> = (0..self.item_vectors.len())
            .filter(|&i| state.published[i])
            .map(|i| (i, dot(query, &self.item_vectors[i])))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(ANN_CANDIDATES);
        scored.into_iter().collect()
    }

    /// The library's collaborative signal ([`co_taken`]) over the sample the library reads:
    /// the user's [`RECENT_ITEMS`] latest items (of any kind), and for each its first
    /// [`TAKERS_PER_ITEM`] other takers in id order and the items they took.
    fn collaborative(&self, state: &State, user: usize) -> HashMap<usize, f32> {
        let recent: Vec<CoTakers> = state.touched[user]
            .iter()
            .rev()
            .take(RECENT_ITEMS)
            .map(|touch| {
                let takers = state.takers_of(touch).into_iter().flatten();
                let sample: Vec<usize> = takers
                    .copied()
                    .filter(|&p| p != user)
                    .take(TAKERS_PER_ITEM)
                    .collect();
                let mut counts: HashMap<String, u32> = HashMap::new();
                for &peer in &sample {
                    for &item in &state.taken[peer] {
                        *counts
                            .entry(self.dataset.items[item].id.clone())
                            .or_default() += 1;
                    }
                }
                CoTakers {
                    sampled: sample.len(),
                    counts,
                }
            })
            .collect();
        let taken: HashSet<String> = state.taken[user]
            .iter()
            .map(|&i| self.dataset.items[i].id.clone())
            .collect();
        let popularity = |id: &str| self.ids.get(id).map_or(0, |&i| state.popularity(i));
        co_taken(&recent, popularity, &taken, ANN_CANDIDATES)
            .into_iter()
            .filter_map(|(id, s)| Some((*self.ids.get(id.as_str())?, s)))
            .collect()
    }

    /// The [`FALLBACK_CANDIDATES`] best-rated published items of `subjects` (none: any).
    fn fallback(&self, state: &State, subjects: &BTreeSet<String>) -> Vec<usize> {
        let mut items: Vec<(usize, f64)> = (0..self.dataset.items.len())
            .filter(|&i| state.published[i])
            .filter(|&i| {
                subjects.is_empty()
                    || self.dataset.items[i]
                        .subjects
                        .iter()
                        .any(|s| subjects.contains(s))
            })
            .map(|i| {
                let (sum, count) = state.ratings(i);
                (i, (sum as f64 + 20.0) / (count as f64 + 5.0))
            })
            .collect();
        items.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.dataset.items[a.0].id.cmp(&self.dataset.items[b.0].id))
        });
        items.truncate(FALLBACK_CANDIDATES as usize);
        items.into_iter().map(|(i, _)| i).collect()
    }

    fn candidate(&self, state: &State, item: usize) -> Candidate {
        let it = &self.dataset.items[item];
        let kind = self.dataset.kind();
        Candidate {
            id: it.id.clone(),
            label: it.label.clone(),
            attributes: Attributes {
                kind,
                subjects: it.subjects.clone(),
                languages: Vec::new(),
                price: 0,
                currency: "USD".into(),
                level: it.level,
            },
            similarity: 0.0,
            collaborative: 0.0,
            ratings: state.ratings(item),
            popularity: state.popularity(item),
            completions: state.completions[item].len() as i64,
            vector: Some(self.item_vectors[item].clone()),
        }
    }
}

impl Ours<'_> {
    /// The candidates of `user` at the state's cut, and the student side of the ranking:
    /// everything but the weights.
    pub fn candidates(
        &self,
        state: &State,
        user: usize,
        k: usize,
    ) -> (Vec<Candidate>, RankContext) {
        let query = self.query(state, user);
        let similarity = query
            .as_ref()
            .map(|q| self.nearest(state, q))
            .unwrap_or_default();
        let collaborative = self.collaborative(state, user);
        let subjects = &state.subjects[user];
        let mut ids: BTreeSet<usize> = similarity.keys().copied().collect();
        ids.extend(collaborative.keys().copied());
        let near = self.fallback(state, subjects);
        if near.len() < k + state.taken[user].len() && !subjects.is_empty() {
            ids.extend(self.fallback(state, &BTreeSet::new()));
        }
        ids.extend(near);
        let candidates: Vec<Candidate> = ids
            .into_iter()
            .map(|i| {
                let mut c = self.candidate(state, i);
                c.similarity = match (similarity.get(&i), &query) {
                    (Some(s), _) => *s,
                    (None, Some(q)) => dot(q, &self.item_vectors[i]),
                    _ => 0.0,
                };
                c.collaborative = collaborative.get(&i).copied().unwrap_or(0.0);
                c
            })
            .collect();
        let taken: HashSet<String> = state.taken[user]
            .iter()
            .map(|&i| self.dataset.items[i].id.clone())
            .collect();
        let goal = state.goals[user].first();
        let ctx = RankContext {
            has_history: !taken.is_empty(),
            taken,
            level: state.goals[user].iter().find_map(|g| g.level),
            goal: goal.map(|g| g.goal.clone()),
        };
        (candidates, ctx)
    }

    /// Ranks candidates with `weights`, as item indices.
    pub fn rank(
        &self,
        candidates: Vec<Candidate>,
        ctx: &RankContext,
        weights: &Weights,
        k: usize,
    ) -> Vec<usize> {
        rank(candidates, &Filters::default(), ctx, weights, k)
            .into_iter()
            .filter_map(|r| self.ids.get(r.id.as_str()).copied())
            .collect()
    }
}

impl Recommender for Ours<'_> {
    fn name(&self) -> String {
        self.label.clone()
    }

    fn top(&mut self, state: &State, user: usize, k: usize) -> Vec<usize> {
        let (candidates, ctx) = self.candidates(state, user, k);
        self.rank(candidates, &ctx, &self.weights, k)
    }
}

/// The most taken items at the cut (ties by id), minus what the user took.
pub struct Popularity;

impl Recommender for Popularity {
    fn name(&self) -> String {
        "popularity".into()
    }

    fn top(&mut self, state: &State, user: usize, k: usize) -> Vec<usize> {
        let mut items: Vec<usize> = (0..state.published.len())
            .filter(|&i| state.published[i] && !state.taken[user].contains(&i))
            .collect();
        // Indices are in id order, and the sort is stable.
        items.sort_by_key(|&i| std::cmp::Reverse(state.popularity(i)));
        items.truncate(k);
        items
    }
}

/// `k` items drawn uniformly from the catalog at the cut, minus what the user took; seeded
/// per user, so a run is reproducible.
pub struct Random {
    /// The seed.
    pub seed: u64,
}

impl Recommender for Random {
    fn name(&self) -> String {
        "random".into()
    }

    fn top(&mut self, state: &State, user: usize, k: usize) -> Vec<usize> {
        let mut items: Vec<usize> = (0..state.published.len())
            .filter(|&i| state.published[i] && !state.taken[user].contains(&i))
            .collect();
        let mut rng = SplitMix(self.seed ^ (user as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let k = k.min(items.len());
        // A partial Fisher-Yates shuffle: the first k places.
        for i in 0..k {
            let j = i + (rng.next_u64() % (items.len() - i) as u64) as usize;
            items.swap(i, j);
        }
        items.truncate(k);
        items
    }
}

/// SplitMix64: a small, well-mixed, seedable generator.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
