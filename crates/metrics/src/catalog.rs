//! The metric catalog: every stored metric, how it is computed and re-aggregated, and which
//! dashboards show it. `docs/METRICS.md` defines each one in words; keep the two together.

use serde::Serialize;

/// A dashboard: a named group of metrics served by `GET /metrics/{dashboard}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Dashboard {
    /// Headline numbers from every area.
    Overview,
    /// Active users, registrations, the conversion funnel and retention cohorts.
    Engagement,
    /// Sessions booked, completed and cancelled, booked hours, top tutors.
    Tutoring,
    /// Revenue, refunds, paying users and ARPPU per currency, top earners.
    Revenue,
    /// Enrollments, lesson and course completions, ratings, top courses.
    Learning,
}

impl Dashboard {
    /// Every dashboard.
    pub const ALL: [Dashboard; 5] = [
        Dashboard::Overview,
        Dashboard::Engagement,
        Dashboard::Tutoring,
        Dashboard::Revenue,
        Dashboard::Learning,
    ];

    /// The dashboard named by a path segment (`overview`, ...; case-insensitive).
    pub fn from_path(segment: &str) -> Option<Dashboard> {
        Dashboard::ALL
            .into_iter()
            .find(|d| d.path().eq_ignore_ascii_case(segment))
    }

    /// The path segment: `overview`, `engagement`, `tutoring`, `revenue` or `learning`.
    pub fn path(self) -> &'static str {
        match self {
            Dashboard::Overview => "overview",
            Dashboard::Engagement => "engagement",
            Dashboard::Tutoring => "tutoring",
            Dashboard::Revenue => "revenue",
            Dashboard::Learning => "learning",
        }
    }

    /// The metrics the dashboard shows, in display order.
    pub fn metrics(self) -> &'static [&'static str] {
        match self {
            Dashboard::Overview => &[
                "dau",
                "wau",
                "mau",
                "stickiness",
                "new_registrations",
                "sessions_booked",
                "sessions_completed",
                "revenue_net",
                "paying_users",
                "enrollments",
                "course_completions",
                "funnel_conversion",
            ],
            Dashboard::Engagement => &[
                "dau",
                "wau",
                "mau",
                "stickiness",
                "new_registrations",
                "funnel_users",
                "funnel_conversion",
                "retention_users",
                "retention_rate",
            ],
            Dashboard::Tutoring => &[
                "sessions_booked",
                "sessions_completed",
                "sessions_cancelled",
                "session_completion_rate",
                "session_cancellation_rate",
                "booked_hours",
                "top_tutors_by_bookings",
                "top_tutors_by_completions",
                "top_tutors_by_revenue",
            ],
            Dashboard::Revenue => &[
                "revenue_gross",
                "revenue_refunds",
                "revenue_net",
                "paying_users",
                "arppu",
                "top_tutors_by_revenue",
                "top_courses_by_revenue",
            ],
            Dashboard::Learning => &[
                "enrollments",
                "lesson_completions",
                "course_completions",
                "course_completion_rate",
                "average_rating",
                "reviews",
                "top_courses_by_enrollments",
                "top_courses_by_completions",
                "top_courses_by_revenue",
            ],
        }
    }
}

/// How a metric is computed for a bucket, which decides how it is refreshed and how a
/// week or a month is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Counted or summed from facts per day; a week or month is the sum of its days.
    Sum,
    /// Computed from facts for every granularity (distinct users, rankings): a week is not
    /// the sum of its days.
    PerPeriod,
    /// Computed from other metrics of the same bucket and dimensions.
    Derived(Formula),
    /// Daily active-user gauges over the whole activity range; a week or month takes the
    /// average (`dau`), the last day (`wau`, `mau`) or both (`stickiness`).
    Rolling,
    /// Per signup cohort (the bucket is the cohort's period).
    Cohort,
}

