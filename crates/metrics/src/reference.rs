//! A deliberately naive reference implementation of every stored metric, in plain Rust over
//! the list of stored events: no facts, no incrementality, no SQL. For each bucket it scans
//! everything. The property tests compare the engine with it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::catalog::LEADERBOARD_SIZE;
use crate::time::{Granularity, Zone};

#[path = "reference_windows.rs"]
mod windows;

/// An event as stored: ingestion order (`seq`) kept.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub seq: i64,
    pub user: String,
    pub kind: String,
    pub ms: i64,
    pub props: Map<String, Value>,
}

impl Stored {
    fn text(&self, key: &str) -> Option<String> {
        self.props
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
    fn int(&self, key: &str) -> Option<i64> {
        self.props
            .get(key)
            .filter(|v| v.is_i64() || v.is_u64())
            .and_then(Value::as_i64)
    }
    fn key(&self) -> (i64, i64) {
        (self.ms, self.seq)
    }
}

/// Metric value: exact integers, or floats for rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum V {
    I(i64),
    F(f64),
}

impl V {
    pub fn as_f64(self) -> f64 {
        match self {
            V::I(i) => i as f64,
            V::F(f) => f,
        }
    }
}

/// `(granularity, metric, bucket start, dimensions) -> value`.
pub(crate) type Table = BTreeMap<(String, String, i64, BTreeMap<String, String>), V>;

fn dims(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The earliest event per key (by timestamp, then seq).
fn earliest<'a>(
    events: impl Iterator<Item = &'a Stored>,
    key: impl Fn(&Stored) -> Option<String>,
) -> Vec<&'a Stored> {
    let mut best: BTreeMap<String, &Stored> = BTreeMap::new();
    for e in events {
        if let Some(k) = key(e) {
            let keep = best.get(&k).is_none_or(|b| e.key() < b.key());
            if keep {
                best.insert(k, e);
            }
        }
    }
    best.into_values().collect()
}

fn of<'a>(events: &'a [Stored], kind: &'a str) -> impl Iterator<Item = &'a Stored> + 'a {
    events.iter().filter(move |e| e.kind == kind)
}

