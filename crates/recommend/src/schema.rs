//! The tables the library maintains beside `analytics_events`: the fold state, the read
//! models of students, tutors and courses, the embedding cache, the index manifests and
//! shards, and the served `recommendations`.
//!
//! Times are milliseconds since the epoch (`*_ms`). JSON columns hold arrays of strings.

/// Every `CREATE` statement, idempotent, in order.
pub const SCHEMA_STATEMENTS: &[&str] = &[
    // The fold state: the last ingestion sequence number folded in, and the versions of the
    // tutor and course embeddings (bumped whenever one is set), which the indexes follow.
    "CREATE TABLE IF NOT EXISTS rec_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL DEFAULT 0,
    tutor_version INTEGER NOT NULL DEFAULT 0,
    course_version INTEGER NOT NULL DEFAULT 0,
    refreshed_at TEXT
)",
    "INSERT OR IGNORE INTO rec_state (id) VALUES (1)",
    // Students: registration (a student known only from a goal or a booking has no row).
    "CREATE TABLE IF NOT EXISTS rec_students (
    user_id TEXT PRIMARY KEY,
    registered_ms INTEGER NOT NULL,
    country TEXT
)",
    // Each distinct goal text a student set, the latest setting winning.
    "CREATE TABLE IF NOT EXISTS rec_goals (
    user_id TEXT NOT NULL,
    goal TEXT NOT NULL,
    subjects TEXT NOT NULL, -- JSON array
    level TEXT,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, goal)
) WITHOUT ROWID",
    // The subjects a student is interested in (from goals and bookings), both ways round.
    "CREATE TABLE IF NOT EXISTS rec_student_subjects (
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (subject, user_id)
) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS rec_student_subjects_user ON rec_student_subjects (user_id)",
    // Tutors: the latest profile, and counters kept current by the fold.
    // `text_hash` is NULL until the profile's current text is embedded.
    "CREATE TABLE IF NOT EXISTS rec_tutors (
    tutor_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    subjects TEXT NOT NULL, -- JSON array
    bio TEXT NOT NULL,
    languages TEXT NOT NULL, -- JSON array
    hourly_rate INTEGER NOT NULL,
    currency TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    text_hash TEXT,
    bookings INTEGER NOT NULL DEFAULT 0,
    students INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    rating_sum INTEGER NOT NULL DEFAULT 0,
    rating_count INTEGER NOT NULL DEFAULT 0
)",
    // The best-rated tutors first (the Bayesian average the fallback candidates are ordered
    // by): the fallback query walks this index and stops at its limit instead of sorting
    // every tutor.
    "CREATE INDEX IF NOT EXISTS rec_tutors_rating ON rec_tutors ((rating_sum + 20.0) / (rating_count + 5.0) DESC, tutor_id)",
    // Courses: the latest publication, and counters kept current by the fold.
    "CREATE TABLE IF NOT EXISTS rec_courses (
    course_id TEXT PRIMARY KEY,
    tutor_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    subject TEXT NOT NULL,
    level TEXT NOT NULL,
    prerequisites TEXT NOT NULL, -- JSON array of course ids
    hours REAL NOT NULL,
    price INTEGER NOT NULL,
    currency TEXT NOT NULL,
    published_ms INTEGER NOT NULL,
    text_hash TEXT,
    enrollments INTEGER NOT NULL DEFAULT 0,
    completions INTEGER NOT NULL DEFAULT 0,
    rating_sum INTEGER NOT NULL DEFAULT 0,
    rating_count INTEGER NOT NULL DEFAULT 0
)",
    "CREATE INDEX IF NOT EXISTS rec_courses_rating ON rec_courses ((rating_sum + 20.0) / (rating_count + 5.0) DESC, course_id)",
    // The best-rated courses of one subject: a walk of this index stops at its limit, where a
    // walk of the one above checks every course of the other subjects on the way.
    "CREATE INDEX IF NOT EXISTS rec_courses_subject_rating ON rec_courses (lower(subject), (rating_sum + 20.0) / (rating_count + 5.0) DESC, course_id)",
    // The same for tutors, whose subjects are a JSON array: one row per tutor and subject
    // (lower-cased) with the tutor's Bayesian average, kept by the triggers below.
    "CREATE TABLE IF NOT EXISTS rec_tutor_subjects (
    subject TEXT NOT NULL,
    tutor_id TEXT NOT NULL,
    rating REAL NOT NULL,
    PRIMARY KEY (subject, tutor_id)
) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS rec_tutor_subjects_rating ON rec_tutor_subjects (subject, rating DESC, tutor_id)",
    "CREATE TRIGGER IF NOT EXISTS rec_tutor_subjects_insert AFTER INSERT ON rec_tutors BEGIN
    INSERT OR REPLACE INTO rec_tutor_subjects (subject, tutor_id, rating)
    SELECT DISTINCT lower(j.value), NEW.tutor_id, (NEW.rating_sum + 20.0) / (NEW.rating_count + 5.0)
    FROM json_each(NEW.subjects) j;
