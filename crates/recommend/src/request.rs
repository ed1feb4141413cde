//! Requests as callers send them, validated while parsing: the query of a tutor or course
//! list, and the body of a study-plan request. Every error names the bad field.

use serde_json::Value;

use crate::filters::{Filters, Level};
use crate::index::Kind;

/// Items in a list when the caller sets no `limit`.
pub const DEFAULT_LIMIT: usize = 10;
/// The largest `limit` accepted.
pub const MAX_LIMIT: usize = 50;
/// The longest goal accepted, in characters.
pub const MAX_GOAL_CHARS: usize = 500;

/// A request the caller got wrong: 400, with a message that names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A parameter or field has a bad value.
    #[error("{name}: {message}")]
    Invalid {
        /// The query parameter or body field.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A query parameter or body field this request does not take.
    #[error("unknown {where_} {name:?}: use {expected}")]
    Unknown {
        /// `parameter` or `field`.
        where_: &'static str,
        /// Its name.
        name: String,
        /// The accepted names.
        expected: &'static str,
    },
}

impl RequestError {
    /// Always 400.
    pub fn status(&self) -> u16 {
        400
    }

    /// A short machine-readable code for the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::Invalid { .. } => "invalid_parameter",
            RequestError::Unknown { .. } => "unknown_parameter",
        }
    }

    fn invalid(name: &str, message: impl Into<String>) -> Self {
        RequestError::Invalid {
            name: name.to_owned(),
            message: message.into(),
        }
    }
}

/// A tutor or course list request: its filters and how many items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemQuery {
    /// What results must satisfy.
    pub filters: Filters,
    /// 1 to [`MAX_LIMIT`].
    pub limit: usize,
}

impl ItemQuery {
    /// Parses a URL query (`limit`, `subject`, `minPrice`, `maxPrice`, `currency`, and
    /// `language` for tutors or `level` for courses). A price bound needs `currency`: prices
    /// in different currencies are not comparable.
    ///
    /// ```
    /// use recommend::{Kind, request::ItemQuery};
    /// let q = ItemQuery::parse(Kind::Tutor, Some("subject=Python&maxPrice=5000&currency=usd&limit=3")).unwrap();
    /// assert_eq!((q.limit, q.filters.currency.as_deref()), (3, Some("USD")));
    /// assert!(ItemQuery::parse(Kind::Course, Some("language=English")).is_err());
    /// ```
    pub fn parse(kind: Kind, query: Option<&str>) -> Result<ItemQuery, RequestError> {
        let mut q = ItemQuery {
            filters: Filters::default(),
            limit: DEFAULT_LIMIT,
        };
        let mut seen = Vec::new();
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(raw_name);
            let value = decode(raw_value);
            if seen.contains(&name) {
                return Err(RequestError::invalid(&name, "given more than once"));
            }
            seen.push(name.clone());
            let f = &mut q.filters;
            match (name.as_str(), kind) {
                ("limit", _) => q.limit = parse_limit(&value)?,
                ("subject", _) => f.subject = Some(text(&name, &value)?),
                ("language", Kind::Tutor) => f.language = Some(text(&name, &value)?),
                ("level", Kind::Course) => {
                    f.level = Some(Level::parse(&value).ok_or_else(|| {
                        RequestError::invalid(
                            &name,
                            format!("{value:?} is not beginner, intermediate or advanced"),
                        )
                    })?);
                }
                ("minPrice", _) => f.min_price = Some(price(&name, &value)?),
                ("maxPrice", _) => f.max_price = Some(price(&name, &value)?),
                ("currency", _) => f.currency = Some(currency(&value)?),
                _ => {
                    return Err(RequestError::Unknown {
                        where_: "parameter",
                        name,
                        expected: match kind {
                            Kind::Tutor => {
                                "limit, subject, language, minPrice, maxPrice or currency"
                            }
                            Kind::Course => "limit, subject, level, minPrice, maxPrice or currency",
                        },
                    });
                }
            }
        }
        check_prices(&q.filters)?;
        Ok(q)
    }
}

