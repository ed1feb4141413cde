//! The offline evaluation of the recommender (`eval/run`; protocol and results in
//! `docs/EVALUATION.md`): time-ordered leave-last-out on the demo platform and on
//! MovieLens-100k, NDCG@10, Recall@10 and catalog coverage of the library's ranker against a
//! popularity and a random baseline.
//!
//! It is for measuring *how good* the ranking is with real embeddings (the host's
//! all-MiniLM-L6-v2) over a platform's whole history. It is *not* a test of the library's
//! plumbing (SQL, index, staleness: the library's own tests cover those): the state at each
//! cut is folded in memory, as the read models fold it, and the candidates are gathered as
//! `generate.rs` gathers them, then scored by `recommend::ranker::rank` itself.

pub mod dataset;
pub mod embeddings;
pub mod metrics;
pub mod movielens;
pub mod platform;
pub mod protocol;
pub mod recommenders;
pub mod report;
pub mod state;
pub mod tune;
