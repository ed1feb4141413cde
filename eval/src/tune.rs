//! Per-dataset weights for the hybrid score, chosen on a validation split: each user's
//! second-to-last interaction, with the state before it (the test interaction, the last one,
//! is never seen). Only the weights `recommend::ranker::Weights` exposes are searched.

use recommend::ranker::Weights;

use crate::metrics::{Mean, ndcg_at};
use crate::protocol::HeldOut;
use crate::recommenders::Ours;
use crate::state::State;

/// The weights searched: the default, and each combination of a few values of every weight
/// but level fit (which only courses with a level use).
pub fn grid() -> Vec<Weights> {
    let default = Weights::default();
    let mut out = vec![default];
    for similarity in [0.45, 0.2, 0.05] {
        for collaborative in [0.2, 0.5, 0.8] {
            for popularity in [0.05, 0.3] {
                for diversity in [0.15, 0.0] {
                    let w = Weights {
                        similarity,
                        collaborative,
                        popularity,
                        diversity,
                        ..default
                    };
                    if w != default {
                        out.push(w);
                    }
                }
            }
        }
    }
    out
}

/// Mean NDCG@k of each of `weights` on the `validation` cuts (gathered once per user, ranked
/// once per weights), best first; ties keep the grid's order (the default first).
pub fn tune(
    ours: &Ours,
    validation: &[HeldOut],
    weights: &[Weights],
    k: usize,
) -> Vec<(Weights, f64)> {
    let mut state = State::new(ours.dataset());
    let mut means = vec![Mean::default(); weights.len()];
    for h in validation {
        state.advance_to(h.cut);
        let (candidates, ctx) = ours.candidates(&state, h.user, k);
        for (w, mean) in weights.iter().zip(&mut means) {
            let top = ours.rank(candidates.clone(), &ctx, w, k);
            mean.add(ndcg_at(&top, &h.item, k));
        }
    }
    let mut out: Vec<(Weights, f64)> = weights
        .iter()
        .copied()
        .zip(means.iter().map(Mean::value))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_starts_with_the_default_once() {
        let g = grid();
        assert_eq!(g[0], Weights::default());
        assert_eq!(g.iter().filter(|w| **w == Weights::default()).count(), 1);
        assert_eq!(g.len(), 36);
    }
}
