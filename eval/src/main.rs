//! `eval-recommend`: runs the offline evaluation and prints a markdown table (`eval/run`
//! fetches MovieLens-100k and the model first; see `docs/EVALUATION.md`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use demo::DemoConfig;
use eval_recommend::dataset::Dataset;
use eval_recommend::embeddings::{Source, Vectors};
use eval_recommend::protocol::{evaluate, held_out};
use eval_recommend::recommenders::{Ours, Popularity, Random, Recommender};
use eval_recommend::report::{Section, table};
use eval_recommend::tune::{grid, tune};
use eval_recommend::{movielens, platform};
use recommend::ranker::Weights;

/// Offline evaluation of the recommender: time-ordered leave-last-out on the demo platform
/// and MovieLens-100k.
#[derive(Debug, Parser)]
struct Args {
    /// CI's run: 200 MovieLens users and a quarter-size demo platform; fails unless our
    /// NDCG@10 beats the popularity baseline's on both.
    #[arg(long)]
    sample: bool,
    /// The directory holding `ml-100k.inter` and `ml-100k.item`.
    #[arg(long, default_value = "target/eval/ml-100k")]
    movielens: PathBuf,
    /// The all-MiniLM-L6-v2 directory (`scripts/setup` installs it).
    #[arg(long, default_value = "target/models/ai-models/all-minilm-l6-v2")]
    model: PathBuf,
    /// Where vectors are cached, by model and text hash.
    #[arg(long, default_value = "target/eval/embeddings")]
    cache: PathBuf,
    /// Where vectors come from.
    #[arg(long, value_enum, default_value_t = EmbedderArg::Model)]
    embedder: EmbedderArg,
    /// Seeds the user sample and the random baseline.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Outside --sample: choose per-dataset weights on this many users' second-to-last
    /// interaction (0: no tuning).
    #[arg(long, default_value_t = 300)]
    tune_users: usize,
    /// The list length.
    #[arg(long, default_value_t = 10)]
    k: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EmbedderArg {
    /// all-MiniLM-L6-v2.
    Model,
    /// The library's hashing embedder (no semantics): an ablation.
    Hashing,
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("eval-recommend: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs the evaluation; `false` when the sample's gate fails.
fn run() -> anyhow::Result<bool> {
    let args = Args::parse();
    let source = match args.embedder {
        EmbedderArg::Model => Source::Model(args.model.clone()),
        EmbedderArg::Hashing => Source::Hashing,
    };
    let mut vectors = Vectors::new(source, &args.cache);
    let (demo_config, movielens_users) = match args.sample {
        true => (DemoConfig::standard().scaled(0.25), Some(200)),
        false => (DemoConfig::standard(), None),
    };
    let mut sections = Vec::new();
    let started = Instant::now();
    let demo = platform::load(&demo_config);
    sections.push(run_dataset(&demo, &mut vectors, None, &args)?);
    let movies =
        movielens::load(&args.movielens).context("loading MovieLens-100k (eval/run fetches it)")?;
    sections.push(run_dataset(&movies, &mut vectors, movielens_users, &args)?);
    println!("{}", table(&sections, args.k));
    eprintln!(
        "embedded {} texts with {}; total {:.1}s",
        vectors.embedded,
        args.embedder.name(),
        started.elapsed().as_secs_f64()
    );
    if !args.sample {
        return Ok(true);
    }
    let mut pass = true;
    for s in &sections {
        let ours = s.outcomes.first().map_or(0.0, |o| o.ndcg);
        let popularity = s.popularity_ndcg().unwrap_or(f64::INFINITY);
        if ours <= popularity {
            eprintln!(
                "FAIL: on {}, our NDCG@{} ({ours:.4}) is not above popularity's ({popularity:.4})",
                s.dataset, args.k
            );
            pass = false;
        }
    }
    Ok(pass)
}

impl EmbedderArg {
    fn name(self) -> &'static str {
        match self {
            EmbedderArg::Model => "all-minilm-l6-v2",
            EmbedderArg::Hashing => "the hashing embedder",
        }
    }
}

fn run_dataset(
    dataset: &Dataset,
    vectors: &mut Vectors,
    sample: Option<usize>,
    args: &Args,
) -> anyhow::Result<Section> {
    let started = Instant::now();
    let texts: Vec<String> = dataset.items.iter().map(|i| i.text.clone()).collect();
    let item_vectors = vectors.embed(&texts)?;
    let mut goal_texts: Vec<String> = dataset
        .events
        .iter()
        .filter_map(|e| match e {
            eval_recommend::dataset::Event::GoalSet { goal, .. } => Some(goal.text.clone()),
            _ => None,
        })
        .collect();
    goal_texts.sort();
    goal_texts.dedup();
    let goal_vectors: HashMap<String, Vec<f32>> = goal_texts
        .iter()
        .cloned()
        .zip(vectors.embed(&goal_texts)?)
        .collect();
    let embedded = started.elapsed();
    let users = held_out(dataset, 0, sample, args.seed);
    let mut ours = Ours::new(
        dataset,
        item_vectors,
        goal_vectors,
        Weights::default(),
        "ours (default weights)",
    );
    let mut tuned = None;
    if let Some(n) = Some(args.tune_users).filter(|&n| n > 0 && !args.sample) {
        let validation = held_out(dataset, 1, Some(n), args.seed);
        let ranked = tune(&ours, &validation, &grid(), args.k);
        if let Some((_, ndcg)) = ranked.iter().find(|(w, _)| *w == Weights::default()) {
            eprintln!(
                "{}: default weights on {} validation users: NDCG@{} {ndcg:.4}",
                dataset.name,
                validation.len(),
                args.k
            );
        }
        if let Some(&(best, ndcg)) = ranked.first() {
            eprintln!(
                "{}: weights tuned on {} validation users (NDCG@{} {ndcg:.4}): {}",
                dataset.name,
                validation.len(),
                args.k,
                serde_json::to_string(&best)?
            );
            let mut t = ours.clone();
            t.weights = best;
            t.label = "ours (weights tuned on validation)".into();
            tuned = Some(t);
        }
    }
    let (mut popularity, mut random) = (Popularity, Random { seed: args.seed });
    let mut recommenders: Vec<&mut dyn Recommender> = vec![&mut ours];
    if let Some(t) = &mut tuned {
        recommenders.push(t);
    }
    recommenders.push(&mut popularity);
    recommenders.push(&mut random);
    let outcomes = evaluate(dataset, &users, &mut recommenders, args.k);
    eprintln!(
        "{}: {} users, {} items, vectors {:.1}s, evaluation {:.1}s",
        dataset.name,
        users.len(),
        dataset.items.len(),
        embedded.as_secs_f64(),
        (started.elapsed() - embedded).as_secs_f64()
    );
    Ok(Section {
        dataset: dataset.name.clone(),
        items: dataset.items.len(),
        outcomes,
    })
}
