//! What the library knows of one student when recommending: goals, subjects, level, what
//! they took, and the query vector built from their goals and history.

use std::collections::HashSet;

use sql_store::{SqlStore, SqlValue};

use crate::collaborative::{RECENT_ITEMS, TAKERS_PER_ITEM};
use crate::embed::{self, Embedder, normalize};
use crate::embed_cache::embed_cached;
use crate::error::RecommendError;
use crate::filters::Level;
use crate::profiles::goal_text;
use crate::sql::{Cols, query};

/// Goals that shape the query vector, latest first.
const GOALS: i64 = 5;
/// History items that shape the query vector, latest first.
const HISTORY: i64 = 20;
/// The goals' share of the query vector when the student has both goals and history.
const GOAL_SHARE: f32 = 0.6;

/// One goal of a student.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Goal {
    pub text: String,
    pub subjects: Vec<String>,
    pub level: Option<Level>,
}

/// A student as the ranker sees them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Student {
    /// Latest first.
    pub goals: Vec<Goal>,
    /// Subjects from goals and bookings.
    pub subjects: Vec<String>,
    /// Tutors booked, courses enrolled in or completed.
    pub taken: HashSet<String>,
    /// Completed courses.
    pub completed: HashSet<String>,
    /// Goals and history in one unit vector (`None`: nothing known).
    pub query: Option<Vec<f32>>,
    /// For each of the student's [`RECENT_ITEMS`] latest items, latest first, up to
    /// [`TAKERS_PER_ITEM`] other students who took it: the sample of the collaborative
    /// signal, read once for every list a request ranks.
    pub co_takers: Vec<Vec<String>>,
}

impl Student {
    /// The level of the latest goal that has one.
    pub fn level(&self) -> Option<Level> {
        self.goals.iter().find_map(|g| g.level)
    }
}

/// Loads a student; embeds their goals if a refresh has not yet (through the cache).
pub(crate) async fn load<S: SqlStore, E: Embedder>(
    store: &mut S,
    embedder: &mut E,
    user_id: &str,
) -> Result<Student, RecommendError> {
    let user = [SqlValue::Text(user_id.to_owned())];
    let mut student = Student::default();
    let rows = query(
        store,
        "SELECT goal, subjects, level FROM rec_goals WHERE user_id = ?1 ORDER BY at_ms DESC, goal LIMIT ?2",
        &[user[0].clone(), GOALS.into()],
        "goals",
    )
    .await?;
    for r in &rows {
        let c = Cols::new(r, "goals");
        student.goals.push(Goal {
            text: c.str(0)?.to_owned(),
            subjects: c.strings(1)?,
            level: c.opt_str(2).and_then(Level::parse),
        });
    }
    let rows = query(
        store,
        "SELECT item_id, relation, item_kind FROM rec_interactions WHERE user_id = ?1",
        &user,
        "history",
    )
    .await?;
    for r in &rows {
        let c = Cols::new(r, "history");
        let id = c.str(0)?.to_owned();
        if c.str(1)? == "completed" && c.str(2)? == "course" {
            student.completed.insert(id.clone());
        }
        student.taken.insert(id);
    }
    let rows = query(
        store,
        "SELECT subject FROM rec_student_subjects WHERE user_id = ?1 ORDER BY subject",
        &user,
        "subjects",
    )
    .await?;
    for r in &rows {
        student
            .subjects
            .push(Cols::new(r, "subjects").str(0)?.to_owned());
    }
    let texts: Vec<String> = student
        .goals
        .iter()
        .map(|g| goal_text(&g.text, &g.subjects))
        .collect();
    let goals: Vec<Vec<f32>> = embed_cached(store, embedder, &texts)
        .await?
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let history = history_vectors(store, user_id).await?;
    student.query = blend(&goals, &history);
    student.co_takers = co_takers(store, user_id).await?;
    Ok(student)
}

