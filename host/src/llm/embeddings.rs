//! Sentence embeddings with `all-minilm-l6-v2`, the one embedding model Spin runs locally: a
//! 6-layer BERT (candle, on the CPU) over Hugging Face's tokenizer, mean-pooled and L2-normalized
//! the way sentence-transformers turns its output into one 384-dimension vector per text.
//!
//! The model comes from two files in one directory, as Spin lays it out under its state
//! directory: `tokenizer.json` and `model.safetensors` (the BERT's shape is fixed here, because
//! Spin's directory holds no `config.json`). Loading reads about 90 MB and embedding is CPU-bound,
//! so both are blocking calls: run them off the async runtime.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, HiddenAct, PositionEmbeddingType};
use std::path::{Path, PathBuf};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer};

/// The model's name in `ai_models` and in calls, and the name of its directory.
pub const ALL_MINILM_L6_V2: &str = "all-minilm-l6-v2";

/// The length of every vector the model returns.
pub const DIMENSIONS: usize = 384;

/// Why the model could not be loaded; a component sees each as a runtime error.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The model's directory is absent: nothing was installed (`scripts/setup` installs it).
    #[error("the directory that should hold the embeddings model, {}, does not exist", .0.display())]
    MissingDirectory(PathBuf),
    /// `tokenizer.json` is absent or not a tokenizer.
    #[error("cannot load the embeddings tokenizer {path}: {1}", path = .0.display())]
    Tokenizer(PathBuf, String),
    /// `model.safetensors` is absent or does not hold the model's weights.
    #[error("cannot load the embeddings model {path}: {1}", path = .0.display())]
    Model(PathBuf, String),
}

/// Why one call could not be embedded; a component sees each as a runtime error.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The call passed no text: Spin fails such a call too, so a component cannot come to rely
    /// on an answer it would not get there.
    #[error("no text to embed")]
    NoText,
    /// The tokenizer rejected a text.
    #[error("cannot tokenize: {0}")]
    Tokenize(String),
    /// The model failed to run.
    #[error("the model failed: {0}")]
    Model(#[from] candle_core::Error),
}

/// What one call returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    /// One unit-length vector of [`DIMENSIONS`] numbers per text, in the order given.
    pub vectors: Vec<Vec<f32>>,
    /// The length in tokens of the longest text, special tokens included: what Spin reports as
    /// the prompt token count of an embeddings call.
    pub token_count: u32,
}

/// `all-minilm-l6-v2`, loaded: immutable, so one copy serves every instance at once.
pub struct SentenceEmbedder {
    tokenizer: Tokenizer,
    model: BertModel,
}

impl SentenceEmbedder {
    /// Loads the tokenizer and the weights from a model directory (`.../all-minilm-l6-v2/`).
    /// Blocking: it reads about 90 MB.
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        if !dir.is_dir() {
            return Err(LoadError::MissingDirectory(dir.to_owned()));
        }
        let tokenizer_file = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_file)
            .map_err(|e| LoadError::Tokenizer(tokenizer_file.clone(), e.to_string()))?;
        // The file pads every text to 128 tokens; pad a batch only to its longest text instead,
        // with the file's padding token. Truncation stays as the file says (128 tokens), as in
        // Spin.
        let padding = tokenizer.get_padding().cloned().unwrap_or_default();
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..padding
        }));

        let model_file = dir.join("model.safetensors");
        let model_error =
            |e: &dyn std::fmt::Display| LoadError::Model(model_file.clone(), e.to_string());
        let weights = std::fs::read(&model_file).map_err(|e| model_error(&e))?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| model_error(&e))?;
        let model = BertModel::load(vb, &config()).map_err(|e| model_error(&e))?;
        Ok(Self { tokenizer, model })
    }

    /// Embeds the texts of one call as one batch: padded to the longest, with an attention mask
    /// so padding changes no vector (a text gets the same vector alone or in any batch).
    /// Blocking: it runs the model.
    pub fn embed(&self, texts: &[String]) -> Result<Embeddings, EmbedError> {
        if texts.is_empty() {
            return Err(EmbedError::NoText);
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        let batch = encodings.len();
        let tokens = encodings.first().map_or(0, |e| e.len());
        let flat = |field: fn(&tokenizers::Encoding) -> &[u32]| -> Result<Tensor, EmbedError> {
            let values: Vec<u32> = encodings.iter().flat_map(|e| field(e).to_vec()).collect();
            Ok(Tensor::from_vec(values, (batch, tokens), &Device::Cpu)?)
        };
        let ids = flat(tokenizers::Encoding::get_ids)?;
        let type_ids = flat(tokenizers::Encoding::get_type_ids)?;
        let mask = flat(tokenizers::Encoding::get_attention_mask)?;

        let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
        let pooled = l2_normalize(&mean_pool(&hidden, &mask)?)?;
        Ok(Embeddings {
            vectors: pooled.to_vec2()?,
            token_count: u32::try_from(tokens).unwrap_or(u32::MAX),
        })
    }
}