/// A CreatePersonalizedStudyPlan request: `{"userId", "goal"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyPlanRequest {
    /// The student.
    pub user_id: String,
    /// The goal, trimmed, 1 to [`MAX_GOAL_CHARS`] characters.
    pub goal: String,
}

impl StudyPlanRequest {
    /// Parses a JSON body.
    ///
    /// ```
    /// use recommend::request::StudyPlanRequest;
    /// let r = StudyPlanRequest::parse(br#"{"userId":"usr_1","goal":"Learn Python"}"#).unwrap();
    /// assert_eq!(r.goal, "Learn Python");
    /// assert!(StudyPlanRequest::parse(br#"{"userId":"usr_1"}"#).unwrap_err().to_string().starts_with("goal"));
    /// ```
    pub fn parse(body: &[u8]) -> Result<StudyPlanRequest, RequestError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| RequestError::invalid("body", format!("not JSON: {e}")))?;
        let Value::Object(fields) = value else {
            return Err(RequestError::invalid(
                "body",
                "expected a JSON object {\"userId\", \"goal\"}",
            ));
        };
        if let Some(name) = fields.keys().find(|k| *k != "userId" && *k != "goal") {
            return Err(RequestError::Unknown {
                where_: "field",
                name: name.clone(),
                expected: "userId and goal",
            });
        }
        let string = |name: &str| match fields.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
            Some(Value::String(_)) => Err(RequestError::invalid(name, "must not be empty")),
            Some(_) => Err(RequestError::invalid(name, "must be a string")),
            None => Err(RequestError::invalid(name, "is required")),
        };
        let user_id = string("userId")?;
        let goal = string("goal")?;
        if goal.chars().count() > MAX_GOAL_CHARS {
            return Err(RequestError::invalid(
                "goal",
                format!("longer than {MAX_GOAL_CHARS} characters"),
            ));
        }
        Ok(StudyPlanRequest { user_id, goal })
    }
}

/// Checks a user id taken from a path or an interface call.
pub fn user_id(id: &str) -> Result<&str, RequestError> {
    if id.is_empty() {
        Err(RequestError::invalid("userId", "must not be empty"))
    } else if id.len() > 256 || id.chars().any(char::is_control) {
        Err(RequestError::invalid(
            "userId",
            "at most 256 bytes, no control characters",
        ))
    } else {
        Ok(id)
    }
}

/// The most stale recommendations one refresh regenerates unless told otherwise.
pub const DEFAULT_REGENERATE: usize = 100;
/// The most a refresh may be told to regenerate.
pub const MAX_REGENERATE: usize = 10_000;

/// Parses the query of a background-job run: `regenerate`, how many stale recommendations
/// to regenerate (0 to [`MAX_REGENERATE`], default [`DEFAULT_REGENERATE`]; 0 folds and
/// rebuilds only).
pub fn refresh_query(query: Option<&str>) -> Result<usize, RequestError> {
    let mut regenerate = DEFAULT_REGENERATE;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name);
        if name != "regenerate" {
            return Err(RequestError::Unknown {
                where_: "parameter",
                name,
                expected: "regenerate",
            });
        }
        regenerate = value
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= MAX_REGENERATE)
            .ok_or_else(|| {
                RequestError::invalid(
                    "regenerate",
                    format!("{value:?} is not a whole number from 0 to {MAX_REGENERATE}"),
                )
            })?;
    }
    Ok(regenerate)
}

/// The user id of a path segment (percent-decoded), checked by [`user_id`].
pub fn path_user_id(segment: &str) -> Result<String, RequestError> {
    let id = decode(segment);
    user_id(&id)?;
    Ok(id)
}

/// Checks a `limit` given as a number (the typed interface).
pub fn limit(n: u32) -> Result<usize, RequestError> {
    parse_limit(&n.to_string())
}

