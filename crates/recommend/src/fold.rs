//! The SQL that folds a range of events, `seq` in `(?1, ?2]`, into the read models, and marks
//! the recommendations it makes stale. Every statement is idempotent per event only through
//! the range: each event is folded exactly once, in the transaction that advances
//! `rec_state.last_seq`.

const RANGE: &str = "seq > ?1 AND seq <= ?2";

/// The statements, in order.
pub(crate) fn statements() -> Vec<String> {
    vec![
        // Students: the first registration.
        format!(
            "INSERT INTO rec_students (user_id, registered_ms, country) \
             SELECT user_id, MIN(timestamp_ms), json_extract(properties, '$.country') \
             FROM analytics_events WHERE {RANGE} AND event_type = 'user_registered' \
             AND json_extract(properties, '$.role') = 'student' GROUP BY user_id \
             ON CONFLICT (user_id) DO UPDATE SET registered_ms = excluded.registered_ms \
             WHERE excluded.registered_ms < rec_students.registered_ms"
        ),
        // Goals: the latest setting of each goal text wins.
        format!(
            "INSERT INTO rec_goals (user_id, goal, subjects, level, at_ms) \
             SELECT user_id, json_extract(properties, '$.goal'), \
             COALESCE(json_extract(properties, '$.subjects'), '[]'), \
             json_extract(properties, '$.level'), timestamp_ms \
             FROM analytics_events WHERE {RANGE} AND event_type = 'student_goal_set' \
             AND json_type(properties, '$.goal') = 'text' ORDER BY timestamp_ms, seq \
             ON CONFLICT (user_id, goal) DO UPDATE SET subjects = excluded.subjects, \
             level = excluded.level, at_ms = excluded.at_ms WHERE excluded.at_ms >= rec_goals.at_ms"
        ),
        format!(
            "INSERT OR IGNORE INTO rec_student_subjects (subject, user_id) \
             SELECT j.value, e.user_id FROM analytics_events e, json_each(e.properties, '$.subjects') j \
             WHERE e.{RANGE} AND e.event_type = 'student_goal_set' AND j.type = 'text' \
             UNION SELECT json_extract(properties, '$.subject'), user_id FROM analytics_events \
             WHERE {RANGE} AND event_type = 'session_booked' \
             AND json_type(properties, '$.subject') = 'text'"
        ),
        // Tutors: the latest profile wins; a new text is embedded again.
        format!(
            "INSERT INTO rec_tutors (tutor_id, name, subjects, bio, languages, hourly_rate, \
             currency, updated_ms, text_hash) \
             SELECT user_id, json_extract(properties, '$.name'), json_extract(properties, '$.subjects'), \
             json_extract(properties, '$.bio'), json_extract(properties, '$.languages'), \
             json_extract(properties, '$.hourlyRate'), json_extract(properties, '$.currency'), \
             timestamp_ms, NULL \
             FROM analytics_events WHERE {RANGE} AND event_type = 'tutor_profile_updated' \
             AND json_type(properties, '$.subjects') = 'array' \
             AND json_type(properties, '$.languages') = 'array' \
             AND json_type(properties, '$.hourlyRate') = 'integer' \
             AND json_extract(properties, '$.name') IS NOT NULL \
             AND json_extract(properties, '$.bio') IS NOT NULL \
             AND json_extract(properties, '$.currency') IS NOT NULL \
             ORDER BY timestamp_ms, seq \
             ON CONFLICT (tutor_id) DO UPDATE SET name = excluded.name, subjects = excluded.subjects, \
             bio = excluded.bio, languages = excluded.languages, hourly_rate = excluded.hourly_rate, \
             currency = excluded.currency, updated_ms = excluded.updated_ms, text_hash = NULL \
             WHERE excluded.updated_ms >= rec_tutors.updated_ms"
        ),
        // Courses: the latest publication wins.
        format!(
            "INSERT INTO rec_courses (course_id, tutor_id, title, description, subject, level, \
             prerequisites, hours, price, currency, published_ms, text_hash) \
             SELECT json_extract(properties, '$.courseId'), user_id, json_extract(properties, '$.title'), \
             json_extract(properties, '$.description'), json_extract(properties, '$.subject'), \
             json_extract(properties, '$.level'), \
             COALESCE(json_extract(properties, '$.prerequisites'), '[]'), \
             json_extract(properties, '$.hours'), json_extract(properties, '$.price'), \
             json_extract(properties, '$.currency'), timestamp_ms, NULL \
             FROM analytics_events WHERE {RANGE} AND event_type = 'course_published' \
             AND json_type(properties, '$.courseId') = 'text' \
             AND json_type(properties, '$.hours') IN ('integer', 'real') \
             AND json_type(properties, '$.price') = 'integer' \
             AND json_extract(properties, '$.title') IS NOT NULL \
             AND json_extract(properties, '$.description') IS NOT NULL \
             AND json_extract(properties, '$.subject') IS NOT NULL \
             AND json_extract(properties, '$.level') IS NOT NULL \
             AND json_extract(properties, '$.currency') IS NOT NULL \
             ORDER BY timestamp_ms, seq \
             ON CONFLICT (course_id) DO UPDATE SET tutor_id = excluded.tutor_id, title = excluded.title, \
             description = excluded.description, subject = excluded.subject, level = excluded.level, \
             prerequisites = excluded.prerequisites, hours = excluded.hours, price = excluded.price, \
             currency = excluded.currency, published_ms = excluded.published_ms, text_hash = NULL \
             WHERE excluded.published_ms >= rec_courses.published_ms"
        ),
        // Bookings, completed sessions, enrollments and completed courses.
        format!(
            "INSERT INTO rec_interactions (user_id, item_kind, item_id, relation, count, last_ms) \
             SELECT user_id, kind, item, relation, count(*), MAX(timestamp_ms) FROM ( \
             SELECT user_id, timestamp_ms, \
             CASE WHEN event_type LIKE 'session_%' THEN 'tutor' ELSE 'course' END AS kind, \
             CASE WHEN event_type LIKE 'session_%' THEN json_extract(properties, '$.tutorId') \
             ELSE json_extract(properties, '$.courseId') END AS item, \
             CASE event_type WHEN 'session_booked' THEN 'booked' WHEN 'course_enrolled' THEN 'enrolled' \
             ELSE 'completed' END AS relation \
             FROM analytics_events WHERE {RANGE} AND event_type IN \
             ('session_booked', 'session_completed', 'course_enrolled', 'course_completed')) \
             WHERE item IS NOT NULL GROUP BY user_id, kind, item, relation \
             ON CONFLICT (user_id, item_kind, item_id, relation) DO UPDATE SET \
             count = rec_interactions.count + excluded.count, \
             last_ms = MAX(rec_interactions.last_ms, excluded.last_ms)"
        ),
        // Reviews: a student's latest rating of each tutor and course counts.
        reviews("tutor", "tutorId"),
        reviews("course", "courseId"),
        // The counters of every tutor and course the range mentions.
        format!(
            "UPDATE rec_tutors SET \
             bookings = (SELECT COALESCE(SUM(count), 0) FROM rec_interactions i WHERE i.item_kind = 'tutor' \
             AND i.item_id = rec_tutors.tutor_id AND i.relation = 'booked'), \
             students = (SELECT count(*) FROM rec_interactions i WHERE i.item_kind = 'tutor' \
             AND i.item_id = rec_tutors.tutor_id AND i.relation = 'booked'), \
             completed = (SELECT COALESCE(SUM(count), 0) FROM rec_interactions i WHERE i.item_kind = 'tutor' \
             AND i.item_id = rec_tutors.tutor_id AND i.relation = 'completed'), \
             rating_sum = (SELECT COALESCE(SUM(rating), 0) FROM rec_reviews r WHERE r.item_kind = 'tutor' \
             AND r.item_id = rec_tutors.tutor_id), \
             rating_count = (SELECT count(*) FROM rec_reviews r WHERE r.item_kind = 'tutor' \
             AND r.item_id = rec_tutors.tutor_id) \
             WHERE tutor_id IN (SELECT json_extract(properties, '$.tutorId') FROM analytics_events \
             WHERE {RANGE} UNION SELECT user_id FROM analytics_events WHERE {RANGE} \
             AND event_type = 'tutor_profile_updated')"
        ),
        format!(
            "UPDATE rec_courses SET \
             enrollments = (SELECT count(*) FROM rec_interactions i WHERE i.item_kind = 'course' \
             AND i.item_id = rec_courses.course_id AND i.relation = 'enrolled'), \
             completions = (SELECT count(*) FROM rec_interactions i WHERE i.item_kind = 'course' \
             AND i.item_id = rec_courses.course_id AND i.relation = 'completed'), \
             rating_sum = (SELECT COALESCE(SUM(rating), 0) FROM rec_reviews r WHERE r.item_kind = 'course' \
             AND r.item_id = rec_courses.course_id), \
             rating_count = (SELECT count(*) FROM rec_reviews r WHERE r.item_kind = 'course' \
             AND r.item_id = rec_courses.course_id) \
             WHERE course_id IN (SELECT json_extract(properties, '$.courseId') FROM analytics_events \
             WHERE {RANGE})"
        ),
        // Staleness: the student's own bookings, goals, enrollments and completions ...
        format!(
            "UPDATE recommendations SET stale = 1 WHERE stale = 0 AND user_id IN \
             (SELECT user_id FROM analytics_events WHERE {RANGE} AND event_type IN \
             ('session_booked', 'student_goal_set', 'course_enrolled', 'course_completed'))"
        ),
        // ... and a new course in one of the student's subjects.
        format!(
            "UPDATE recommendations SET stale = 1 WHERE stale = 0 AND user_id IN \
             (SELECT s.user_id FROM rec_student_subjects s WHERE s.subject IN \
             (SELECT json_extract(properties, '$.subject') FROM analytics_events \
             WHERE {RANGE} AND event_type = 'course_published'))"
        ),
    ]
}

fn reviews(kind: &str, key: &str) -> String {
    format!(
        "INSERT INTO rec_reviews (user_id, item_kind, item_id, rating, at_ms) \
         SELECT user_id, '{kind}', json_extract(properties, '$.{key}'), \
         json_extract(properties, '$.rating'), timestamp_ms \
         FROM analytics_events WHERE {RANGE} AND event_type = 'review_submitted' \
         AND json_type(properties, '$.{key}') = 'text' \
         AND json_type(properties, '$.rating') = 'integer' ORDER BY timestamp_ms, seq \
         ON CONFLICT (user_id, item_kind, item_id) DO UPDATE SET rating = excluded.rating, \
         at_ms = excluded.at_ms WHERE excluded.at_ms >= rec_reviews.at_ms"
    )
}