END",
    "CREATE TRIGGER IF NOT EXISTS rec_tutor_subjects_update AFTER UPDATE OF subjects, rating_sum, rating_count ON rec_tutors
WHEN OLD.subjects IS NOT NEW.subjects OR OLD.rating_sum IS NOT NEW.rating_sum OR OLD.rating_count IS NOT NEW.rating_count
BEGIN
    DELETE FROM rec_tutor_subjects WHERE tutor_id = OLD.tutor_id
        AND subject IN (SELECT lower(value) FROM json_each(OLD.subjects));
    INSERT OR REPLACE INTO rec_tutor_subjects (subject, tutor_id, rating)
    SELECT DISTINCT lower(j.value), NEW.tutor_id, (NEW.rating_sum + 20.0) / (NEW.rating_count + 5.0)
    FROM json_each(NEW.subjects) j;
END",
    "CREATE TRIGGER IF NOT EXISTS rec_tutor_subjects_delete AFTER DELETE ON rec_tutors BEGIN
    DELETE FROM rec_tutor_subjects WHERE tutor_id = OLD.tutor_id
        AND subject IN (SELECT lower(value) FROM json_each(OLD.subjects));
END",
    // Tutors stored before the table existed.
    "INSERT OR IGNORE INTO rec_tutor_subjects (subject, tutor_id, rating)
    SELECT DISTINCT lower(j.value), t.tutor_id, (t.rating_sum + 20.0) / (t.rating_count + 5.0)
    FROM rec_tutors t, json_each(t.subjects) j",
    // Who booked, completed or enrolled in what (`item_kind` is `tutor` or `course`).
    "CREATE TABLE IF NOT EXISTS rec_interactions (
    user_id TEXT NOT NULL,
    item_kind TEXT NOT NULL,
    item_id TEXT NOT NULL,
    relation TEXT NOT NULL, -- booked, completed (sessions or courses), enrolled
    count INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_kind, item_id, relation)
) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS rec_interactions_item ON rec_interactions (item_kind, item_id, user_id)",
    // Each student's latest rating of a tutor or a course.
    "CREATE TABLE IF NOT EXISTS rec_reviews (
    user_id TEXT NOT NULL,
    item_kind TEXT NOT NULL,
    item_id TEXT NOT NULL,
    rating INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, item_kind, item_id)
) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS rec_reviews_item ON rec_reviews (item_kind, item_id)",
    // Embeddings by the hash of the model name and the text they came from.
    "CREATE TABLE IF NOT EXISTS rec_embeddings (
    text_hash TEXT PRIMARY KEY,
    vector BLOB NOT NULL -- little-endian f32s
)",
    // The indexes' tables carry their format: `_v4` stores a shard's ids as one string, its
    // vectors as one matrix and a graph's links as flat arrays. Tables of an older format are
    // dropped, and the next refresh builds the indexes again (requests meanwhile rank the
    // collaborative and best-rated candidates).
    "DROP TABLE IF EXISTS rec_index_manifest",
    "DROP TABLE IF EXISTS rec_index_shards",
    "DROP TABLE IF EXISTS rec_index_manifest_v2",
    "DROP TABLE IF EXISTS rec_index_shards_v2",
    "DROP TABLE IF EXISTS rec_index_manifest_v3",
    "DROP TABLE IF EXISTS rec_index_shards_v3",
    // The current index of each kind: its version, the embedding version it was built from,
    // and its manifest (shard names, fingerprints, sizes, centroids).
    "CREATE TABLE IF NOT EXISTS rec_index_manifest_v4 (
    kind TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    source_version INTEGER NOT NULL,
    built_at TEXT NOT NULL,
    manifest BLOB NOT NULL
)",
    // Shards by content fingerprint: an unchanged shard is kept across versions.
    "CREATE TABLE IF NOT EXISTS rec_index_shards_v4 (
    kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (kind, fingerprint)
)",
    // The served Recommendation of each student; `stale` = relevant events since.
    "CREATE TABLE IF NOT EXISTS recommendations (
    user_id TEXT PRIMARY KEY,
    recommendation_id TEXT NOT NULL,
    recommended_tutor_ids TEXT NOT NULL, -- JSON array
    recommended_course_ids TEXT NOT NULL, -- JSON array
    confidence_score REAL NOT NULL,
    generated_at TEXT NOT NULL,
    items TEXT NOT NULL, -- JSON array of RecommendedItem
    stale INTEGER NOT NULL DEFAULT 0
)",
    "CREATE INDEX IF NOT EXISTS recommendations_stale ON recommendations (stale) WHERE stale = 1",
];
