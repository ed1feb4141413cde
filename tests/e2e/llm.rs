//! Spin's LLM interface through the host: a spin-sdk 7 component embedding texts with
//! all-minilm-l6-v2, Spin's `ai_models` rule, and `infer` with no inferencing model installed.

use crate::host::probe_host;
use crate::support::*;

/// A state directory whose `ai-models/` is the model `scripts/setup` installed.
fn state_with_models() -> tempfile::TempDir {
    let models = root().join("target/models/ai-models");
    assert!(
        models.join("all-minilm-l6-v2/model.safetensors").exists(),
        "{} holds no model: run scripts/setup first",
        models.display()
    );
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&models, dir.path().join("ai-models")).unwrap();
    dir
}

fn embed(host: &Host, component: &str, model: &str, texts: &[&str]) -> Reply {
    post(
        &host.url(&format!("/{component}/llm/embed?model={model}")),
        &texts.join("\n"),
    )
}

/// The error a component got, as (WIT case, message).
fn llm_error(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, 500, "{}", reply.body);
    let error = reply.json();
    let text = |key: &str| error[key].as_str().unwrap_or_default().to_owned();
    (text("error"), text("message"))
}

fn vectors(reply: &Reply) -> Vec<Vec<f32>> {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let embeddings = reply.json()["embeddings"].clone();
    serde_json::from_value(embeddings).unwrap()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn a_component_embeds_texts_with_the_models_it_lists() {
    let state = state_with_models();
    let host = probe_host().state_dir(state.path()).start();
    let texts = [
        "Introduction to Rust programming",
        "Learn the Rust language from scratch",
        "Baking sourdough bread at home",
    ];
    let reply = embed(&host, "probe", "all-minilm-l6-v2", &texts);
    let got = vectors(&reply);
    assert_eq!(got.len(), 3);
    for vector in &got {
        assert_eq!(vector.len(), 384);
        assert!((dot(vector, vector) - 1.0).abs() < 1e-4, "not unit length");
    }
    // Meaning, not spelling: the two Rust courses are closer to each other than to bread.
    assert!(dot(&got[0], &got[1]) > dot(&got[0], &got[2]) + 0.3);
    let tokens = reply.json()["promptTokenCount"].as_u64().unwrap();
    assert!((7..=12).contains(&tokens), "{tokens} tokens");

    // A model the component lists that is not an embedding model, one it does not list, and a
    // component that lists none: Spin's errors.
    let reply = embed(&host, "probe", "llama2-chat", &texts);
    assert_eq!(llm_error(&reply).0, "model-not-supported");
    for (component, model) in [
        ("probe", "all-minilm-l12-v2"),
        ("denied", "all-minilm-l6-v2"),
    ] {
        let (case, message) = llm_error(&embed(&host, component, model, &texts));
        assert_eq!(case, "invalid-input");
        assert!(
            message.contains(&format!("'{model}'")) && message.contains("ai_models"),
            "{message}"
        );
    }
    let (case, message) = llm_error(&embed(&host, "probe", "all-minilm-l6-v2", &[]));
    assert_eq!(case, "runtime-error", "{message}");
    // The host kept serving, on the model it loaded once.
    assert_eq!(
        vectors(&embed(&host, "probe", "all-minilm-l6-v2", &texts[..1])),
        got[..1]
    );
}

#[test]
fn infer_answers_as_spin_does_without_an_inferencing_model() {
    let state = state_with_models();
    let host = probe_host().state_dir(state.path()).start();
    let infer = |component: &str, model: &str| {
        llm_error(&get(
            &host.url(&format!("/{component}/llm/infer?model={model}"))
        ))
    };
    let (case, message) = infer("probe", "llama2-chat");
    assert_eq!(case, "invalid-input");
    assert!(
        message.contains("no directory for the model 'llama2-chat'"),
        "{message}"
    );
    let (case, message) = infer("denied", "llama2-chat");
    assert_eq!(case, "invalid-input");
    assert!(message.contains("ai_models"), "{message}");
}

#[test]
fn without_model_files_calls_fail_as_runtime_errors() {
    let host = probe_host().start();
    let (case, message) = llm_error(&embed(&host, "probe", "all-minilm-l6-v2", &["hello"]));
    assert_eq!(case, "runtime-error");
    assert!(message.contains("does not exist"), "{message}");
    let reply = get(&host.url("/probe/llm/infer?model=llama2-chat"));
    let (case, message) = llm_error(&reply);
    assert_eq!(case, "runtime-error");
    assert!(message.contains("ai-models"), "{message}");
}
