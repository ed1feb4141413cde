//! The embedding cache: vectors by the hash of the model and the text they came from, so a
//! text is embedded once however often profiles are refreshed or goals repeated.

use std::collections::HashMap;

use sql_store::{SqlStore, SqlValue};

use crate::embed::{self, Embedder, text_hash};
use crate::error::{RecommendError, at};

/// Texts per call to the model.
pub const EMBED_BATCH: usize = 32;

/// The vectors of `texts`, in order: read from the cache, the missing ones embedded (in
/// batches of [`EMBED_BATCH`]) and stored. Returns the hashes too, the keys they are stored
/// under.
pub async fn embed_cached<S: SqlStore, E: Embedder>(
    store: &mut S,
    embedder: &mut E,
    texts: &[String],
) -> Result<Vec<(String, Vec<f32>)>, RecommendError> {
    let hashes: Vec<String> = texts
        .iter()
        .map(|t| text_hash(embedder.model(), t))
        .collect();
    let mut known = cached_vectors(store, &hashes).await?;
    let mut missing: Vec<(String, String)> = Vec::new();
    for (hash, text) in hashes.iter().zip(texts) {
        if !known.contains_key(hash) && !missing.iter().any(|(h, _)| h == hash) {
            missing.push((hash.clone(), text.clone()));
        }
    }
    for batch in missing.chunks(EMBED_BATCH) {
        let batch_texts: Vec<String> = batch.iter().map(|(_, t)| t.clone()).collect();
        let vectors = embed::checked(batch.len(), embedder.embed(&batch_texts).await?)?;
        for ((hash, _), vector) in batch.iter().zip(vectors) {
            store
                .execute(
                    "INSERT OR IGNORE INTO rec_embeddings (text_hash, vector) VALUES (?1, ?2)",
                    &[
                        SqlValue::Text(hash.clone()),
                        SqlValue::Blob(embed::to_bytes(&vector)),
                    ],
                )
                .await
                .map_err(at("store embedding"))?;
            known.insert(hash.clone(), vector);
        }
    }
    hashes
        .into_iter()
        .map(|h| {
            let v = known.get(&h).cloned().ok_or(RecommendError::BadRow {
                step: "embedding cache",
            })?;
            Ok((h, v))
        })
        .collect()
}

/// The cached vectors among `hashes`.
pub async fn cached_vectors<S: SqlStore>(
    store: &mut S,
    hashes: &[String],
) -> Result<HashMap<String, Vec<f32>>, RecommendError> {
    if hashes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = store
        .query(
            "SELECT text_hash, vector FROM rec_embeddings \
             WHERE text_hash IN (SELECT value FROM json_each(?1))",
            &[crate::json_param(hashes)],
        )
        .await
        .map_err(at("embedding cache"))?;
    rows.iter()
        .map(|r| {
            let bad = RecommendError::BadRow {
                step: "embedding cache",
            };
            let hash = r.first().and_then(SqlValue::as_str).ok_or(bad.clone())?;
            let vector = r
                .get(1)
                .and_then(SqlValue::as_blob)
                .and_then(embed::from_bytes)
                .ok_or(bad)?;
            Ok((hash.to_owned(), vector))
        })
        .collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::HashingEmbedder;
    use crate::test_support::{TestStore, block_on};

    #[test]
    fn embeds_each_text_once() {
        block_on(async {
            let mut store = TestStore::new().await;
            let mut e = HashingEmbedder::default();
            let texts: Vec<String> = ["a b", "c d", "a b"].map(String::from).to_vec();
            let first = embed_cached(&mut store, &mut e, &texts)
                .await
                .expect("embed");
            assert_eq!(e.calls, 2);
            assert_eq!(first[0], first[2]);
            let again = embed_cached(&mut store, &mut e, &texts[..2])
                .await
                .expect("again");
            assert_eq!(e.calls, 2);
            assert_eq!(again[..], first[..2]);
            assert!(
                cached_vectors(&mut store, &[])
                    .await
                    .expect("none")
                    .is_empty()
            );
            store
                .execute("UPDATE rec_embeddings SET vector = x'00'", &[])
                .await
                .expect("corrupt");
            let err = cached_vectors(&mut store, &[first[0].0.clone()]).await;
            assert!(matches!(err, Err(RecommendError::BadRow { .. })));
        });
    }
}
