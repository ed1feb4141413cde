//! Buckets in a time zone: local days, ISO weeks (Monday to Sunday) and calendar months,
//! each an interval of UTC milliseconds `[start, end)`.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The resolution of the facts that remember *when* something happened (user activity,
/// touched buckets): 15 minutes, the coarsest step every time zone's day boundaries fall on.
pub const SLOT_MS: i64 = 15 * 60 * 1000;

/// The size of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Granularity {
    /// A local calendar day.
    Day,
    /// A local ISO week, Monday 00:00 to the next Monday 00:00.
    Week,
    /// A local calendar month.
    Month,
}

impl Granularity {
    /// Every granularity, finest first.
    pub const ALL: [Granularity; 3] = [Granularity::Day, Granularity::Week, Granularity::Month];

    /// `day`, `week` or `month`: the stored name, the query value, and the dimension key of
    /// retention periods.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }

    /// Parses `day`, `week` or `month`.
    pub fn parse(name: &str) -> Option<Granularity> {
        Granularity::ALL.into_iter().find(|g| g.as_str() == name)
    }

    /// The last period offset kept by the retention cohorts: 30 days, 26 weeks, 12 months.
    pub fn retention_span(self) -> u32 {
        match self {
            Granularity::Day => 30,
            Granularity::Week => 26,
            Granularity::Month => 12,
        }
    }

    /// The first day of the period containing `date`.
    pub fn period_start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Granularity::Day => date,
            Granularity::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Granularity::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The first day of the period after the one starting on `start`.
    pub fn next_start(self, start: NaiveDate) -> NaiveDate {
        let next = match self {
            Granularity::Day => start.checked_add_days(Days::new(1)),
            Granularity::Week => start.checked_add_days(Days::new(7)),
            Granularity::Month => start.checked_add_months(Months::new(1)),
        };
        next.unwrap_or(NaiveDate::MAX)
    }

    /// The first day of the period `n` periods after the one starting on `start`.
    pub fn nth_start(self, start: NaiveDate, n: u32) -> NaiveDate {
        (0..n).fold(start, |d, _| self.next_start(d))
    }
}

/// An IANA time zone that dashboards can be computed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(Tz);

impl Zone {
    /// UTC, the default.
    pub const UTC: Zone = Zone(Tz::UTC);

    /// The zone with this IANA name (`Europe/Paris`; case-sensitive, as in the tz database).
    pub fn parse(name: &str) -> Option<Zone> {
        name.trim().parse::<Tz>().ok().map(Zone)
    }

    /// The IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The local date of an instant.
    pub fn date_of(self, ms: i64) -> NaiveDate {
        match DateTime::from_timestamp_millis(ms) {
            Some(t) => t.with_timezone(&self.0).date_naive(),
            None => NaiveDate::MIN,
        }
    }

    /// The first instant of a local date: midnight, or when midnight does not exist (a DST
    /// change at midnight) the first quarter hour after it that does.
    pub fn day_start(self, date: NaiveDate) -> i64 {
        let mut local = date.and_time(NaiveTime::MIN);
        for _ in 0..96 {
            if let Some(t) = self.0.from_local_datetime(&local).earliest() {
                return t.timestamp_millis();
            }
            local += chrono::Duration::minutes(15);
        }
        Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
            .timestamp_millis()
    }

    /// The bucket of `granularity` starting on local date `start` (a period start).
    pub fn bucket(self, granularity: Granularity, start: NaiveDate) -> Bucket {
        Bucket {
            first_day: start,
            start: self.day_start(start),
            end: self.day_start(granularity.next_start(start)),
        }
    }

    /// The bucket of `granularity` that contains the instant `ms`.
    pub fn bucket_of(self, granularity: Granularity, ms: i64) -> Bucket {
        self.bucket(granularity, granularity.period_start(self.date_of(ms)))
    }

    /// An instant rendered in this zone, RFC 3339 with its offset (`Z` for UTC).
    pub fn format(self, ms: i64) -> String {
        match DateTime::from_timestamp_millis(ms) {
            Some(t) => t
                .with_timezone(&self.0)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            None => String::new(),
        }
    }
}

