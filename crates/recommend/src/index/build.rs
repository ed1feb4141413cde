//! Rebuilding an index when the embeddings it was built from changed: unchanged shards are
//! kept (by fingerprint), changed ones rebuilt, and the new manifest swapped in with one
//! write, so readers see the old index or the new one, never a mix.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sql_store::SqlStore;

use super::{IndexSettings, Kind, Manifest, Shard, ShardEntry, shard_name};
use crate::embed::{self, normalize};
use crate::error::{RecommendError, decode};
use crate::sql::{Cols, exec, query, single_i64, transaction};

/// What a rebuild of one kind did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RebuildReport {
    /// The index.
    pub kind: Kind,
    /// The version now current (unchanged when nothing was stale).
    pub version: i64,
    /// Whether a new version was built.
    pub rebuilt: bool,
    /// Items over all shards (an item in several subjects counts in each).
    pub items: usize,
    /// Shards in the manifest.
    pub shards: usize,
    /// Shards built by this run (the others were unchanged and kept).
    pub shards_built: usize,
}

/// Rebuilds the tutor and course indexes whose embeddings changed since they were built
/// (see [`crate::refresh_profiles`]), and swaps the new versions in. Run it in the
/// background (the cron job after a refresh): building is CPU work, done outside any
/// transaction; only the swap is one.
pub async fn rebuild_indexes_if_stale<S: SqlStore>(
    store: &mut S,
    settings: &IndexSettings,
    now: DateTime<Utc>,
) -> Result<Vec<RebuildReport>, RecommendError> {
    crate::ensure_schema(store).await?;
    let mut reports = Vec::new();
    for kind in Kind::ALL {
        reports.push(rebuild_kind(store, kind, settings, now).await?);
    }
    Ok(reports)
}

async fn rebuild_kind<S: SqlStore>(
    store: &mut S,
    kind: Kind,
    settings: &IndexSettings,
    now: DateTime<Utc>,
) -> Result<RebuildReport, RecommendError> {
    let source = source_version(store, kind).await?;
    let current = query(
        store,
        "SELECT version, source_version, manifest FROM rec_index_manifest_v4 WHERE kind = ?1",
        &[kind.as_str().into()],
        "manifest",
    )
    .await?;
    let (version, built_from, old) = match current.first() {
        Some(row) => {
            let c = Cols::new(row, "manifest");
            let manifest: Manifest =
                postcard::from_bytes(c.blob(2)?).map_err(decode("manifest"))?;
            (c.i64(0)?, c.i64(1)?, Some(manifest))
        }
        None => (0, -1, None),
    };
    if built_from == source {
        let (items, shards) = old.map_or((0, 0), |m| {
            (
                m.shards.iter().map(|s| s.len as usize).sum(),
                m.shards.len(),
            )
        });
        return Ok(RebuildReport {
            kind,
            version,
            rebuilt: false,
            items,
            shards,
            shards_built: 0,
        });
    }
    let groups = load_groups(store, kind).await?;
    let mut entries = Vec::new();
    let mut built = Vec::new();
    for (name, items) in &groups {
        let fingerprint = fingerprint(kind, settings, items);
        let kept = old
            .as_ref()
            .and_then(|m| m.shards.iter().find(|s| s.fingerprint == fingerprint))
            .cloned();
        let entry = match kept {
            Some(entry) => ShardEntry {
                name: name.clone(),
                ..entry
            },
            None => {
                let vectors: Vec<(String, Vec<f32>)> = items
                    .iter()
                    .map(|(id, _, v)| (id.clone(), v.clone()))
                    .collect();
                let seed = u64::from_le_bytes(seed_bytes(&fingerprint));
                let shard = Shard::build(&vectors, settings, seed);
                built.push((fingerprint.clone(), shard.encode()));
                ShardEntry {
                    name: name.clone(),
                    fingerprint,
                    len: items.len() as u32,
                    centroid: centroid(items),
                }
            }
        };
        entries.push(entry);
    }
    let manifest = Manifest { shards: entries };
    let bytes = postcard::to_stdvec(&manifest).unwrap_or_default();
    let built_at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let shards_built = built.len();
    let new_version = version + 1;
    transaction(store, async |s: &mut S| {
        for (fingerprint, data) in built {
            exec(
                s,
                "INSERT OR REPLACE INTO rec_index_shards_v4 (kind, fingerprint, data) VALUES (?1, ?2, ?3)",
                &[kind.as_str().into(), fingerprint.into(), data.into()],
                "store shard",
            )
            .await?;
        }
        exec(
            s,
            "INSERT INTO rec_index_manifest_v4 (kind, version, source_version, built_at, manifest) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (kind) DO UPDATE SET version = excluded.version, \
             source_version = excluded.source_version, built_at = excluded.built_at, \
             manifest = excluded.manifest",
            &[
                kind.as_str().into(),
                new_version.into(),
                source.into(),
                built_at.into(),
                bytes.into(),
            ],
            "swap manifest",
        )
        .await?;
        let live: Vec<&str> = manifest.shards.iter().map(|e| e.fingerprint.as_str()).collect();
        exec(
            s,
            "DELETE FROM rec_index_shards_v4 WHERE kind = ?1 \
             AND fingerprint NOT IN (SELECT value FROM json_each(?2))",
            &[kind.as_str().into(), crate::json_param(&live)],
            "drop shards",
        )
        .await
    })
    .await?;
    Ok(RebuildReport {
        kind,
        version: new_version,
        rebuilt: true,
        items: manifest.shards.iter().map(|s| s.len as usize).sum(),
        shards: manifest.shards.len(),
        shards_built,
    })
}

