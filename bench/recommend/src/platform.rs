//! The benchmark's platform, written straight into the recommend component's read models
//! (`crates/recommend/src/schema.rs`) as a refresh of a real history would leave them:
//! tutors, courses, students with goals and history, the counters, and every embedding in
//! the cache `rec_embeddings` under the key the component uses (`all-minilm-l6-v2`), so no
//! request needs the model.
//!
//! The vectors are synthetic and clustered ([`Shape::Topical`]): 8 topics per subject, goals
//! and profiles of a subject drawn around its topics. Subjects are Zipf-distributed (the
//! first is the most taught), so the largest subjects are HNSW shards and the others are
//! scanned exactly, as the index does with real data of this size.

use std::collections::HashSet;

use anyhow::{Context, Result};
use libsql::Connection;
use recommend::index::synthetic::{Rng, Shape, Synthetic};
use recommend::text_hash;
use serde_json::json;

/// The model name the component keys its embedding cache with.
pub const MODEL: &str = "all-minilm-l6-v2";
/// Topics per subject.
const TOPICS: usize = 8;
/// Distinct goal texts per subject (students share them, as they share phrasings).
const GOALS_PER_SUBJECT: usize = 40;
/// Rows per INSERT statement.
const CHUNK: usize = 200;

const SUBJECTS: &[&str] = &[
    "Mathematics",
    "English",
    "Physics",
    "Chemistry",
    "Python",
    "Spanish",
    "Biology",
    "History",
    "Economics",
    "Statistics",
    "French",
    "Data Science",
    "Calculus",
    "Music Theory",
    "German",
    "Computer Science",
    "Literature",
    "Geography",
    "Philosophy",
    "JavaScript",
    "Accounting",
    "Psychology",
    "Art History",
    "Japanese",
];
const LANGUAGES: &[&str] = &["English", "Spanish", "French", "German", "Portuguese"];
const LEVELS: &[&str] = &["beginner", "intermediate", "advanced"];

/// The sizes of the platform.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub tutors: usize,
    pub courses: usize,
    pub students: usize,
}

/// What was generated, for choosing whom to ask.
pub struct Platform {
    /// Students with a goal and a history (the on-demand requests pick among them).
    pub active: Vec<String>,
    /// Tutors per subject shard, largest first.
    pub tutor_shards: Vec<(String, usize)>,
    /// Courses per subject shard, largest first.
    pub course_shards: Vec<(String, usize)>,
    /// Rows of `rec_interactions`.
    pub interactions: usize,
    /// The distinct goals' vectors and subjects (lower-cased): queries for the index.
    pub goals: Vec<(String, Vec<f32>)>,
}

/// A subject by Zipf weight (`1 / rank`).
fn subject(rng: &mut Rng) -> usize {
    let total: f32 = (1..=SUBJECTS.len()).map(|r| 1.0 / r as f32).sum();
    let mut x = (rng.signed() + 1.0) / 2.0 * total;
    for i in 0..SUBJECTS.len() {
        x -= 1.0 / (i + 1) as f32;
        if x <= 0.0 {
            return i;
        }
    }
    SUBJECTS.len() - 1
}

fn vector_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Inserts `rows` (each a list of values) into `table (columns)`, `CHUNK` rows per statement.
async fn insert(
    conn: &Connection,
    table: &str,
    columns: &str,
    rows: Vec<Vec<libsql::Value>>,
) -> Result<()> {
    let width = columns.split(',').count();
    for chunk in rows.chunks(CHUNK) {
        let tuple = format!("({})", vec!["?"; width].join(","));
        let sql = format!(
            "INSERT OR REPLACE INTO {table} ({columns}) VALUES {}",
            vec![tuple.as_str(); chunk.len()].join(",")
        );
        let params: Vec<libsql::Value> = chunk.iter().flatten().cloned().collect();
        conn.execute(&sql, params)
            .await
            .with_context(|| format!("insert into {table}"))?;
    }
    Ok(())
}

fn text(s: impl Into<String>) -> libsql::Value {
    libsql::Value::Text(s.into())
}

fn int(i: i64) -> libsql::Value {
    libsql::Value::Integer(i)
}

