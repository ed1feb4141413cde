//! The results as a markdown table.

use std::fmt::Write;

use crate::protocol::Outcome;

/// One dataset's outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// The dataset's name.
    pub dataset: String,
    /// Items in its catalog.
    pub items: usize,
    /// One row per recommender; the baselines are named `popularity` and `random`.
    pub outcomes: Vec<Outcome>,
}

impl Section {
    /// The popularity baseline's NDCG, if it was run.
    pub fn popularity_ndcg(&self) -> Option<f64> {
        self.outcomes
            .iter()
            .find(|o| o.recommender == "popularity")
            .map(|o| o.ndcg)
    }
}

/// A markdown table: one row per dataset and recommender, with NDCG relative to popularity.
pub fn table(sections: &[Section], k: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| dataset | users | recommender | NDCG@{k} | Recall@{k} | coverage | NDCG / popularity |"
    );
    let _ = writeln!(out, "|---|---:|---|---:|---:|---:|---:|");
    for s in sections {
        let popularity = s.popularity_ndcg();
        for o in &s.outcomes {
            let ratio = match popularity {
                Some(p) if p > 0.0 => format!("{:.2}", o.ndcg / p),
                _ => "-".into(),
            };
            let _ = writeln!(
                out,
                "| {} ({} items) | {} | {} | {:.4} | {:.4} | {:.3} | {ratio} |",
                s.dataset, s.items, o.users, o.recommender, o.ndcg, o.recall, o.coverage
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_relates_ndcg_to_popularity() {
        let row = |name: &str, ndcg| Outcome {
            recommender: name.into(),
            users: 2,
            ndcg,
            recall: 0.5,
            coverage: 0.25,
        };
        let s = Section {
            dataset: "d".into(),
            items: 4,
            outcomes: vec![row("ours", 0.3), row("popularity", 0.2)],
        };
        assert_eq!(s.popularity_ndcg(), Some(0.2));
        let t = table(&[s], 10);
        assert!(
            t.contains("| d (4 items) | 2 | ours | 0.3000 | 0.5000 | 0.250 | 1.50 |"),
            "{t}"
        );
    }
}
