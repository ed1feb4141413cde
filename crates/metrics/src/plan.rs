//! Which buckets a refresh recomputes in one zone, from the instants the new events touched.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};

use crate::time::{Bucket, Granularity, Zone, days_between};

/// The instants a run works from (all rounded to slots, ms since the epoch).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Touched {
    /// Instants whose tallies the run changed (its deltas' slots): the buckets whose sums,
    /// leaderboards and derived metrics are recomputed in a zone already built.
    pub slots: Vec<i64>,
    /// Instants of new events only: the only instants where activity can change.
    pub event_slots: Vec<i64>,
    /// Registration instants of cohorts whose funnel may have changed.
    pub cohort_slots: Vec<i64>,
    /// Registration instants of cohorts whose members may have changed (a subset).
    pub member_slots: Vec<i64>,
    /// The first and last activity slot before the run, if any.
    pub old_range: Option<(i64, i64)>,
    /// The first and last activity slot after the run, if any.
    pub new_range: Option<(i64, i64)>,
}

/// A retention cell: cohort bucket, offset, and the bucket `offset` periods later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Cell {
    pub cohort: Bucket,
    pub offset: u32,
    pub period: Bucket,
}

/// What to recompute in one zone, per granularity (indexed like [`Granularity::ALL`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ZonePlan {
    /// Whether every bucket is rebuilt (so per-period tallies are built from all facts).
    pub full: bool,
    /// Buckets whose fact-based metrics are recomputed.
    pub buckets: [Vec<Bucket>; 3],
    /// Runs of consecutive days whose rolling gauges are computed from all activity: every
    /// day when the zone is built in full, else the days the activity range gained.
    pub rolling_runs: Vec<(NaiveDate, NaiveDate)>,
    /// The days that already have gauges, updated from the new activity
    /// (`newly_active`), when the zone is not built in full.
    pub rolling_updated: Option<(NaiveDate, NaiveDate)>,
    /// Buckets whose rolling gauges are re-aggregated from the days (day entry unused).
    pub rolling_periods: [Vec<Bucket>; 3],
    /// Cohort buckets whose funnel is recomputed.
    pub cohorts: [Vec<Bucket>; 3],
    /// Retention cells recomputed.
    pub cells: [Vec<Cell>; 3],
    /// Retention cells of the periods the activity range gained, in a zone already built:
    /// inserted empty where missing, then added to from the newly active users like every
    /// other cell (`newly_active`). Before the run no one was active in the periods it
    /// gained, or they had cells already.
    pub new_cells: [Vec<Cell>; 3],
}

/// The longest window (days): `mau`.
const WINDOW_DAYS: u64 = 28;

impl ZonePlan {
    /// The plan for `zone`; `full` rebuilds everything in the activity range (a zone newly
    /// configured, or the first run).
    pub(crate) fn new(zone: Zone, touched: &Touched, full: bool) -> ZonePlan {
        let Some((min, max)) = touched.new_range else {
            return ZonePlan::default();
        };
        let (first, last) = (zone.date_of(min), zone.date_of(max));
        let full = full || touched.old_range.is_none();
        let days: BTreeSet<NaiveDate> = if full {
            days_between(first, last).collect()
        } else {
            touched.slots.iter().map(|s| zone.date_of(*s)).collect()
        };
        // Days the dense rolling range gained at either end.
        let mut grown: BTreeSet<NaiveDate> = BTreeSet::new();
        let mut rolling_updated = None;
        if let Some((old_min, old_max)) = touched.old_range.filter(|_| !full) {
            let (old_first, old_last) = (zone.date_of(old_min), zone.date_of(old_max));
            rolling_updated = Some((old_first, old_last));
            grown.extend(days_between(first, old_first).filter(|d| *d < old_first));
            grown.extend(days_between(old_last, last).filter(|d| *d > old_last));
        }
        // Activity changes only where new events are.
        let event_days: BTreeSet<NaiveDate> = if full {
            days.clone()
        } else {
            touched
                .event_slots
                .iter()
                .map(|s| zone.date_of(*s))
                .collect()
        };
        let mut rolling: BTreeSet<NaiveDate> = grown.clone();
        for day in &event_days {
            let end = day
                .checked_add_days(Days::new(WINDOW_DAYS - 1))
                .unwrap_or(*day);
            rolling.extend(days_between(*day, end.min(last)).filter(|d| *d >= first));
        }
        let mut plan = ZonePlan {
            full,
            rolling_runs: runs(if full { &rolling } else { &grown }),
            rolling_updated,
            ..ZonePlan::default()
        };
        let dates = |slots: &[i64]| -> BTreeSet<NaiveDate> {
            if full {
                days.clone()
            } else {
                slots.iter().map(|s| zone.date_of(*s)).collect()
            }
        };
        let (cohort_days, member_days) =
            (dates(&touched.cohort_slots), dates(&touched.member_slots));
        for (i, g) in Granularity::ALL.into_iter().enumerate() {
            let periods = |set: &BTreeSet<NaiveDate>| -> BTreeSet<NaiveDate> {
                set.iter().map(|d| g.period_start(*d)).collect()
            };
            let bucket = |start: &NaiveDate| zone.bucket(g, *start);
            plan.buckets[i] = periods(&days).iter().map(bucket).collect();
            if g != Granularity::Day {
                plan.rolling_periods[i] = periods(&rolling).iter().map(bucket).collect();
            }
            let cohorts = periods(&cohort_days);
            plan.cohorts[i] = cohorts.iter().map(bucket).collect();
            // Every cohort's cells in the periods with new events in a full build; the
            // cells of the cohorts whose members changed in any case. (Otherwise the newly
            // active users' cells are added to: `newly_active`.)
            let (from, to) = (g.period_start(first), g.period_start(last));
            let members = periods(&member_days);
            if full {
                plan.cells[i] = cells(zone, g, &members, &periods(&event_days), from, to);
            } else {
                plan.cells[i] = cells(zone, g, &members, &BTreeSet::new(), from, to);
                plan.new_cells[i] = cells(zone, g, &BTreeSet::new(), &periods(&grown), from, to);
            }
        }
        plan
    }

