//! Property tests: generated event streams (duplicates, late and out-of-order events,
//! refunds, unknown references), delivered in random chunks with a refresh after each,
//! compared after every refresh with (a) a full recomputation by the engine from scratch
//! and (b) the naive reference implementation.

use std::collections::{BTreeMap, BTreeSet};

use events::AnalyticsEvent;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Value, json};

use crate::reference::{self, Stored, Table, V};
use crate::refresh::{rebuild, refresh};
use crate::response::DashboardMetric;
use crate::settings::Settings;
use crate::test_support::{TestStore, block_on};
use crate::time::{Granularity, Zone};

const ZONES: &str = "America/New_York,Asia/Kathmandu";
/// 2024-02-26T00:00:00Z: the stream spans the March DST change in New York and three
/// month boundaries.
const BASE_MS: i64 = 1_708_905_600_000;

fn pick(options: &'static [&'static str]) -> prop::sample::Select<&'static str> {
    prop::sample::select(options)
}

/// One generated event (its id is assigned by position, or reused for a duplicate).
fn arb_event() -> impl Strategy<Value = (String, String, Value)> {
    let user = || pick(&["u0", "u1", "u2", "u3", "u4"]);
    let tutor = || pick(&["t0", "t1"]);
    let session = || pick(&["s0", "s1", "s2", "s3"]);
    let payment = || pick(&["p0", "p1", "p2", "p3"]);
    let course = || pick(&["c0", "c1", "c2"]);
    let subject = || pick(&["math", "art"]);
    let currency = || pick(&["EUR", "USD"]);
    let amount = || (0i64..5).prop_map(|n| n * 1000 + 500);
    prop_oneof![
        (user(), pick(&["student", "tutor"])).prop_map(|(u, r)| (u.to_owned(), "user_registered".to_owned(), json!({"role": r}))),
        (user(), session(), tutor(), subject(), amount(), currency(), prop::option::of(prop_oneof![Just(30i64), Just(90)]))
            .prop_map(|(u, s, t, sub, a, c, minutes)| {
                let mut p = json!({"sessionId": s, "tutorId": t, "subject": sub, "startsAt": "2024-04-01T10:00:00.000Z", "amount": a, "currency": c});
                if let Some(m) = minutes { p["durationMinutes"] = json!(m); }
                (u.to_owned(), "session_booked".to_owned(), p)
            }),
        (user(), session(), tutor(), subject(), pick(&["session_completed", "session_cancelled"]))
            .prop_map(|(u, s, t, sub, kind)| (u.to_owned(), kind.to_owned(), json!({"sessionId": s, "tutorId": t, "subject": sub}))),
        (user(), payment(), amount(), currency(), pick(&["session", "course", "none"]), session(), course())
            .prop_map(|(u, p, a, c, product, s, co)| {
                let props = match product {
                    "session" => json!({"paymentId": p, "amount": a, "currency": c, "product": "session", "sessionId": s}),
                    "course" => json!({"paymentId": p, "amount": a, "currency": c, "product": "course", "courseId": co}),
                    _ => json!({"paymentId": p, "amount": a, "currency": c}),
                };
                (u.to_owned(), "payment_succeeded".to_owned(), props)
            }),
        (user(), payment(), amount(), currency())
            .prop_map(|(u, p, a, c)| (u.to_owned(), "payment_refunded".to_owned(), json!({"paymentId": p, "amount": a, "currency": c}))),
        (tutor(), course(), subject()).prop_map(|(t, c, s)| (t.to_owned(), "course_published".to_owned(), json!({
            "courseId": c, "title": "T", "description": "D", "subject": s, "level": "beginner", "hours": 2, "price": 900, "currency": "EUR"}))),
        (user(), course(), pick(&["course_enrolled", "course_completed"]))
            .prop_map(|(u, c, kind)| (u.to_owned(), kind.to_owned(), json!({"courseId": c}))),
        (user(), course(), pick(&["l0", "l1"])).prop_map(|(u, c, l)| (u.to_owned(), "lesson_completed".to_owned(), json!({"courseId": c, "lessonId": l}))),
        (user(), 1i64..=5, prop::option::of(course()), tutor()).prop_map(|(u, r, c, t)| {
            let props = match c { Some(c) => json!({"rating": r, "courseId": c}), None => json!({"rating": r, "tutorId": t}) };
            (u.to_owned(), "review_submitted".to_owned(), props)
        }),
        (user(), pick(&["page_viewed", "user_identified"])).prop_map(|(u, k)| (u.to_owned(), k.to_owned(), json!({}))),
    ]
}

/// A delivery: the event, its timestamp (minutes after [`BASE_MS`]), and whether it
/// re-sends an earlier event's id (a duplicate the store keeps only once).
fn arb_stream() -> impl Strategy<Value = (Vec<AnalyticsEvent>, Vec<usize>)> {
    let delivery = (
        arb_event(),
        0i64..(75 * 24 * 60),
        prop::option::weighted(0.1, any::<prop::sample::Index>()),
    );
    (
        prop::collection::vec(delivery, 1..45),
        prop::collection::vec(0usize..45, 0..4),
    )
        .prop_map(|(items, cuts)| {
            let mut out: Vec<AnalyticsEvent> = Vec::new();
            for (i, ((user, kind, props), minute, dup)) in items.into_iter().enumerate() {
                let id = match dup {
                    Some(index) if i > 0 => out[index.index(out.len())].event_id.clone(),
                    _ => format!("e{i}"),
                };
                let ms = BASE_MS + minute * 60_000 + (minute % 7) * 1000;
                out.push(AnalyticsEvent {
                    event_id: id,
                    user_id: user,
                    event_type: kind,
                    timestamp: chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default(),
                    properties: props.as_object().cloned().unwrap_or_default(),
                    source: None,
                });
            }
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|c| *c < out.len()).collect();
            cuts.sort_unstable();
            cuts.dedup();
            (out, cuts)
        })
}