/// See [`Student::co_takers`]: one statement reads the student's latest items and, for
/// each, its other takers through the item index, in id order, stopping at the limit (a
/// statement per item cost a round trip through the host each).
pub(crate) async fn co_takers<S: SqlStore>(
    store: &mut S,
    user_id: &str,
) -> Result<Vec<Vec<String>>, RecommendError> {
    let rows = query(
        store,
        "SELECT (SELECT json_group_array(user_id) FROM ( \
           SELECT DISTINCT t.user_id FROM rec_interactions t \
           WHERE t.item_kind = r.item_kind AND t.item_id = r.item_id AND t.user_id <> ?1 \
           ORDER BY t.user_id LIMIT ?3)) \
         FROM (SELECT item_kind, item_id, MAX(last_ms) AS at FROM rec_interactions \
           WHERE user_id = ?1 GROUP BY item_kind, item_id \
           ORDER BY at DESC, item_kind, item_id LIMIT ?2) r \
         ORDER BY r.at DESC, r.item_kind, r.item_id",
        &[
            user_id.into(),
            (RECENT_ITEMS as i64).into(),
            (TAKERS_PER_ITEM as i64).into(),
        ],
        "co-takers",
    )
    .await?;
    rows.iter()
        .map(|r| Cols::new(r, "co-takers").strings(0))
        .collect()
}

async fn history_vectors<S: SqlStore>(
    store: &mut S,
    user_id: &str,
) -> Result<Vec<Vec<f32>>, RecommendError> {
    let rows = query(
        store,
        "SELECT e.vector FROM rec_interactions i \
         LEFT JOIN rec_tutors t ON i.item_kind = 'tutor' AND t.tutor_id = i.item_id \
         LEFT JOIN rec_courses c ON i.item_kind = 'course' AND c.course_id = i.item_id \
         JOIN rec_embeddings e ON e.text_hash = COALESCE(t.text_hash, c.text_hash) \
         WHERE i.user_id = ?1 GROUP BY i.item_kind, i.item_id \
         ORDER BY MAX(i.last_ms) DESC LIMIT ?2",
        &[user_id.into(), HISTORY.into()],
        "history vectors",
    )
    .await?;
    rows.iter()
        .map(|r| {
            embed::from_bytes(Cols::new(r, "history vectors").blob(0)?).ok_or(
                RecommendError::BadRow {
                    step: "history vectors",
                },
            )
        })
        .collect()
}

/// A student's query vector: the normalized mean of their goal vectors blended with that of
/// their history's item vectors (goals weigh 0.6 when both are known; `None`: neither is).
pub fn blend(goals: &[Vec<f32>], history: &[Vec<f32>]) -> Option<Vec<f32>> {
    let mean = |vs: &[Vec<f32>]| {
        let mut m = vec![0.0f32; embed::EMBEDDING_DIM];
        for v in vs {
            m.iter_mut().zip(v).for_each(|(a, x)| *a += x);
        }
        normalize(&mut m);
        m
    };
    let share = match (goals.is_empty(), history.is_empty()) {
        (true, true) => return None,
        (false, true) => 1.0,
        (true, false) => 0.0,
        (false, false) => GOAL_SHARE,
    };
    let (g, h) = (mean(goals), mean(history));
    let mut q: Vec<f32> = g
        .iter()
        .zip(&h)
        .map(|(a, b)| share * a + (1.0 - share) * b)
        .collect();
    normalize(&mut q);
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{HashingEmbedder, dot};

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn blend_weights_goals_and_history() {
        let g = HashingEmbedder::vector("python data science");
        let h = HashingEmbedder::vector("spanish conversation");
        assert_eq!(blend(&[], &[]), None);
        let only_goal = blend(std::slice::from_ref(&g), &[]).expect("goal");
        assert!((dot(&only_goal, &g) - 1.0).abs() < 1e-4);
        let only_history = blend(&[], std::slice::from_ref(&h)).expect("history");
        assert!((dot(&only_history, &h) - 1.0).abs() < 1e-4);
        let both = blend(std::slice::from_ref(&g), std::slice::from_ref(&h)).expect("both");
        assert!(dot(&both, &g) > dot(&both, &h));
        let s = Student {
            goals: vec![
                Goal {
                    text: "a".into(),
                    subjects: vec![],
                    level: None,
                },
                Goal {
                    text: "b".into(),
                    subjects: vec![],
                    level: Some(Level::Advanced),
                },
            ],
            ..Student::default()
        };
        assert_eq!(s.level(), Some(Level::Advanced));
    }
}