/// Checks filters given as a record (the typed interface): the rules of [`ItemQuery::parse`],
/// except that a filter which does not apply to `kind` is dropped rather than refused.
pub fn filters(kind: Kind, f: Filters) -> Result<Filters, RequestError> {
    let nonneg = |name: &str, p: i64| {
        if p >= 0 {
            Ok(p)
        } else {
            Err(RequestError::invalid(name, format!("{p} is negative")))
        }
    };
    let checked = Filters {
        subject: f.subject.map(|s| text("subject", &s)).transpose()?,
        language: match kind {
            Kind::Tutor => f.language.map(|s| text("language", &s)).transpose()?,
            Kind::Course => None,
        },
        min_price: f.min_price.map(|p| nonneg("minPrice", p)).transpose()?,
        max_price: f.max_price.map(|p| nonneg("maxPrice", p)).transpose()?,
        currency: f.currency.map(|c| currency(&c)).transpose()?,
        level: f.level.filter(|_| kind == Kind::Course),
    };
    check_prices(&checked)?;
    Ok(checked)
}

/// A minimum above the maximum, or a price bound without a currency.
fn check_prices(f: &Filters) -> Result<(), RequestError> {
    if let (Some(min), Some(max)) = (f.min_price, f.max_price)
        && min > max
    {
        return Err(RequestError::invalid(
            "minPrice",
            format!("{min} is above maxPrice {max}"),
        ));
    }
    if (f.min_price.is_some() || f.max_price.is_some()) && f.currency.is_none() {
        return Err(RequestError::invalid(
            "currency",
            "required with minPrice or maxPrice (prices are in minor units of one currency)",
        ));
    }
    Ok(())
}

fn parse_limit(value: &str) -> Result<usize, RequestError> {
    match value.parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(RequestError::invalid(
            "limit",
            format!("{value:?} is not a whole number from 1 to {MAX_LIMIT}"),
        )),
    }
}

fn text(name: &str, value: &str) -> Result<String, RequestError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 100 {
        return Err(RequestError::invalid(name, "1 to 100 characters"));
    }
    Ok(value.to_owned())
}

fn price(name: &str, value: &str) -> Result<i64, RequestError> {
    value
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 0)
        .ok_or_else(|| {
            RequestError::invalid(
                name,
                format!("{value:?} is not a non-negative whole number of minor units"),
            )
        })
}

fn currency(value: &str) -> Result<String, RequestError> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(RequestError::invalid(
            "currency",
            format!("{value:?} is not an ISO 4217 code such as USD"),
        ))
    }
}