/// The shape of all-MiniLM-L6-v2 (its `config.json`): 6 layers, 12 heads, 384 wide.
fn config() -> Config {
    Config {
        vocab_size: 30522,
        hidden_size: DIMENSIONS,
        num_hidden_layers: 6,
        num_attention_heads: 12,
        intermediate_size: 1536,
        hidden_act: HiddenAct::Gelu,
        hidden_dropout_prob: 0.1,
        max_position_embeddings: 512,
        type_vocab_size: 2,
        initializer_range: 0.02,
        layer_norm_eps: 1e-12,
        pad_token_id: 0,
        position_embedding_type: PositionEmbeddingType::Absolute,
        use_cache: true,
        classifier_dropout: None,
        model_type: Some("bert".to_owned()),
    }
}

/// The mean of each text's token vectors over its real tokens only: `hidden` is
/// (batch, tokens, width), `mask` is (batch, tokens) with 1 for a real token and 0 for padding.
fn mean_pool(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let sums = hidden.broadcast_mul(&mask)?.sum(1)?;
    // sentence-transformers' guard against dividing by zero for an all-padding row.
    let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
    sums.broadcast_div(&counts)
}

/// Scales each row to length 1, so cosine similarity is a dot product.
fn l2_normalize(rows: &Tensor) -> candle_core::Result<Tensor> {
    let norms = rows
        .sqr()?
        .sum_keepdim(1)?
        .sqrt()?
        .clamp(1e-12f32, f32::MAX)?;
    rows.broadcast_div(&norms)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::{Arc, OnceLock};

    /// The model directory `scripts/setup` fills, shared by the host's tests.
    pub(crate) fn model_dir() -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/models/ai-models")
            .join(ALL_MINILM_L6_V2);
        assert!(
            dir.join("model.safetensors").exists(),
            "{} holds no model: run scripts/setup first",
            dir.display()
        );
        dir
    }

    /// The model, loaded once for all the tests of this process.
    pub(crate) fn embedder() -> Arc<SentenceEmbedder> {
        static MODEL: OnceLock<Arc<SentenceEmbedder>> = OnceLock::new();
        MODEL
            .get_or_init(|| Arc::new(SentenceEmbedder::load(&model_dir()).unwrap()))
            .clone()
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        dot / (norm(a) * norm(b))
    }

    #[derive(serde::Deserialize)]
    struct Reference {
        texts: Vec<String>,
        embeddings: Vec<Vec<f32>>,
    }

    #[test]
    fn vectors_match_sentence_transformers() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/all-minilm-l6-v2-reference.json");
        let reference: Reference =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(reference.texts.len(), 8);
        let got = embedder().embed(&reference.texts).unwrap();
        assert_eq!(got.vectors.len(), reference.embeddings.len());
        for ((text, ours), theirs) in reference
            .texts
            .iter()
            .zip(&got.vectors)
            .zip(&reference.embeddings)
        {
            assert_eq!(ours.len(), DIMENSIONS);
            let similarity = cosine(ours, theirs);
            assert!(similarity >= 0.999, "{text:?}: cosine {similarity}");
        }
    }

    #[test]
    fn a_text_gets_the_same_vector_alone_and_padded_in_a_batch() {
        let model = embedder();
        let short = "Rust".to_owned();
        let long = "A much longer sentence, so the short one is padded in the batch.".to_owned();
        let alone = model.embed(std::slice::from_ref(&short)).unwrap();
        let batch = model.embed(&[long.clone(), short]).unwrap();
        assert!(cosine(&alone.vectors[0], &batch.vectors[1]) > 0.99999);
        let norm: f32 = batch.vectors[1].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        // [CLS] rust [SEP] is three tokens; the batch is as long as its longest text.
        assert_eq!(alone.token_count, 3);
        assert_eq!(batch.token_count, model.embed(&[long]).unwrap().token_count);
    }

    #[test]
    fn an_empty_call_is_refused() {
        assert!(matches!(embedder().embed(&[]), Err(EmbedError::NoText)));
    }

    #[test]
    fn missing_or_broken_files_are_load_errors() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join(ALL_MINILM_L6_V2);
        assert!(matches!(
            SentenceEmbedder::load(&absent),
            Err(LoadError::MissingDirectory(p)) if p == absent
        ));
        std::fs::create_dir(&absent).unwrap();
        assert!(matches!(
            SentenceEmbedder::load(&absent),
            Err(LoadError::Tokenizer(..))
        ));
        std::fs::copy(
            model_dir().join("tokenizer.json"),
            absent.join("tokenizer.json"),
        )
        .unwrap();
        assert!(matches!(
            SentenceEmbedder::load(&absent),
            Err(LoadError::Model(..))
        ));
        std::fs::write(absent.join("model.safetensors"), b"not weights").unwrap();
        let error = SentenceEmbedder::load(&absent).err().unwrap();
        assert!(matches!(error, LoadError::Model(..)));
        assert!(error.to_string().contains("model.safetensors"), "{error}");
    }
}