/// Writes the platform into `conn` (whose schema `recommend::ensure_schema` created), in one
/// transaction; with `write` false, only describes it (the same seed gives the same
/// platform, already stored by an earlier run).
pub async fn generate(conn: &Connection, scale: Scale, seed: u64, write: bool) -> Result<Platform> {
    let mut rng = Rng::new(seed);
    let space = Synthetic::new(Shape::Topical, SUBJECTS.len() * TOPICS, seed);
    let now_ms = 1_790_000_000_000i64;
    let mut embeddings: Vec<Vec<libsql::Value>> = Vec::new();
    let embed = |key: &str, v: Vec<f32>, embeddings: &mut Vec<Vec<libsql::Value>>| {
        let hash = text_hash(MODEL, key);
        embeddings.push(vec![
            text(hash.clone()),
            libsql::Value::Blob(vector_bytes(&v)),
        ]);
        hash
    };

    // Tutors: 1 to 3 subjects, the vector around a topic of the first.
    let mut tutor_subjects: Vec<Vec<usize>> = Vec::with_capacity(scale.tutors);
    let mut tutor_counts = vec![[0i64; 5]; scale.tutors]; // bookings, students, completed, rating sum, count
    for _ in 0..scale.tutors {
        let mut subjects = vec![subject(&mut rng)];
        for p in [0.4, 0.15] {
            if (rng.signed() + 1.0) / 2.0 < p {
                subjects.push(subject(&mut rng));
            }
        }
        subjects.dedup();
        tutor_subjects.push(subjects);
    }
    let mut course_subject = Vec::with_capacity(scale.courses);
    let mut course_counts = vec![[0i64; 4]; scale.courses]; // enrollments, completions, rating sum, count
    for _ in 0..scale.courses {
        course_subject.push(subject(&mut rng));
    }
    let by_subject = |of: &dyn Fn(usize) -> bool, n: usize| -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); SUBJECTS.len()];
        for i in 0..n {
            for (s, list) in out.iter_mut().enumerate() {
                if of(i * SUBJECTS.len() + s) {
                    list.push(i);
                }
            }
        }
        out
    };
    let tutors_of = by_subject(
        &|k| tutor_subjects[k / SUBJECTS.len()].contains(&(k % SUBJECTS.len())),
        scale.tutors,
    );
    let courses_of = by_subject(
        &|k| course_subject[k / SUBJECTS.len()] == k % SUBJECTS.len(),
        scale.courses,
    );

    // Students: a goal (80%), a history of 0 to 6 items in the goal's subject (or a random
    // one), reviews of some of them.
    let mut students = Vec::with_capacity(scale.students);
    let mut goals = Vec::new();
    let mut student_subjects = Vec::new();
    let mut interactions = Vec::new();
    let mut active = Vec::new();
    let mut goal_texts = HashSet::new();
    let mut goal_vectors = Vec::new();
    for i in 0..scale.students {
        let user = format!("stu-{i:06}");
        students.push(vec![
            text(&user),
            int(now_ms - 86_400_000 * 200),
            text("US"),
        ]);
        let s = subject(&mut rng);
        let mut subjects: Vec<usize> = Vec::new();
        let has_goal = (rng.signed() + 1.0) / 2.0 < 0.8;
        if has_goal {
            let g = rng.below(GOALS_PER_SUBJECT);
            let goal = format!("Get better at {} (goal {g})", SUBJECTS[s]);
            let level = LEVELS[rng.below(LEVELS.len())];
            let key = format!("{goal}. Subjects: {}.", SUBJECTS[s]);
            if goal_texts.insert(key.clone()) {
                let mut goal_rng = Rng::new(seed ^ (s * GOALS_PER_SUBJECT + g) as u64);
                let v = space.around(s * TOPICS + g % TOPICS, &mut goal_rng);
                goal_vectors.push((SUBJECTS[s].to_lowercase(), v.clone()));
                embed(&key, v, &mut embeddings);
            }
            goals.push(vec![
                text(&user),
                text(goal),
                text(json!([SUBJECTS[s]]).to_string()),
                text(level),
                int(now_ms - 86_400_000 * 100),
            ]);
            subjects.push(s);
        }
        let taken = rng.below(7);
        for t in 0..taken {
            let at = int(now_ms - 86_400_000 * (90 - t as i64));
            if rng.below(3) < 2 && !tutors_of[s].is_empty() {
                let k = tutors_of[s][rng.below(tutors_of[s].len())];
                let completed = rng.below(2) == 0;
                tutor_counts[k][0] += 1;
                tutor_counts[k][1] += 1;
                interactions.push(vec![
                    text(&user),
                    text("tutor"),
                    text(format!("tut-{k:05}")),
                    text("booked"),
                    int(1),
                    at.clone(),
                ]);
                if completed {
                    tutor_counts[k][2] += 1;
                    tutor_counts[k][3] += 3 + rng.below(3) as i64;
                    tutor_counts[k][4] += 1;
                }
            } else if !courses_of[s].is_empty() {
                let k = courses_of[s][rng.below(courses_of[s].len())];
                course_counts[k][0] += 1;
                interactions.push(vec![
                    text(&user),
                    text("course"),
                    text(format!("crs-{k:05}")),
                    text("enrolled"),
                    int(1),
                    at.clone(),
                ]);
                if rng.below(3) == 0 {
                    course_counts[k][1] += 1;
                    course_counts[k][2] += 3 + rng.below(3) as i64;
                    course_counts[k][3] += 1;
                    interactions.push(vec![
                        text(&user),
                        text("course"),
                        text(format!("crs-{k:05}")),
                        text("completed"),
                        int(1),
                        at,
                    ]);
                }
            }
            if !subjects.contains(&s) {
                subjects.push(s);
            }
        }
        for s in &subjects {
            student_subjects.push(vec![text(SUBJECTS[*s].to_lowercase()), text(&user)]);
        }
        if has_goal && taken > 0 {
            active.push(user);
        }
    }

    let mut tutors = Vec::with_capacity(scale.tutors);
    for (k, subjects) in tutor_subjects.iter().enumerate() {
        let names: Vec<&str> = subjects.iter().map(|s| SUBJECTS[*s]).collect();
        let bio = format!("Tutor {k} teaches {}", names.join(", "));
        let v = space.around(subjects[0] * TOPICS + rng.below(TOPICS), &mut rng);
        let hash = embed(&bio, v, &mut embeddings);
        let c = tutor_counts[k];
        let languages = vec![LANGUAGES[0], LANGUAGES[1 + rng.below(LANGUAGES.len() - 1)]];
        tutors.push(vec![
            text(format!("tut-{k:05}")),
            text(format!("Tutor {k}")),
            text(json!(names).to_string()),
            text(bio),
            text(json!(languages).to_string()),
            int(2000 + 100 * rng.below(60) as i64),
            text("USD"),
            int(now_ms - 86_400_000 * 300),
            text(hash),
            int(c[0]),
            int(c[1]),
            int(c[2]),
            int(c[3]),
            int(c[4]),
        ]);
    }
    let mut courses = Vec::with_capacity(scale.courses);
    for (k, &s) in course_subject.iter().enumerate() {
        let title = format!("{} course {k}", SUBJECTS[s]);
        let v = space.around(s * TOPICS + rng.below(TOPICS), &mut rng);
        let hash = embed(&title, v, &mut embeddings);
        let c = course_counts[k];
        courses.push(vec![
            text(format!("crs-{k:05}")),
            text(format!("tut-{:05}", rng.below(scale.tutors.max(1)))),
            text(&title),
            text(format!("{title}: a course")),
            text(SUBJECTS[s]),
            text(LEVELS[rng.below(LEVELS.len())]),
            text("[]"),
            libsql::Value::Real(4.0 + rng.below(20) as f64),
            int(1000 + 500 * rng.below(20) as i64),
            text("USD"),
            int(now_ms - 86_400_000 * 250),
            text(hash),
            int(c[0]),
            int(c[1]),
            int(c[2]),
            int(c[3]),
        ]);
    }

    let interaction_rows = interactions.len();
    if write {
        let rows = Rows {
            embeddings,
            tutors,
            courses,
            students,
            goals,
            student_subjects,
            interactions,
        };
        store(conn, rows).await?;
    }

    let sizes = |lists: &[Vec<usize>]| {
        let mut v: Vec<(String, usize)> = lists
            .iter()
            .enumerate()
            .map(|(s, l)| (SUBJECTS[s].to_lowercase(), l.len()))
            .collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.1));
        v
    };
    Ok(Platform {
        active,
        tutor_shards: sizes(&tutors_of),
        course_shards: sizes(&courses_of),
        interactions: interaction_rows,
        goals: goal_vectors,
    })
}