/// What the store keeps of the deliveries: the first event per id, in order.
fn stored(deliveries: &[AnalyticsEvent]) -> Vec<Stored> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    for e in deliveries {
        if seen.insert(&e.event_id) {
            out.push(Stored {
                seq: out.len() as i64 + 1,
                user: e.user_id.clone(),
                kind: e.event_type.clone(),
                ms: e.timestamp_ms(),
                props: e.properties.clone(),
            });
        }
    }
    out
}

async fn snapshot(store: &mut TestStore, zones: &[Zone]) -> Table {
    let mut table = Table::new();
    for zone in zones {
        for g in Granularity::ALL {
            let rows: Vec<DashboardMetric> = store.metrics(zone.name(), g.as_str()).await;
            for m in rows {
                let v = match (m.value.as_i64(), m.value.as_f64()) {
                    (Some(i), _) => V::I(i),
                    (None, Some(f)) => V::F(f),
                    _ => V::F(f64::NAN),
                };
                table.insert(
                    (
                        format!("{}/{}", zone.name(), g.as_str()),
                        m.metric_name,
                        m.timestamp,
                        m.dimensions,
                    ),
                    v,
                );
            }
        }
    }
    table
}

fn reference_table(events: &[Stored], zones: &[Zone]) -> Table {
    let mut table = Table::new();
    for zone in zones {
        for ((g, m, s, d), v) in reference::compute(events, *zone) {
            table.insert((format!("{}/{g}", zone.name()), m, s, d), v);
        }
    }
    table
}

/// Equal keys, equal integers, floats within 1e-9 (relative).
pub(crate) fn same(a: &Table, b: &Table) -> Result<(), String> {
    let keys_a: BTreeSet<_> = a.keys().collect();
    let keys_b: BTreeSet<_> = b.keys().collect();
    if keys_a != keys_b {
        let only_a: Vec<_> = keys_a.difference(&keys_b).take(5).collect();
        let only_b: Vec<_> = keys_b.difference(&keys_a).take(5).collect();
        return Err(format!(
            "rows differ: only left {only_a:?}; only right {only_b:?}"
        ));
    }
    for (k, va) in a {
        let vb = b[k];
        let ok = match (va, vb) {
            (V::I(x), V::I(y)) => *x == y,
            _ => (va.as_f64() - vb.as_f64()).abs() <= 1e-9 * va.as_f64().abs().max(1.0),
        };
        if !ok {
            return Err(format!("{k:?}: {va:?} != {vb:?}"));
        }
    }
    Ok(())
}

fn check(deliveries: Vec<AnalyticsEvent>, cuts: Vec<usize>) -> Result<(), TestCaseError> {
    let settings = Settings::from_variables(Some(ZONES), None)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let now = chrono::DateTime::from_timestamp_millis(BASE_MS).unwrap_or_default();
    block_on(async {
        let mut store = TestStore::new().await;
        let mut from = 0;
        for end in cuts.into_iter().chain([deliveries.len()]) {
            if end < from {
                continue;
            }
            store.ingest(&deliveries[from..end]).await;
            from = end;
            refresh(&mut store, &settings, now)
                .await
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let incremental = snapshot(&mut store, &settings.zones).await;
            let expected = reference_table(&stored(&deliveries[..end]), &settings.zones);
            same(&incremental, &expected)
                .map_err(|e| TestCaseError::fail(format!("vs reference: {e}")))?;
            let mut fresh = TestStore::new().await;
            fresh.ingest(&deliveries[..end]).await;
            refresh(&mut fresh, &settings, now)
                .await
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            same(&incremental, &snapshot(&mut fresh, &settings.zones).await)
                .map_err(|e| TestCaseError::fail(format!("vs full recomputation: {e}")))?;
        }
        // Re-running changes nothing; rebuilding gives the same.
        let before = snapshot(&mut store, &settings.zones).await;
        refresh(&mut store, &settings, now)
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        same(&before, &snapshot(&mut store, &settings.zones).await)
            .map_err(|e| TestCaseError::fail(format!("rerun: {e}")))?;
        rebuild(&mut store, &settings, now)
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        same(&before, &snapshot(&mut store, &settings.zones).await)
            .map_err(|e| TestCaseError::fail(format!("rebuild: {e}")))?;
        Ok(())
    })
}

proptest! {
    // 48 cases by default; PROPTEST_CASES=1000 for a longer hunt.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(48)
    ))]

    #[test]
    fn incremental_equals_full_recomputation_and_reference((deliveries, cuts) in arb_stream()) {
        check(deliveries, cuts)?;
    }
}

#[test]
fn reference_sees_every_metric() {
    // A stream touching every metric, so the property compares them all.
    let runner = &mut proptest::test_runner::TestRunner::deterministic();
    let mut names: BTreeSet<String> = BTreeSet::new();
    for _ in 0..40 {
        let (deliveries, _) = arb_stream()
            .new_tree(runner)
            .map(|t| t.current())
            .unwrap_or_default();
        for ((_, m, _, _), _) in reference::compute(&stored(&deliveries), Zone::UTC) {
            names.insert(m);
        }
    }
    let all: BTreeSet<String> = crate::catalog::METRICS
        .iter()
        .map(|m| m.name.to_owned())
        .collect();
    let missing: Vec<&String> = all.difference(&names).collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
    let _ = BTreeMap::<(), ()>::new();
}