/// The formula of a [`MetricKind::Derived`] metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formula {
    /// The first metric minus the second (missing counts as 0).
    Difference(&'static str, &'static str),
    /// The sum of `numerator` over the sum of `denominator`; no value when the denominator
    /// is 0 or missing.
    Ratio {
        /// Metrics added up above the line (missing counts as 0).
        numerator: &'static [&'static str],
        /// Metrics added up below the line.
        denominator: &'static [&'static str],
    },
    /// The metric divided by a constant.
    Scale(&'static str, u32),
}

/// One metric of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricSpec {
    /// The stable snake_case name, e.g. `revenue_net`.
    pub name: &'static str,
    /// How it is computed.
    pub kind: MetricKind,
    /// Whether a missing bucket means 0 (counts and sums), so the read fills it in.
    pub zero_fill: bool,
    /// Whether dashboards show it (`false` for components of derived metrics).
    pub served: bool,
}

const fn spec(name: &'static str, kind: MetricKind, zero_fill: bool) -> MetricSpec {
    MetricSpec {
        name,
        kind,
        zero_fill,
        served: true,
    }
}

const fn hidden(name: &'static str) -> MetricSpec {
    MetricSpec {
        name,
        kind: MetricKind::Sum,
        zero_fill: true,
        served: false,
    }
}

use MetricKind::{Cohort, Derived, PerPeriod, Rolling, Sum};

/// Every metric, in catalog order.
pub const METRICS: &[MetricSpec] = &[
    spec("dau", Rolling, false),
    spec("wau", Rolling, false),
    spec("mau", Rolling, false),
    spec("stickiness", Rolling, false),
    spec("new_registrations", Sum, true),
    spec("funnel_users", Cohort, false),
    spec("funnel_conversion", Cohort, false),
    spec("retention_users", Cohort, false),
    spec("retention_rate", Cohort, false),
    spec("sessions_booked", Sum, true),
    spec("sessions_completed", Sum, true),
    spec("sessions_cancelled", Sum, true),
    spec(
        "session_completion_rate",
        Derived(Formula::Ratio {
            numerator: &["sessions_completed"],
            denominator: &["sessions_completed", "sessions_cancelled"],
        }),
        false,
    ),
    spec(
        "session_cancellation_rate",
        Derived(Formula::Ratio {
            numerator: &["sessions_cancelled"],
            denominator: &["sessions_completed", "sessions_cancelled"],
        }),
        false,
    ),
    hidden("booked_minutes"),
    spec(
        "booked_hours",
        Derived(Formula::Scale("booked_minutes", 60)),
        true,
    ),
    spec("revenue_gross", Sum, true),
    spec("revenue_refunds", Sum, true),
    spec(
        "revenue_net",
        Derived(Formula::Difference("revenue_gross", "revenue_refunds")),
        true,
    ),
    spec("paying_users", PerPeriod, true),
    spec(
        "arppu",
        Derived(Formula::Ratio {
            numerator: &["revenue_gross"],
            denominator: &["paying_users"],
        }),
        false,
    ),
    spec("enrollments", Sum, true),
    hidden("enrollments_completed"),
    spec("lesson_completions", Sum, true),
    spec("course_completions", Sum, true),
    spec(
        "course_completion_rate",
        Derived(Formula::Ratio {
            numerator: &["enrollments_completed"],
            denominator: &["enrollments"],
        }),
        false,
    ),
    spec("reviews", Sum, true),
    hidden("rating_sum"),
    spec(
        "average_rating",
        Derived(Formula::Ratio {
            numerator: &["rating_sum"],
            denominator: &["reviews"],
        }),
        false,
    ),
    spec("top_tutors_by_bookings", PerPeriod, false),
    spec("top_tutors_by_completions", PerPeriod, false),
    spec("top_tutors_by_revenue", PerPeriod, false),
    spec("top_courses_by_enrollments", PerPeriod, false),
    spec("top_courses_by_completions", PerPeriod, false),
    spec("top_courses_by_revenue", PerPeriod, false),
];