/// The rows of each table.
struct Rows {
    embeddings: Vec<Vec<libsql::Value>>,
    tutors: Vec<Vec<libsql::Value>>,
    courses: Vec<Vec<libsql::Value>>,
    students: Vec<Vec<libsql::Value>>,
    goals: Vec<Vec<libsql::Value>>,
    student_subjects: Vec<Vec<libsql::Value>>,
    interactions: Vec<Vec<libsql::Value>>,
}

/// Every row, in one transaction.
async fn store(conn: &Connection, rows: Rows) -> Result<()> {
    let Rows {
        embeddings,
        tutors,
        courses,
        students,
        goals,
        student_subjects,
        interactions,
    } = rows;
    let tx = conn.transaction().await?;
    insert(&tx, "rec_embeddings", "text_hash, vector", embeddings).await?;
    insert(&tx, "rec_tutors", "tutor_id, name, subjects, bio, languages, hourly_rate, currency, updated_ms, text_hash, bookings, students, completed, rating_sum, rating_count", tutors).await?;
    insert(&tx, "rec_courses", "course_id, tutor_id, title, description, subject, level, prerequisites, hours, price, currency, published_ms, text_hash, enrollments, completions, rating_sum, rating_count", courses).await?;
    insert(
        &tx,
        "rec_students",
        "user_id, registered_ms, country",
        students,
    )
    .await?;
    insert(
        &tx,
        "rec_goals",
        "user_id, goal, subjects, level, at_ms",
        goals,
    )
    .await?;
    insert(
        &tx,
        "rec_student_subjects",
        "subject, user_id",
        student_subjects,
    )
    .await?;
    insert(
        &tx,
        "rec_interactions",
        "user_id, item_kind, item_id, relation, count, last_ms",
        interactions,
    )
    .await?;
    tx.execute("UPDATE rec_state SET tutor_version = tutor_version + 1, course_version = course_version + 1", ())
        .await?;
    tx.commit().await?;
    Ok(())
}