/// Computes every metric of `zone` at every granularity.
pub(crate) fn compute(events: &[Stored], zone: Zone) -> Table {
    let mut out = Table::new();
    let active: Vec<&Stored> = events
        .iter()
        .filter(|e| e.kind != "user_identified" && e.kind != "user_aliased")
        .collect();
    let (Some(min), Some(max)) = (
        active.iter().map(|e| e.ms).min(),
        active.iter().map(|e| e.ms).max(),
    ) else {
        return out;
    };
    let (first, last) = (zone.date_of(min), zone.date_of(max));
    let bookings = earliest(of(events, "session_booked"), |e| {
        (e.text("tutorId").is_some() && e.text("subject").is_some())
            .then(|| e.text("sessionId"))
            .flatten()
    });
    let outcomes = earliest(
        events
            .iter()
            .filter(|e| e.kind == "session_completed" || e.kind == "session_cancelled"),
        |e| {
            (e.text("tutorId").is_some() && e.text("subject").is_some())
                .then(|| e.text("sessionId").map(|s| format!("{s}/{}", e.kind)))
                .flatten()
        },
    );
    let courses = earliest(of(events, "course_published"), |e| {
        e.text("subject")
            .is_some()
            .then(|| e.text("courseId"))
            .flatten()
    });
    let payments = earliest(of(events, "payment_succeeded"), |e| {
        (e.int("amount").is_some() && e.text("currency").is_some())
            .then(|| e.text("paymentId"))
            .flatten()
    });
    let refunds: Vec<&Stored> = of(events, "payment_refunded")
        .filter(|e| {
            e.text("paymentId").is_some()
                && e.int("amount").is_some()
                && e.text("currency").is_some()
        })
        .collect();
    let booking = |id: &Option<String>| {
        bookings
            .iter()
            .find(|b| b.text("sessionId") == *id && id.is_some())
    };
    let course = |id: &Option<String>| {
        courses
            .iter()
            .find(|c| c.text("courseId") == *id && id.is_some())
    };
    let product = |p: &Stored| {
        p.text("product").unwrap_or_else(|| {
            if p.text("sessionId").is_some() {
                "session".into()
            } else if p.text("courseId").is_some() {
                "course".into()
            } else {
                "other".into()
            }
        })
    };
    let subject_of = |p: &Stored| {
        booking(&p.text("sessionId"))
            .and_then(|b| b.text("subject"))
            .or_else(|| course(&p.text("courseId")).and_then(|c| c.text("subject")))
            .unwrap_or_else(|| "unknown".into())
    };
    let payment = |id: &Option<String>| payments.iter().find(|p| p.text("paymentId") == *id);
    let first_of = |kind: &str, keys: &[&str]| -> BTreeMap<Vec<String>, i64> {
        let mut m: BTreeMap<Vec<String>, i64> = BTreeMap::new();
        for e in of(events, kind) {
            let mut key = vec![e.user.clone()];
            for k in keys {
                match e.text(k) {
                    Some(v) => key.push(v),
                    None => continue,
                }
            }
            if key.len() == keys.len() + 1 {
                let slot = m.entry(key).or_insert(e.ms);
                *slot = (*slot).min(e.ms);
            }
        }
        m
    };
    let enrolled = first_of("course_enrolled", &["courseId"]);
    let completed = first_of("course_completed", &["courseId"]);
    let lessons = first_of("lesson_completed", &["courseId", "lessonId"]);
    let reviews: Vec<&Stored> = of(events, "review_submitted")
        .filter(|e| e.int("rating").is_some())
        .collect();
    let registrations = earliest(of(events, "user_registered"), |e| {
        e.text("role").is_some().then(|| e.user.clone())
    });
    let course_subject = |id: &str| {
        course(&Some(id.to_owned()))
            .and_then(|c| c.text("subject"))
            .unwrap_or_else(|| "unknown".into())
    };

    for g in Granularity::ALL {
        let gs = g.as_str().to_owned();
        let mut period = g.period_start(first);
        while period <= last {
            let b = zone.bucket(g, period);
            let inside = |ms: i64| ms >= b.start && ms < b.end;
            let mut rows: Vec<Row> = Vec::new();
            let rows = &mut rows;
            let count =
                |rows: &mut Vec<Row>, metric: &str, items: Vec<(BTreeMap<String, String>, i64)>| {
                    sum_rows(rows, metric, items);
                };
            // Registrations.
            let regs: Vec<&&Stored> = registrations.iter().filter(|r| inside(r.ms)).collect();
            count(
                rows,
                "new_registrations",
                regs.iter()
                    .flat_map(|r| {
                        vec![
                            (dims(&[]), 1),
                            (dims(&[("role", &r.text("role").unwrap_or_default())]), 1),
                        ]
                    })
                    .collect(),
            );
            // Sessions.
            let booked: Vec<&&Stored> = bookings.iter().filter(|e| inside(e.ms)).collect();
            let by_subject = |e: &Stored, v: i64| {
                vec![
                    (dims(&[]), v),
                    (
                        dims(&[("subject", &e.text("subject").unwrap_or_default())]),
                        v,
                    ),
                ]
            };
            count(
                rows,
                "sessions_booked",
                booked.iter().flat_map(|e| by_subject(e, 1)).collect(),
            );
            count(
                rows,
                "booked_minutes",
                booked
                    .iter()
                    .flat_map(|e| {
                        by_subject(e, e.int("durationMinutes").filter(|m| *m > 0).unwrap_or(60))
                    })
                    .collect(),
            );
            for (kind, metric) in [
                ("session_completed", "sessions_completed"),
                ("session_cancelled", "sessions_cancelled"),
            ] {
                count(
                    rows,
                    metric,
                    outcomes
                        .iter()
                        .filter(|e| e.kind == kind && inside(e.ms))
                        .flat_map(|e| by_subject(e, 1))
                        .collect(),
                );
            }
            // Money.
            let paid: Vec<&&Stored> = payments.iter().filter(|p| inside(p.ms)).collect();
            let money_dims = |currency: &str, product: &str, subject: &str| {
                vec![
                    dims(&[("currency", currency)]),
                    dims(&[("currency", currency), ("product", product)]),
                    dims(&[("currency", currency), ("subject", subject)]),
                ]
            };
            count(
                rows,
                "revenue_gross",
                paid.iter()
                    .flat_map(|p| {
                        let c = p.text("currency").unwrap_or_default();
                        money_dims(&c, &product(p), &subject_of(p))
                            .into_iter()
                            .map(|d| (d, p.int("amount").unwrap_or(0)))
                            .collect::<Vec<_>>()
                    })
                    .collect(),
            );
            count(
                rows,
                "revenue_refunds",
                refunds
                    .iter()
                    .filter(|r| inside(r.ms))
                    .flat_map(|r| {
                        let c = r.text("currency").unwrap_or_default();
                        let p = payment(&r.text("paymentId"));
                        let prod = p.map(|p| product(p)).unwrap_or_else(|| "unknown".into());
                        let subj = p.map(|p| subject_of(p)).unwrap_or_else(|| "unknown".into());
                        money_dims(&c, &prod, &subj)
                            .into_iter()
                            .map(|d| (d, r.int("amount").unwrap_or(0)))
                            .collect::<Vec<_>>()
                    })
                    .collect(),
            );
            let mut payers: BTreeMap<BTreeMap<String, String>, BTreeSet<String>> = BTreeMap::new();
            for p in &paid {
                let c = p.text("currency").unwrap_or_default();
                for d in money_dims(&c, &product(p), &subject_of(p)) {
                    payers.entry(d).or_default().insert(p.user.clone());
                }
            }
            for (d, users) in payers {
                rows.push(("paying_users".into(), d, V::I(users.len() as i64)));
            }
            // Learning.
            let course_dims = |id: &str| {
                vec![
                    dims(&[]),
                    dims(&[("subject", &course_subject(id))]),
                    dims(&[("courseId", id)]),
                ]
            };
            let in_bucket = |m: &BTreeMap<Vec<String>, i64>| -> Vec<Vec<String>> {
                m.iter()
                    .filter(|(_, ms)| inside(**ms))
                    .map(|(k, _)| k.clone())
                    .collect()
            };
            let new_enrollments = in_bucket(&enrolled);
            count(
                rows,
                "enrollments",
                new_enrollments
                    .iter()
                    .flat_map(|k| course_dims(&k[1]).into_iter().map(|d| (d, 1)))
                    .collect(),
            );
            count(
                rows,
                "enrollments_completed",
                new_enrollments
                    .iter()
                    .flat_map(|k| {
                        let done = i64::from(completed.contains_key(k));
                        course_dims(&k[1]).into_iter().map(move |d| (d, done))
                    })
                    .collect(),
            );
            count(
                rows,
                "course_completions",
                in_bucket(&completed)
                    .iter()
                    .flat_map(|k| course_dims(&k[1]).into_iter().map(|d| (d, 1)))
                    .collect(),
            );
            count(
                rows,
                "lesson_completions",
                in_bucket(&lessons)
                    .iter()
                    .flat_map(|k| course_dims(&k[1]).into_iter().map(|d| (d, 1)))
                    .collect(),
            );
            let rated: Vec<&&Stored> = reviews.iter().filter(|r| inside(r.ms)).collect();
            for (metric, value) in [("reviews", None), ("rating_sum", Some("rating"))] {
                count(
                    rows,
                    metric,
                    rated
                        .iter()
                        .flat_map(|r| {
                            let v = value.and_then(|k| r.int(k)).unwrap_or(1);
                            let mut ds = vec![dims(&[])];
                            if let Some(id) = r.text("courseId") {
                                ds.extend(course_dims(&id).into_iter().skip(1));
                            }
                            ds.into_iter().map(move |d| (d, v))
                        })
                        .collect(),
                );
            }
            // Leaderboards.
            board(
                rows,
                "top_tutors_by_bookings",
                "tutorId",
                booked
                    .iter()
                    .map(|e| (e.text("tutorId"), None, 1))
                    .collect(),
            );
            board(
                rows,
                "top_tutors_by_completions",
                "tutorId",
                outcomes
                    .iter()
                    .filter(|e| e.kind == "session_completed" && inside(e.ms))
                    .map(|e| (e.text("tutorId"), None, 1))
                    .collect(),
            );
            board(
                rows,
                "top_tutors_by_revenue",
                "tutorId",
                paid.iter()
                    .map(|p| {
                        let tutor = booking(&p.text("sessionId"))
                            .and_then(|b| b.text("tutorId"))
                            .or_else(|| course(&p.text("courseId")).map(|c| c.user.clone()));
                        (tutor, p.text("currency"), p.int("amount").unwrap_or(0))
                    })
                    .collect(),
            );
            board(
                rows,
                "top_courses_by_enrollments",
                "courseId",
                new_enrollments
                    .iter()
                    .map(|k| (Some(k[1].clone()), None, 1))
                    .collect(),
            );
            board(
                rows,
                "top_courses_by_completions",
                "courseId",
                in_bucket(&completed)
                    .iter()
                    .map(|k| (Some(k[1].clone()), None, 1))
                    .collect(),
            );
            board(
                rows,
                "top_courses_by_revenue",
                "courseId",
                paid.iter()
                    .map(|p| {
                        (
                            p.text("courseId"),
                            p.text("currency"),
                            p.int("amount").unwrap_or(0),
                        )
                    })
                    .collect(),
            );
            for (metric, d, v) in rows.drain(..) {
                out.insert((gs.clone(), metric, b.start, d), v);
            }
            period = g.next_start(period);
        }
    }
    derive(&mut out);
    windows::rolling(&mut out, &active, zone, first, last);
    windows::cohorts(&mut out, &active, &registrations, events, zone, first, last);
    out
}