/// A bucket: the interval `[start, end)` of UTC milliseconds of one local period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bucket {
    /// The local date the period starts on.
    pub first_day: NaiveDate,
    /// The first instant (ms since the epoch); the stored `bucket_start`.
    pub start: i64,
    /// The first instant after the period.
    pub end: i64,
}

/// Days from `from` to `to`, both included.
pub(crate) fn days_between(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn ms(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .expect("rfc3339")
            .timestamp_millis()
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn periods() {
        let g = Granularity::Week;
        assert_eq!(g.period_start(date(2024, 5, 5)), date(2024, 4, 29));
        assert_eq!(g.period_start(date(2024, 4, 29)), date(2024, 4, 29));
        assert_eq!(g.next_start(date(2024, 4, 29)), date(2024, 5, 6));
        let m = Granularity::Month;
        assert_eq!(m.period_start(date(2024, 2, 29)), date(2024, 2, 1));
        assert_eq!(m.next_start(date(2024, 12, 1)), date(2025, 1, 1));
        assert_eq!(m.nth_start(date(2024, 1, 1), 13), date(2025, 2, 1));
        assert_eq!(
            Granularity::Day.nth_start(date(2024, 1, 31), 1),
            date(2024, 2, 1)
        );
        for g in Granularity::ALL {
            assert_eq!(Granularity::parse(g.as_str()), Some(g));
            assert!(g.retention_span() > 0);
        }
        assert_eq!(Granularity::parse("year"), None);
        assert_eq!(Granularity::Day.next_start(NaiveDate::MAX), NaiveDate::MAX);
        assert_eq!(days_between(date(2024, 2, 28), date(2024, 3, 1)).count(), 3);
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn zones_and_buckets() {
        assert_eq!(Zone::parse("UTC"), Some(Zone::UTC));
        assert_eq!(Zone::parse("Mars/Olympus"), None);
        let paris = Zone::parse("Europe/Paris").expect("paris");
        assert_eq!(paris.name(), "Europe/Paris");
        // 2024-03-31 is 23 hours long in Paris.
        let dst = paris.bucket(Granularity::Day, date(2024, 3, 31));
        assert_eq!(dst.start, ms("2024-03-30T23:00:00Z"));
        assert_eq!(dst.end - dst.start, 23 * 3_600_000);
        assert_eq!(paris.date_of(ms("2024-03-30T23:30:00Z")), date(2024, 3, 31));
        assert_eq!(paris.format(dst.start), "2024-03-31T00:00:00+01:00");
        assert_eq!(Zone::UTC.format(0), "1970-01-01T00:00:00Z");
        let week = Zone::UTC.bucket_of(Granularity::Week, ms("2024-05-05T23:59:59Z"));
        assert_eq!(week.start, ms("2024-04-29T00:00:00Z"));
        assert_eq!(week.end, ms("2024-05-06T00:00:00Z"));
        // Kathmandu is UTC+05:45: its days still start on a quarter hour.
        let ktm = Zone::parse("Asia/Kathmandu").expect("ktm");
        let day = ktm.bucket(Granularity::Day, date(2024, 5, 1));
        assert_eq!(day.start, ms("2024-04-30T18:15:00Z"));
        assert_eq!(day.start % SLOT_MS, 0);
        // Midnight does not exist in Santiago on its spring-forward day.
        let scl = Zone::parse("America/Santiago").expect("scl");
        assert_eq!(
            scl.day_start(date(2024, 9, 8)),
            ms("2024-09-08T01:00:00-03:00")
        );
        assert_eq!(Zone::UTC.date_of(i64::MAX), NaiveDate::MIN);
        assert_eq!(Zone::UTC.format(i64::MAX), "");
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn day_starts_fall_on_slots() {
        for name in [
            "America/New_York",
            "America/St_Johns",
            "Asia/Kolkata",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
            "Pacific/Chatham",
            "Australia/Eucla",
        ] {
            let zone = Zone::parse(name).expect("zone");
            for day in days_between(date(2000, 1, 1), date(2040, 1, 1)).step_by(3) {
                assert_eq!(zone.day_start(day) % SLOT_MS, 0, "{name} {day}");
            }
        }
    }
}
