//! Time-ordered leave-last-out: each evaluated user's last interaction is held out, and every
//! recommender is asked for its top k with what the platform knew just before it (everyone's
//! events up to that instant).

use crate::dataset::{Dataset, Event};
use crate::metrics::{Coverage, Mean, ndcg_at, recall_at};
use crate::recommenders::{Recommender, SplitMix};
use crate::state::State;

/// One recommender's figures on one dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The recommender.
    pub recommender: String,
    /// Users evaluated.
    pub users: usize,
    /// Mean NDCG@k.
    pub ndcg: f64,
    /// Mean Recall@k (the hit rate: one held-out item).
    pub recall: f64,
    /// Catalog coverage of all top-k lists.
    pub coverage: f64,
}

/// The held-out interaction of a user.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeldOut {
    /// The user.
    pub user: usize,
    /// The item.
    pub item: usize,
    /// Its index in the events: the state is everything before it.
    pub cut: usize,
}

/// The users to evaluate: each user's last interaction (`skip` = 0; 1: the one before it, for
/// validation), if the platform knew something of them before it (an earlier interaction or a
/// goal); a seeded sample of `sample` of them if given; in cut order.
pub fn held_out(dataset: &Dataset, skip: usize, sample: Option<usize>, seed: u64) -> Vec<HeldOut> {
    let users = dataset.users.len();
    let mut first_known = vec![usize::MAX; users];
    let mut took: Vec<Vec<(usize, usize)>> = vec![Vec::new(); users];
    for (at, event) in dataset.events.iter().enumerate() {
        match event {
            Event::Took { user, item } => {
                first_known[*user] = first_known[*user].min(at);
                took[*user].push((*item, at));
            }
            Event::GoalSet { user, .. } => first_known[*user] = first_known[*user].min(at),
            _ => {}
        }
    }
    let mut chosen: Vec<HeldOut> = (0..users)
        .filter_map(|user| {
            let n = took[user].len().checked_sub(skip + 1)?;
            let (item, cut) = took[user][n];
            (first_known[user] < cut).then_some(HeldOut { user, item, cut })
        })
        .collect();
    if let Some(n) = sample.filter(|&n| n < chosen.len()) {
        let mut rng = SplitMix(seed);
        for i in 0..n {
            let j = i + (rng.next_u64() % (chosen.len() - i) as u64) as usize;
            chosen.swap(i, j);
        }
        chosen.truncate(n);
    }
    chosen.sort_by_key(|h| h.cut);
    chosen
}

/// Replays `dataset` once, asking every recommender for each held-out user's top `k` at their
/// cut.
pub fn evaluate(
    dataset: &Dataset,
    held_out: &[HeldOut],
    recommenders: &mut [&mut dyn Recommender],
    k: usize,
) -> Vec<Outcome> {
    let mut state = State::new(dataset);
    let mut scores = vec![(Mean::default(), Mean::default()); recommenders.len()];
    let mut coverage = vec![Coverage::new(dataset.items.len()); recommenders.len()];
    for h in held_out {
        state.advance_to(h.cut);
        for (r, recommender) in recommenders.iter_mut().enumerate() {
            let top = recommender.top(&state, h.user, k);
            scores[r].0.add(ndcg_at(&top, &h.item, k));
            scores[r].1.add(recall_at(&top, &h.item, k));
            coverage[r].add(&top, k);
        }
    }
    recommenders
        .iter()
        .zip(scores.iter().zip(&coverage))
        .map(|(r, ((ndcg, recall), coverage))| Outcome {
            recommender: r.name(),
            users: ndcg.count(),
            ndcg: ndcg.value(),
            recall: recall.value(),
            coverage: coverage.value(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Goal, Item};
    use crate::recommenders::{Popularity, Random};

    fn tiny() -> Dataset {
        // Items 0..3; users 0 (who set a goal first) and 1 take item 0 then 1; user 2 takes 0
        // and, last, 2.
        let took = |user, item| Event::Took { user, item };
        let goal = Goal {
            goal: "g".into(),
            text: "g".into(),
            subjects: Vec::new(),
            level: None,
        };
        let mut events = vec![Event::GoalSet { user: 0, goal }];
        events.extend((0..4).map(|item| Event::Published { item }));
        events.extend([
            took(0, 0),
            took(1, 0),
            took(0, 1),
            took(1, 1),
            took(2, 0),
            took(2, 2),
        ]);
        Dataset {
            users: vec!["a".into(), "b".into(), "c".into()],
            items: vec![Item::default(); 4],
            events,
            ..Dataset::default()
        }
    }

    #[test]
    fn the_last_interaction_is_held_out_with_the_state_before_it() {
        let d = tiny();
        let h = held_out(&d, 0, None, 1);
        let got: Vec<(usize, usize)> = h.iter().map(|h| (h.user, h.item)).collect();
        assert_eq!(got, [(0, 1), (1, 1), (2, 2)]);
        assert_eq!(held_out(&d, 0, Some(2), 7).len(), 2);
        // Validation: the interaction before the last, if something was known before it.
        let v: Vec<(usize, usize)> = held_out(&d, 1, None, 1)
            .iter()
            .map(|h| (h.user, h.item))
            .collect();
        assert_eq!(v, [(0, 0)]);
        let mut pop = Popularity;
        let out = evaluate(&d, &h, &mut [&mut pop], 2);
        // User 0 at their cut: nothing else taken yet, so [1, 2] (ties by id): a hit first.
        // User 1: item 1 has one taker, [1, 2]: a hit first. User 2: [1, 2]: item 2 second.
        let expected_ndcg = (1.0 + 1.0 + 1.0 / 3f64.log2()) / 3.0;
        assert!((out[0].ndcg - expected_ndcg).abs() < 1e-12, "{out:?}");
        assert_eq!(out[0].recall, 1.0);
        assert_eq!(out[0].coverage, 0.5);
        assert_eq!(out[0].users, 3);
    }

    #[test]
    fn random_is_seeded_and_never_repeats_taken_items() {
        let d = tiny();
        let mut state = State::new(&d);
        state.advance_to(d.events.len());
        let mut r = Random { seed: 3 };
        let a = r.top(&state, 2, 10);
        assert_eq!(a, r.top(&state, 2, 10));
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, [1, 3]);
    }
}