type Row = (String, BTreeMap<String, String>, V);

/// Sums values per dimensions into rows of `metric`.
fn sum_rows(rows: &mut Vec<Row>, metric: &str, items: Vec<(BTreeMap<String, String>, i64)>) {
    let mut acc: BTreeMap<BTreeMap<String, String>, i64> = BTreeMap::new();
    for (d, v) in items {
        *acc.entry(d).or_insert(0) += v;
    }
    for (d, v) in acc {
        rows.push((metric.to_owned(), d, V::I(v)));
    }
}

/// Ranks keys by value (descending, then key), per currency when given, top entries only.
fn board(
    rows: &mut Vec<Row>,
    metric: &str,
    key: &str,
    items: Vec<(Option<String>, Option<String>, i64)>,
) {
    let mut acc: BTreeMap<(Option<String>, String), i64> = BTreeMap::new();
    for (k, cur, v) in items {
        if let Some(k) = k {
            *acc.entry((cur, k)).or_insert(0) += v;
        }
    }
    let currencies: BTreeSet<Option<String>> = acc.keys().map(|(c, _)| c.clone()).collect();
    for cur in currencies {
        let mut ranked: Vec<(&String, i64)> = acc
            .iter()
            .filter(|((c, _), _)| *c == cur)
            .map(|((_, k), v)| (k, *v))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (i, (k, v)) in ranked
            .into_iter()
            .take(LEADERBOARD_SIZE as usize)
            .enumerate()
        {
            let rank = (i + 1).to_string();
            let mut d = dims(&[(key, k), ("rank", &rank)]);
            if let Some(c) = &cur {
                d.insert("currency".into(), c.clone());
            }
            rows.push((metric.to_owned(), d, V::I(v)));
        }
    }
}

