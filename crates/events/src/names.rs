//! Mapping of event-type names to the canonical snake_case form.
//!
//! The rule, applied to every format:
//!
//! 1. A name without dots is split into words at every character that is not an ASCII
//!    letter or digit (space, `_`, `-`, …) and at case boundaries (`lessonCompleted`,
//!    `LessonCompleted`, `HTTPRequest` → `http`, `request`); words are lower-cased and
//!    joined with `_`. So `"Lesson Completed"`, `"LessonCompleted"`, `"lesson-completed"`
//!    and `"lesson_completed"` all map to `lesson_completed`.
//! 2. A dotted name (`com.tutoring.session.booked`, `session.booked`,
//!    `com.tutoring.SessionBooked.v1`) is split at the dots; empty segments and one trailing
//!    version segment (`v` followed by digits) are dropped, and each segment is mapped as in
//!    rule 1. Then the longest *suffix* of segments whose `_`-joined form is a catalog
//!    type wins (`com.tutoring.tutor.profile.updated` → `tutor_profile_updated`,
//!    `com.tutoring.session.booked` → `session_booked`). If no suffix is a catalog type,
//!    the last segment is used when it has several words (`com.acme.QuizStarted` →
//!    `quiz_started`), else the last two segments (`com.acme.quiz.started` →
//!    `quiz_started`).
//! 3. The result must be 1 to [`MAX_EVENT_TYPE_LEN`] characters long.
//!
//! The mapping is idempotent: a canonical name maps to itself.

use crate::catalog::KnownType;

/// Longest accepted canonical event-type name, in characters.
pub const MAX_EVENT_TYPE_LEN: usize = 64;

/// Maps an event-type name in any accepted spelling to its canonical snake_case form,
/// following the rule in this module's documentation.
///
/// Returns an explanation (without field path) when the name is unusable.
pub fn canonical_event_type(name: &str) -> Result<String, String> {
    let canonical = if name.contains('.') {
        dotted(name)
    } else {
        snake_case(name)
    };
    if canonical.is_empty() {
        return Err(format!(
            "expected an event type name with letters or digits, got {}",
            crate::validate::show(&serde_json::Value::String(name.to_owned()))
        ));
    }
    if canonical.chars().count() > MAX_EVENT_TYPE_LEN {
        return Err(format!(
            "event type name is longer than {MAX_EVENT_TYPE_LEN} characters once mapped to snake_case"
        ));
    }
    Ok(canonical)
}

fn dotted(name: &str) -> String {
    let mut segments: Vec<String> = name
        .split('.')
        .map(snake_case)
        .filter(|s| !s.is_empty())
        .collect();
    if segments.len() > 1 && segments.last().is_some_and(|s| is_version(s)) {
        segments.pop();
    }
    for start in 0..segments.len() {
        let candidate = segments[start..].join("_");
        if KnownType::from_name(&candidate).is_some() {
            return candidate;
        }
    }
    match segments.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [.., prev, last] => {
            if last.contains('_') {
                last.clone()
            } else {
                format!("{prev}_{last}")
            }
        }
    }
}

fn is_version(segment: &str) -> bool {
    segment
        .strip_prefix('v')
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Converts one name (no dots expected) to snake_case: words split at non-alphanumeric
/// characters and case boundaries, lower-cased, joined with `_`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_is_lower);
            if boundary {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words.join("_")
}

/// Converts a snake_case name to PascalCase (`session_booked` → `SessionBooked`), the
/// inverse of [`snake_case`] for names whose words start with a letter and have at least
/// two characters.
pub fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .filter_map(|w| {
            let mut chars = w.chars();
            let first = chars.next()?;
            Some(first.to_ascii_uppercase().to_string() + chars.as_str())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn canonical_table() {
        let cases = [
            ("session_booked", "session_booked"),
            ("SessionBooked", "session_booked"),
            ("sessionBooked", "session_booked"),
            ("Lesson Completed", "lesson_completed"),
            ("lesson-completed", "lesson_completed"),
            ("  Lesson   Completed  ", "lesson_completed"),
            ("LESSON_COMPLETED", "lesson_completed"),
            ("HTTPRequestSent", "http_request_sent"),
            ("Level2Reached", "level2_reached"),
            ("3dModelViewed", "3d_model_viewed"),
            ("Order Completed (v2)", "order_completed_v2"),
            ("com.tutoring.session.booked", "session_booked"),
            ("session.booked", "session_booked"),
            ("com.tutoring.SessionBooked", "session_booked"),
            ("com.tutoring.session_booked", "session_booked"),
            ("com.tutoring.payment.succeeded.v1", "payment_succeeded"),
            (
                "com.tutoring.tutor.profile.updated",
                "tutor_profile_updated",
            ),
            ("tutor.profile.updated", "tutor_profile_updated"),
            ("student.goal.set", "student_goal_set"),
            ("com.tutoring.user.registered", "user_registered"),
            ("com.acme.quiz.started", "quiz_started"),
            ("com.acme.QuizStarted", "quiz_started"),
            ("com.acme.QuizStarted.v12", "quiz_started"),
            ("quiz..started.", "quiz_started"),
            ("v1", "v1"),
            (".v2", "v2"),
            ("started", "started"),
            ("Été Réservé", "t_r_serv"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                canonical_event_type(input).as_deref(),
                Ok(expected),
                "{input:?}"
            );
            // idempotent
            assert_eq!(
                canonical_event_type(expected).as_deref(),
                Ok(expected),
                "{expected:?}"
            );
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn canonical_rejects() {
        for input in ["", "   ", "...", "-_-", "é"] {
            let err = canonical_event_type(input).unwrap_err();
            assert!(err.contains("letters or digits"), "{input:?}: {err}");
        }
        let long = "a".repeat(MAX_EVENT_TYPE_LEN + 1);
        assert!(
            canonical_event_type(&long)
                .unwrap_err()
                .contains("longer than 64")
        );
        assert!(canonical_event_type(&"a".repeat(MAX_EVENT_TYPE_LEN)).is_ok());
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pascal_table() {
        let cases = [
            ("session_booked", "SessionBooked"),
            ("tutor_profile_updated", "TutorProfileUpdated"),
            ("level2_reached", "Level2Reached"),
            ("a__b", "AB"),
            ("", ""),
        ];
        for (snake, pascal) in cases {
            assert_eq!(pascal_case(snake), pascal);
        }
        for known in crate::catalog::KnownType::ALL {
            assert_eq!(snake_case(&pascal_case(known.as_str())), known.as_str());
            assert_eq!(
                canonical_event_type(&pascal_case(known.as_str())).unwrap(),
                known.as_str()
            );
        }
    }
}