/// The catalog entry of a metric.
pub fn metric(name: &str) -> Option<&'static MetricSpec> {
    METRICS.iter().find(|m| m.name == name)
}

/// Names of the metrics of one kind, in catalog order.
pub(crate) fn names_where(pred: impl Fn(&MetricSpec) -> bool) -> Vec<&'static str> {
    METRICS.iter().filter(|m| pred(m)).map(|m| m.name).collect()
}

/// The dimension keys a filter may name (`?subject=math&currency=EUR`).
pub const DIMENSION_KEYS: &[&str] = &[
    "courseId", "currency", "day", "month", "product", "rank", "role", "step", "subject",
    "tutorId", "week",
];

/// The dimension keys that break a metric down into many series (one per subject, product,
/// role or course). A dashboard returns a breakdown's series only when asked for it
/// (`breakdown=subject`, or a filter on the key): a year of per-course series alone would be
/// hundreds of thousands of points. Leaderboard rows name a course or tutor by rank; that is
/// not a breakdown.
pub const BREAKDOWN_KEYS: &[&str] = &["subject", "product", "role", "courseId"];

/// [`BREAKDOWN_SQL`] as a literal, for the index statement that must repeat it verbatim.
macro_rules! breakdown_sql {
    () => {
        "(CASE WHEN json_extract(dimensions, '$.rank') IS NOT NULL THEN 0 \
         ELSE (json_extract(dimensions, '$.subject') IS NOT NULL) \
         + 2 * (json_extract(dimensions, '$.product') IS NOT NULL) \
         + 4 * (json_extract(dimensions, '$.role') IS NOT NULL) \
         + 8 * (json_extract(dimensions, '$.courseId') IS NOT NULL) END)"
    };
}
pub(crate) use breakdown_sql;

/// The breakdown of a stored row as a bit set over [`BREAKDOWN_KEYS`] (bit `i` for key `i`),
/// 0 for totals, per-currency rows, cohort steps and leaderboards. `dashboard_metrics` has an
/// index on this exact expression, so a read of one breakdown scans only its rows.
pub const BREAKDOWN_SQL: &str = breakdown_sql!();

/// [`CHUNK_SQL`] as a literal, for the index statement that must repeat it verbatim.
macro_rules! chunk_sql {
    () => {
        "bucket_start / 7776000000"
    };
}
pub(crate) use chunk_sql;

/// The length of a read chunk: 90 days, in ms.
pub const CHUNK_MS: i64 = 7_776_000_000;

/// The read chunk of a stored row: its bucket start divided by [`CHUNK_MS`]. A read returns
/// one row per series and chunk, from the chunks its buckets overlap, so what it scans is
/// bounded by the requested range (plus at most a chunk at each end) and the rows come in
/// the index's order (chunk, then series) with no sort. `dashboard_metrics` has an index on
/// this exact expression.
pub const CHUNK_SQL: &str = chunk_sql!();

/// [`POINT_SQL`] as a literal, for the index statement that must repeat it verbatim.
macro_rules! point_sql {
    () => {
        "bucket_start || ':' || iif(typeof(value) = 'integer', value, printf('%!.20e', value))"
    };
}
pub(crate) use point_sql;

/// A stored row as a point of a read: `start:value`, the value an integer, or a real with
/// 21 significant digits (`4.50050000000000000000e+03`), which read back as the same double
/// however SQLite rounds its last digits (17 correct ones are enough; `quote()`'s 15 are
/// not always). `dashboard_metrics` has an index on this exact expression, so a read takes
/// it from the index instead of formatting the value (formatting reals is most of a read's
/// SQL).
pub const POINT_SQL: &str = point_sql!();

/// How many entries a leaderboard keeps per bucket.
pub const LEADERBOARD_SIZE: u32 = 10;

/// A leaderboard: a per-period metric whose rows are ranked entries (`rank` and the ranked id
/// in their dimensions), so that a year of one is thousands of short series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leaderboard {
    /// The metric's name.
    pub metric: &'static str,
    /// The dimension key of the ranked id.
    pub ranked_key: &'static str,
    /// Whether it ranks per currency (money is never added across currencies).
    pub per_currency: bool,
}