/// Adds the derived metrics from the base rows of the same bucket and dimensions.
fn derive(out: &mut Table) {
    let base = out.clone();
    let get = |g: &str, m: &str, s: i64, d: &BTreeMap<String, String>| {
        base.get(&(g.to_owned(), m.to_owned(), s, d.clone()))
            .map(|v| v.as_f64())
    };
    let keys: BTreeSet<(String, i64, BTreeMap<String, String>)> = base
        .keys()
        .map(|(g, _, s, d)| (g.clone(), *s, d.clone()))
        .collect();
    for (g, s, d) in keys {
        let ratio = |num: &[&str], den: &[&str]| {
            let below: Option<f64> = den
                .iter()
                .filter_map(|m| get(&g, m, s, &d))
                .reduce(|a, b| a + b);
            let above: f64 = num.iter().filter_map(|m| get(&g, m, s, &d)).sum();
            below.filter(|b| *b > 0.0).map(|b| above / b)
        };
        let mut add = |m: &str, v: Option<V>| {
            if let Some(v) = v {
                out.insert((g.clone(), m.to_owned(), s, d.clone()), v);
            }
        };
        add(
            "session_completion_rate",
            ratio(
                &["sessions_completed"],
                &["sessions_completed", "sessions_cancelled"],
            )
            .map(V::F),
        );
        add(
            "session_cancellation_rate",
            ratio(
                &["sessions_cancelled"],
                &["sessions_completed", "sessions_cancelled"],
            )
            .map(V::F),
        );
        add(
            "booked_hours",
            get(&g, "booked_minutes", s, &d).map(|m| V::F(m / 60.0)),
        );
        let gross = get(&g, "revenue_gross", s, &d);
        let refunds = get(&g, "revenue_refunds", s, &d);
        if gross.is_some() || refunds.is_some() {
            add(
                "revenue_net",
                Some(V::I((gross.unwrap_or(0.0) - refunds.unwrap_or(0.0)) as i64)),
            );
        }
        add(
            "arppu",
            ratio(&["revenue_gross"], &["paying_users"]).map(V::F),
        );
        add(
            "course_completion_rate",
            ratio(&["enrollments_completed"], &["enrollments"]).map(V::F),
        );
        add(
            "average_rating",
            ratio(&["rating_sum"], &["reviews"]).map(V::F),
        );
    }
}