/// Percent-decoding of a query component (`+` is a space); invalid escapes stay as they are.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'+', ..) => out.push(b' '),
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 2;
            }
            (b, ..) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tutors(q: &str) -> Result<ItemQuery, RequestError> {
        ItemQuery::parse(Kind::Tutor, Some(q))
    }

    fn named(e: RequestError) -> String {
        match e {
            RequestError::Invalid { name, .. } | RequestError::Unknown { name, .. } => name,
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn item_queries() {
        let q = ItemQuery::parse(Kind::Tutor, None).unwrap();
        assert_eq!((q.limit, q.filters), (DEFAULT_LIMIT, Filters::default()));
        let q = tutors("subject=Data%20Science&language=Spanish+&minPrice=0&maxPrice=4000&currency=eur&limit=50")
            .unwrap();
        assert_eq!(q.filters.subject.as_deref(), Some("Data Science"));
        assert_eq!(q.filters.language.as_deref(), Some("Spanish"));
        assert_eq!(
            (q.filters.min_price, q.filters.max_price, q.limit),
            (Some(0), Some(4000), 50)
        );
        let c = ItemQuery::parse(Kind::Course, Some("level=Advanced")).unwrap();
        assert_eq!(c.filters.level, Some(Level::Advanced));
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=51", "limit"),
            ("limit=x", "limit"),
            ("subject=", "subject"),
            ("minPrice=-1&currency=USD", "minPrice"),
            ("maxPrice=1.5&currency=USD", "maxPrice"),
            ("maxPrice=10", "currency"),
            ("currency=dollars", "currency"),
            ("minPrice=10&maxPrice=5&currency=USD", "minPrice"),
            ("level=beginner", "level"),
            ("colour=red", "colour"),
            ("limit=1&limit=2", "limit"),
            ("%zz=1", "%zz"),
        ] {
            assert_eq!(named(tutors(query).unwrap_err()), field, "{query}");
        }
        let e = ItemQuery::parse(Kind::Course, Some("language=English")).unwrap_err();
        assert_eq!((e.code(), e.status()), ("unknown_parameter", 400));
        assert!(e.to_string().contains("level"), "{e}");
        let e = ItemQuery::parse(Kind::Course, Some("level=expert")).unwrap_err();
        assert_eq!(e.code(), "invalid_parameter");
        assert!(e.to_string().starts_with("level: "), "{e}");
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn study_plan_bodies() {
        let r = StudyPlanRequest::parse(br#"{"userId":" u1 ","goal":"Learn SQL"}"#).unwrap();
        assert_eq!((r.user_id.as_str(), r.goal.as_str()), ("u1", "Learn SQL"));
        let long = format!(r#"{{"userId":"u","goal":"{}"}}"#, "x".repeat(501));
        for (body, field) in [
            ("nope", "body"),
            ("[]", "body"),
            (r#"{"goal":"x"}"#, "userId"),
            (r#"{"userId":"u","goal":" "}"#, "goal"),
            (r#"{"userId":1,"goal":"x"}"#, "userId"),
            (r#"{"userId":"u","goal":"x","extra":1}"#, "extra"),
            (long.as_str(), "goal"),
        ] {
            let e = StudyPlanRequest::parse(body.as_bytes()).unwrap_err();
            assert_eq!(named(e), field, "{body}");
        }
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn refresh_queries() {
        assert_eq!(refresh_query(None), Ok(DEFAULT_REGENERATE));
        assert_eq!(refresh_query(Some("regenerate=0")), Ok(0));
        assert_eq!(
            named(refresh_query(Some("regenerate=-1")).unwrap_err()),
            "regenerate"
        );
        assert_eq!(
            named(refresh_query(Some("regenerate=10001")).unwrap_err()),
            "regenerate"
        );
        assert_eq!(named(refresh_query(Some("max=1")).unwrap_err()), "max");
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn interface_arguments() {
        assert_eq!(user_id("usr_1"), Ok("usr_1"));
        assert_eq!(path_user_id("usr%201").as_deref(), Ok("usr 1"));
        assert!(path_user_id("%0A").is_err());
        assert!(user_id("").is_err() && user_id("a\nb").is_err());
        assert!(user_id(&"x".repeat(257)).is_err());
        assert_eq!(limit(5), Ok(5));
        assert!(limit(0).is_err());
        let f = Filters {
            subject: Some("Data & AI".into()),
            language: Some("English".into()),
            level: Some(Level::Beginner),
            min_price: Some(100),
            currency: Some("usd".into()),
            ..Filters::default()
        };
        let tutor = filters(Kind::Tutor, f.clone()).unwrap();
        assert_eq!(tutor.subject.as_deref(), Some("Data & AI"));
        assert_eq!(
            (tutor.level, tutor.currency.as_deref()),
            (None, Some("USD"))
        );
        let course = filters(Kind::Course, f.clone()).unwrap();
        assert_eq!(
            (course.language, course.level),
            (None, Some(Level::Beginner))
        );
        let no_currency = Filters {
            currency: None,
            ..f
        };
        assert_eq!(
            named(filters(Kind::Tutor, no_currency).unwrap_err()),
            "currency"
        );
    }
}