const fn board(metric: &'static str, ranked_key: &'static str, per_currency: bool) -> Leaderboard {
    Leaderboard {
        metric,
        ranked_key,
        per_currency,
    }
}

/// Every leaderboard of the catalog.
pub const LEADERBOARDS: [Leaderboard; 6] = [
    board("top_tutors_by_bookings", "tutorId", false),
    board("top_tutors_by_completions", "tutorId", false),
    board("top_tutors_by_revenue", "tutorId", true),
    board("top_courses_by_enrollments", "courseId", false),
    board("top_courses_by_completions", "courseId", false),
    board("top_courses_by_revenue", "courseId", true),
];

/// Whether `metric` is a leaderboard.
pub fn is_leaderboard(metric: &str) -> bool {
    LEADERBOARDS.iter().any(|b| b.metric == metric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn dashboards_name_catalog_metrics() {
        for dashboard in Dashboard::ALL {
            assert_eq!(Dashboard::from_path(dashboard.path()), Some(dashboard));
            for name in dashboard.metrics() {
                let spec = metric(name).unwrap_or_else(|| panic!("{name} not in catalog"));
                assert!(spec.served, "{name} is hidden");
            }
        }
        for board in LEADERBOARDS {
            let name = board.metric;
            let spec = metric(name).unwrap_or_else(|| panic!("{name} not in catalog"));
            assert!(is_leaderboard(name));
            assert!(DIMENSION_KEYS.contains(&board.ranked_key), "{name}");
            assert!(matches!(spec.kind, PerPeriod) && spec.served, "{name}");
        }
        assert_eq!(Dashboard::from_path("REVENUE"), Some(Dashboard::Revenue));
        assert_eq!(Dashboard::from_path("nope"), None);
        assert_eq!(
            serde_json::to_value(Dashboard::Overview).ok(),
            Some(serde_json::json!("OVERVIEW"))
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn catalog_is_consistent() {
        let required = [
            "dau",
            "wau",
            "mau",
            "stickiness",
            "new_registrations",
            "sessions_booked",
            "sessions_completed",
            "sessions_cancelled",
            "revenue_gross",
            "revenue_refunds",
            "revenue_net",
            "paying_users",
            "arppu",
            "enrollments",
            "lesson_completions",
            "course_completions",
            "course_completion_rate",
            "average_rating",
        ];
        for name in required {
            assert!(metric(name).is_some(), "{name}");
        }
        for (i, m) in METRICS.iter().enumerate() {
            assert!(
                METRICS[i + 1..].iter().all(|n| n.name != m.name),
                "{} twice",
                m.name
            );
            assert!(m.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            if let Derived(formula) = m.kind {
                let inputs: Vec<&str> = match formula {
                    Formula::Difference(a, b) => vec![a, b],
                    Formula::Ratio {
                        numerator,
                        denominator,
                    } => numerator.iter().chain(denominator).copied().collect(),
                    Formula::Scale(a, _) => vec![a],
                };
                for input in inputs {
                    let spec = metric(input).unwrap_or_else(|| panic!("{input}"));
                    assert!(matches!(spec.kind, Sum | PerPeriod), "{input}");
                }
            }
            if !m.served {
                assert!(
                    Dashboard::ALL
                        .iter()
                        .all(|d| !d.metrics().contains(&m.name))
                );
            }
        }
        let mut keys = DIMENSION_KEYS.to_vec();
        keys.sort_unstable();
        assert_eq!(keys, DIMENSION_KEYS);
        assert_eq!(names_where(|m| m.kind == Rolling).len(), 4);
        // The constructors also work at run time.
        assert!(spec("x", Sum, true).served && !hidden("y").served);
        assert_eq!(CHUNK_SQL, format!("bucket_start / {CHUNK_MS}"));
    }
}
