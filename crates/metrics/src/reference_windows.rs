//! The reference's active-user windows and signup cohorts.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::{Stored, Table, V, dims};
use crate::time::{Granularity, Zone, days_between};

/// Distinct active users per local day and over the trailing 7 and 28 days.
pub(super) fn rolling(
    out: &mut Table,
    active: &[&Stored],
    zone: Zone,
    first: NaiveDate,
    last: NaiveDate,
) {
    let mut by_day: BTreeMap<NaiveDate, BTreeSet<&str>> = BTreeMap::new();
    for e in active {
        by_day
            .entry(zone.date_of(e.ms))
            .or_default()
            .insert(&e.user);
    }
    let users_in = |from: NaiveDate, to: NaiveDate| -> usize {
        let mut set: BTreeSet<&str> = BTreeSet::new();
        for (_, users) in by_day.range(from..=to) {
            set.extend(users.iter());
        }
        set.len()
    };
    let mut daily: BTreeMap<NaiveDate, (i64, i64, i64)> = BTreeMap::new();
    for day in days_between(first, last) {
        let back = |n: u64| day.checked_sub_days(chrono::Days::new(n)).unwrap_or(day);
        let v = (
            users_in(day, day) as i64,
            users_in(back(6), day) as i64,
            users_in(back(27), day) as i64,
        );
        daily.insert(day, v);
        let start = zone.day_start(day);
        let mut put =
            |m: &str, v: V| out.insert(("day".into(), m.into(), start, BTreeMap::new()), v);
        put("dau", V::I(v.0));
        put("wau", V::I(v.1));
        put("mau", V::I(v.2));
        if v.2 > 0 {
            put("stickiness", V::F(v.0 as f64 / v.2 as f64));
        }
    }
    for g in [Granularity::Week, Granularity::Month] {
        let mut period = g.period_start(first);
        while period <= last {
            let next = g.next_start(period);
            let days: Vec<(i64, i64, i64)> = daily.range(period..next).map(|(_, v)| *v).collect();
            if let Some(end) = days.last() {
                let start = zone.day_start(period);
                let avg = days.iter().map(|v| v.0).sum::<i64>() as f64 / days.len() as f64;
                let mut put = |m: &str, v: V| {
                    out.insert((g.as_str().into(), m.into(), start, BTreeMap::new()), v)
                };
                put("dau", V::F(avg));
                put("wau", V::I(end.1));
                put("mau", V::I(end.2));
                if end.2 > 0 {
                    put("stickiness", V::F(avg / end.2 as f64));
                }
            }
            period = next;
        }
    }
}

/// The signup funnel and retention, per cohort period.
pub(super) fn cohorts(
    out: &mut Table,
    active: &[&Stored],
    registrations: &[&Stored],
    events: &[Stored],
    zone: Zone,
    first: NaiveDate,
    last: NaiveDate,
) {
    let first_at = |user: &str, kinds: &[&str]| {
        events
            .iter()
            .filter(|e| e.user == user && kinds.contains(&e.kind.as_str()))
            .map(|e| e.ms)
            .min()
    };
    let window = crate::windows::FUNNEL_WINDOW_MS;
    for g in Granularity::ALL {
        let mut cohort = g.period_start(first);
        let last_period = g.period_start(last);
        while cohort <= last {
            let b = zone.bucket(g, cohort);
            let members: Vec<&&Stored> = registrations
                .iter()
                .filter(|r| r.ms >= b.start && r.ms < b.end)
                .collect();
            if !members.is_empty() {
                let n = members.len() as i64;
                let engaged: Vec<&&&Stored> = members
                    .iter()
                    .filter(|r| {
                        first_at(&r.user, &["session_booked", "course_enrolled"])
                            .is_some_and(|t| t <= r.ms + window)
                    })
                    .collect();
                let paid = engaged
                    .iter()
                    .filter(|r| {
                        first_at(&r.user, &["payment_succeeded"])
                            .is_some_and(|t| t <= r.ms + window)
                    })
                    .count() as i64;
                let e = engaged.len() as i64;
                let gs = g.as_str().to_owned();
                let mut put = |m: &str, d: BTreeMap<String, String>, v: V| {
                    out.insert((gs.clone(), m.into(), b.start, d), v)
                };
                put("funnel_users", dims(&[("step", "registered")]), V::I(n));
                put("funnel_users", dims(&[("step", "engaged")]), V::I(e));
                put("funnel_users", dims(&[("step", "paid")]), V::I(paid));
                put(
                    "funnel_conversion",
                    dims(&[("step", "engaged")]),
                    V::F(e as f64 / n as f64),
                );
                put(
                    "funnel_conversion",
                    dims(&[("step", "paid")]),
                    V::F(paid as f64 / n as f64),
                );
                for offset in 0..=g.retention_span() {
                    let start = g.nth_start(cohort, offset);
                    if start > last_period {
                        break;
                    }
                    let p = zone.bucket(g, start);
                    let back = members
                        .iter()
                        .filter(|r| {
                            active
                                .iter()
                                .any(|a| a.user == r.user && a.ms >= p.start && a.ms < p.end)
                        })
                        .count() as i64;
                    let d = dims(&[(g.as_str(), &offset.to_string())]);
                    put("retention_users", d.clone(), V::I(back));
                    put("retention_rate", d, V::F(back as f64 / n as f64));
                }
            }
            cohort = g.next_start(cohort);
        }
    }
}