async fn source_version<S: SqlStore>(store: &mut S, kind: Kind) -> Result<i64, RecommendError> {
    let sql = match kind {
        Kind::Tutor => "SELECT tutor_version FROM rec_state WHERE id = 1",
        Kind::Course => "SELECT course_version FROM rec_state WHERE id = 1",
    };
    Ok(single_i64(store, sql, &[], "source version")
        .await?
        .unwrap_or(0))
}

/// Items by shard: (id, text hash, vector), sorted by id.
type Groups = BTreeMap<String, Vec<(String, String, Vec<f32>)>>;

async fn load_groups<S: SqlStore>(store: &mut S, kind: Kind) -> Result<Groups, RecommendError> {
    let sql = match kind {
        Kind::Tutor => {
            "SELECT t.tutor_id, t.subjects, t.text_hash, e.vector FROM rec_tutors t \
             JOIN rec_embeddings e ON e.text_hash = t.text_hash ORDER BY t.tutor_id"
        }
        Kind::Course => {
            "SELECT c.course_id, json_array(c.subject), c.text_hash, e.vector FROM rec_courses c \
             JOIN rec_embeddings e ON e.text_hash = c.text_hash ORDER BY c.course_id"
        }
    };
    let rows = query(store, sql, &[], "index items").await?;
    let mut groups = Groups::new();
    for row in &rows {
        let c = Cols::new(row, "index items");
        let vector = embed::from_bytes(c.blob(3)?).ok_or(RecommendError::BadRow {
            step: "index items",
        })?;
        let mut subjects: Vec<String> = c.strings(1)?.iter().map(|s| shard_name(s)).collect();
        subjects.sort();
        subjects.dedup();
        for subject in subjects {
            groups.entry(subject).or_default().push((
                c.str(0)?.to_owned(),
                c.str(2)?.to_owned(),
                vector.clone(),
            ));
        }
    }
    Ok(groups)
}

fn fingerprint(
    kind: Kind,
    settings: &IndexSettings,
    items: &[(String, String, Vec<f32>)],
) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_str());
    h.update(format!("{settings:?}"));
    for (id, hash, _) in items {
        h.update([0]);
        h.update(id);
        h.update([1]);
        h.update(hash);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn seed_bytes(fingerprint: &str) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.iter_mut()
        .zip(fingerprint.bytes())
        .for_each(|(o, b)| *o = b);
    out
}

fn centroid(items: &[(String, String, Vec<f32>)]) -> Vec<f32> {
    let mut sum = vec![0.0f32; embed::EMBEDDING_DIM];
    for (_, _, v) in items {
        sum.iter_mut().zip(v).for_each(|(s, x)| *s += x);
    }
    normalize(&mut sum);
    sum
}