    /// How many buckets the plan recomputes (for the run report).
    pub(crate) fn size(&self) -> usize {
        let days: usize = self
            .rolling_runs
            .iter()
            .map(|(a, b)| days_between(*a, *b).count())
            .sum();
        self.buckets.iter().map(Vec::len).sum::<usize>()
            + days
            + self.rolling_periods.iter().map(Vec::len).sum::<usize>()
            + self.cohorts.iter().map(Vec::len).sum::<usize>()
            + self.cells.iter().map(Vec::len).sum::<usize>()
            + self.new_cells.iter().map(Vec::len).sum::<usize>()
    }
}

/// Maximal runs of consecutive days.
fn runs(days: &BTreeSet<NaiveDate>) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for day in days {
        match out.last_mut() {
            Some((_, end)) if end.succ_opt() == Some(*day) => *end = *day,
            _ => out.push((*day, *day)),
        }
    }
    out
}

/// Retention cells: every elapsed offset of the given cohorts, and every cohort's cell that
/// falls in one of the given activity periods.
fn cells(
    zone: Zone,
    g: Granularity,
    cohorts: &BTreeSet<NaiveDate>,
    activity: &BTreeSet<NaiveDate>,
    first: NaiveDate,
    last: NaiveDate,
) -> Vec<Cell> {
    let span = g.retention_span();
    let mut set: BTreeSet<(NaiveDate, u32)> = BTreeSet::new();
    for cohort in cohorts {
        for n in 0..=span {
            if g.nth_start(*cohort, n) <= last {
                set.insert((*cohort, n));
            }
        }
    }
    // Touched instants past the last activity (an identify call) have no cells yet.
    for period in activity.iter().filter(|p| **p <= last) {
        let mut cohort = *period;
        for n in 0..=span {
            if cohort < first {
                break;
            }
            set.insert((cohort, n));
            cohort = g.period_start(cohort.pred_opt().unwrap_or(cohort));
        }
    }
    set.into_iter()
        .map(|(cohort, offset)| Cell {
            cohort: zone.bucket(g, cohort),
            offset,
            period: zone.bucket(g, g.nth_start(cohort, offset)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(day: &str) -> i64 {
        format!("{day}T12:00:00Z")
            .parse::<chrono::DateTime<chrono::Utc>>()
            .expect("date")
            .timestamp_millis()
    }

    fn date(day: &str) -> NaiveDate {
        day.parse().expect("date")
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn late_event_touches_its_day_and_the_windows_after_it() {
        let touched = Touched {
            slots: vec![ms("2024-03-05")],
            event_slots: vec![ms("2024-03-05")],
            cohort_slots: vec![],
            member_slots: vec![],
            old_range: Some((ms("2024-01-01"), ms("2024-03-20"))),
            new_range: Some((ms("2024-01-01"), ms("2024-03-20"))),
        };
        let plan = ZonePlan::new(Zone::UTC, &touched, false);
        assert_eq!(plan.buckets[0].len(), 1);
        assert_eq!(plan.buckets[1][0].first_day, date("2024-03-04"));
        assert_eq!(plan.buckets[2][0].first_day, date("2024-03-01"));
        // No day was gained: the gauges of existing days are updated from the new activity,
        // and the periods of the windows it reaches (27 days on, clamped to the last day)
        // are re-aggregated.
        assert!(plan.rolling_runs.is_empty());
        assert_eq!(
            plan.rolling_updated,
            Some((date("2024-01-01"), date("2024-03-20")))
        );
        assert_eq!(plan.rolling_periods[0], vec![]);
        assert_eq!(plan.rolling_periods[1].len(), 3);
        assert!(plan.cohorts.iter().all(Vec::is_empty));
        // No cohort changed and no period was gained: the retention cells the late event's
        // user is new in are added to, none is recomputed.
        assert!(plan.cells.iter().all(Vec::is_empty));
        assert!(plan.new_cells.iter().all(Vec::is_empty));
        assert!(plan.size() > 0);
        // Built in full, every cohort up to 30 days back has its cell for that day.
        let full = ZonePlan::new(Zone::UTC, &touched, true);
        assert_eq!(
            full.cells[0]
                .iter()
                .filter(|c| c.period.first_day == date("2024-03-05"))
                .count(),
            31
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn growth_and_full_rebuilds() {
        let grown = Touched {
            slots: vec![ms("2024-03-25")],
            event_slots: vec![ms("2024-03-25")],
            cohort_slots: vec![ms("2024-03-25")],
            member_slots: vec![ms("2024-03-25")],
            old_range: Some((ms("2024-03-01"), ms("2024-03-20"))),
            new_range: Some((ms("2024-03-01"), ms("2024-03-25"))),
        };
        let plan = ZonePlan::new(Zone::UTC, &grown, false);
        assert_eq!(
            plan.rolling_runs,
            vec![(date("2024-03-21"), date("2024-03-25"))]
        );
        assert_eq!(plan.cohorts[0].len(), 1);
        // The cohort of 03-25 has one elapsed offset, recomputed; the grown days have new
        // cells, every cohort's, added to.
        assert_eq!(plan.cells[0].len(), 1);
        assert_eq!(
            plan.new_cells[0]
                .iter()
                .filter(|c| c.period.first_day == date("2024-03-21"))
                .count(),
            21
        );
        let full = ZonePlan::new(Zone::UTC, &grown, true);
        assert_eq!(full.buckets[0].len(), 25);
        assert_eq!(
            full.rolling_runs,
            vec![(date("2024-03-01"), date("2024-03-25"))]
        );
        assert_eq!(full.cohorts[0].len(), 25);
        assert_eq!(
            ZonePlan::new(Zone::UTC, &Touched::default(), true),
            ZonePlan::default()
        );
        let earlier = Touched {
            slots: vec![ms("2023-12-01")],
            event_slots: vec![ms("2023-12-01")],
            cohort_slots: vec![],
            member_slots: vec![],
            old_range: Some((ms("2024-03-01"), ms("2024-03-20"))),
            new_range: Some((ms("2023-12-01"), ms("2024-03-20"))),
        };
        let plan = ZonePlan::new(Zone::UTC, &earlier, false);
        assert_eq!(
            plan.rolling_runs,
            vec![(date("2023-12-01"), date("2024-02-29"))]
        );
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn a_re_attributed_fact_recomputes_its_buckets_only() {
        // A completion today re-computes the enrollment's day weeks ago (its rate), but
        // activity changed only today: no rolling windows or retention cells back then.
        let touched = Touched {
            slots: vec![ms("2024-02-01"), ms("2024-03-20")],
            event_slots: vec![ms("2024-03-20")],
            cohort_slots: vec![],
            member_slots: vec![],
            old_range: Some((ms("2024-01-01"), ms("2024-03-20"))),
            new_range: Some((ms("2024-01-01"), ms("2024-03-20"))),
        };
        let plan = ZonePlan::new(Zone::UTC, &touched, false);
        assert_eq!(plan.buckets[0].len(), 2);
        assert!(plan.rolling_runs.is_empty());
        assert_eq!(plan.rolling_periods[1].len(), 1);
        assert!(plan.cells.iter().all(Vec::is_empty));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn day_runs() {
        let days: BTreeSet<NaiveDate> = ["2024-01-01", "2024-01-02", "2024-01-04"]
            .iter()
            .map(|d| date(d))
            .collect();
        assert_eq!(
            runs(&days),
            vec![
                (date("2024-01-01"), date("2024-01-02")),
                (date("2024-01-04"), date("2024-01-04"))
            ]
        );
    }
}
