//! Serving a dashboard: the request's parameters and the query (the response is in
//! `response.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, Utc};

use crate::catalog::{
    BREAKDOWN_KEYS, BREAKDOWN_SQL, CHUNK_MS, CHUNK_SQL, DIMENSION_KEYS, Dashboard, POINT_SQL,
    is_leaderboard,
};
use crate::error::RequestError;
use crate::settings::Settings;
use crate::store::SqlValue;
use crate::time::{Bucket, Granularity, Zone};

/// Separates the dimensions of each point in a leaderboard's row of [`DashboardQuery::sql`]
/// (the ASCII record separator: JSON text never holds it unescaped).
pub const RECORD: char = '\u{1e}';

/// The most buckets one request may span (ten years of days).
pub const MAX_BUCKETS: usize = 3660;

/// A validated dashboard request: `GET /metrics/{dashboard}?from=&to=&granularity=&tz=&<dimension>=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardQuery {
    /// Which dashboard.
    pub dashboard: Dashboard,
    /// The buckets' time zone (`tz`, default UTC; must be a configured zone).
    pub zone: Zone,
    /// `granularity`: `day` (default), `week` or `month`.
    pub granularity: Granularity,
    /// `from`: the first local date (its whole period is included).
    pub from: NaiveDate,
    /// `to`: the last local date, included.
    pub to: NaiveDate,
    /// Dimension filters: a series is returned only if its dimensions hold every one.
    pub filters: BTreeMap<String, String>,
    /// The breakdown returned (`breakdown`, or the key of a breakdown filter): one of
    /// [`BREAKDOWN_KEYS`], or `None` for totals (and per-currency, per-step, per-rank series).
    pub breakdown: Option<&'static str>,
    /// Whether `from` and `to` were given; a default one moves with today.
    given_range: (bool, bool),
}

impl DashboardQuery {
    /// Parses the path segment and the raw query string (`from=2024-05-01&subject=math`).
    ///
    /// `from` and `to` are dates (`2024-05-01`) or RFC 3339 instants, read in the zone; by
    /// default `to` is today (from `now`) and `from` 29 days, 11 weeks or 11 months earlier.
    ///
    /// ```
    /// use metrics::{DashboardQuery, Granularity, Settings};
    /// let now = "2024-05-31T10:00:00Z".parse().unwrap();
    /// let q = DashboardQuery::parse("revenue", Some("granularity=week&currency=EUR"), now, &Settings::default())?;
    /// assert_eq!(q.granularity, Granularity::Week);
    /// assert_eq!(q.filters["currency"], "EUR");
    /// assert_eq!(q.from.to_string(), "2024-03-11"); // the Monday 11 weeks before this week
    /// # Ok::<(), metrics::RequestError>(())
    /// ```
    pub fn parse(
        dashboard: &str,
        query: Option<&str>,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> Result<DashboardQuery, RequestError> {
        let mut params: BTreeMap<String, String> = BTreeMap::new();
        for pair in query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (decode(key)?, decode(value)?);
            if params.insert(key.clone(), value).is_some() {
                return Err(RequestError::invalid(&key, "given more than once"));
            }
        }
        DashboardQuery::from_params(dashboard, params, now, settings)
    }

    /// The parameters [`DashboardQuery::parse`] reads besides dimension filters.
    pub const PARAMETERS: [&'static str; 5] = ["from", "to", "granularity", "tz", "breakdown"];

    /// Builds the query from decoded parameters (`from`, `to`, `granularity`, `tz`,
    /// `breakdown` and dimension filters), with the same rules as [`DashboardQuery::parse`]:
    /// for callers that do not come through a query string (the component's typed export).
    pub fn from_params(
        dashboard: &str,
        mut params: BTreeMap<String, String>,
        now: DateTime<Utc>,
        settings: &Settings,
    ) -> Result<DashboardQuery, RequestError> {
        let dashboard = Dashboard::from_path(dashboard)
            .ok_or_else(|| RequestError::UnknownDashboard(dashboard.to_owned()))?;
        let zone = match params.remove("tz") {
            None => Zone::UTC,
            Some(name) => {
                let zone = Zone::parse(&name).ok_or_else(|| {
                    RequestError::invalid("tz", format!("unknown IANA time zone {name:?}"))
                })?;
                settings.zone(zone.name()).ok_or_else(|| {
                    let known: Vec<&str> = settings.zones.iter().map(|z| z.name()).collect();
                    RequestError::invalid(
                        "tz",
                        format!("{name} is not kept; use one of {}", known.join(", ")),
                    )
                })?
            }
        };
        let granularity = match params.remove("granularity") {
            None => Granularity::Day,
            Some(g) => Granularity::parse(&g).ok_or_else(|| {
                RequestError::invalid("granularity", "expected day, week or month")
            })?,
        };
        let given_range = (params.contains_key("from"), params.contains_key("to"));
        let to = match params.remove("to") {
            Some(text) => parse_date("to", &text, zone)?,
            None => zone.date_of(now.timestamp_millis()),
        };
        let from = match params.remove("from") {
            Some(text) => parse_date("from", &text, zone)?,
            None => default_from(granularity, to),
        };
        if from > to {
            return Err(RequestError::invalid("from", "must not be after to"));
        }
        let mut breakdown = match params.remove("breakdown") {
            None => None,
            Some(key) => Some(breakdown_key(&key).ok_or_else(|| {
                RequestError::invalid("breakdown", "expected subject, product, role or courseId")
            })?),
        };
        for key in params.keys() {
            if !DIMENSION_KEYS.contains(&key.as_str()) {
                return Err(RequestError::UnknownParameter(key.clone()));
            }
            if let Some(key) = breakdown_key(key) {
                if breakdown.is_some_and(|b| b != key) {
                    return Err(RequestError::invalid(
                        key,
                        "one breakdown at a time: subject, product, role or courseId",
                    ));
                }
                breakdown = Some(key);
            }
        }
        let query = DashboardQuery {
            dashboard,
            zone,
            granularity,
            from,
            to,
            filters: params,
            breakdown,
            given_range,
        };
        if query.buckets().len() > MAX_BUCKETS {
            return Err(RequestError::invalid(
                "from",
                format!("the range spans more than {MAX_BUCKETS} buckets"),
            ));
        }
        Ok(query)
    }

    /// The parameters that give this query again, later: a default `from` or `to` is left
    /// out, so it moves with today as it would for the client that asked.
    pub fn params(&self) -> BTreeMap<String, String> {
        let mut params = self.filters.clone();
        if self.zone != Zone::UTC {
            params.insert("tz".into(), self.zone.name().into());
        }
        params.insert("granularity".into(), self.granularity.as_str().into());
        if self.given_range.0 {
            params.insert("from".into(), self.from.to_string());
        }
        if self.given_range.1 {
            params.insert("to".into(), self.to.to_string());
        }
        if let Some(breakdown) = self.breakdown {
            params.insert("breakdown".into(), breakdown.into());
        }
        params
    }

    /// The buckets the response covers: every period that overlaps `[from, to]`.
    pub fn buckets(&self) -> Vec<Bucket> {
        let g = self.granularity;
        let mut out = Vec::new();
        let mut start = g.period_start(self.from);
        while start <= self.to && out.len() <= MAX_BUCKETS {
            out.push(self.zone.bucket(g, start));
            start = g.next_start(start);
        }
        out
    }

    /// The breakdown as [`BREAKDOWN_SQL`] computes it for a row.
    pub fn breakdown_bits(&self) -> i64 {
        self.breakdown
            .and_then(|b| BREAKDOWN_KEYS.iter().position(|k| *k == b))
            .map_or(0, |i| 1 << i)
    }

    /// The query reading the dashboard's series, and its parameters: rows of
    /// `metric_name, dimensions, points`, where `points` are [`POINT_SQL`]'s `start:value`
    /// (exact: an integer or a real that reads back as the same double), comma-separated,
    /// oldest first in a series. A metric's rows are per series and 90-day chunk
    /// ([`CHUNK_SQL`]), `dimensions` the series'; a leaderboard's ([`is_leaderboard`]) are per
    /// chunk, its series one after another, and `dimensions` holds each point's, separated
    /// by `RECORD` (U+001E): a year of daily leaderboards is thousands of series of one or two
    /// points, and a row costs more than its text.
    ///
    /// Per metric, the rows are one range of the covering index `dashboard_metrics_by_series`
    /// (the chunks the buckets overlap), in its order, so the grouping needs no sort, and
    /// the points are their own aggregate, so SQLite reads each from the index instead of
    /// formatting it.
    pub fn sql(&self) -> (String, Vec<SqlValue>) {
        let buckets = self.buckets();
        let (start, end) = match (buckets.first(), buckets.last()) {
            (Some(first), Some(last)) => (first.start, last.end),
            _ => (0, 0),
        };
        let (boards, series): (Vec<&str>, Vec<&str>) = self
            .dashboard
            .metrics()
            .iter()
            .partition(|name| is_leaderboard(name));
        let names =
            |names: &[&str]| SqlValue::Text(serde_json::to_string(names).unwrap_or_default());
        let mut params = vec![
            SqlValue::Text(self.zone.name().to_owned()),
            SqlValue::Text(self.granularity.as_str().to_owned()),
            names(&series),
            SqlValue::Integer(start),
            SqlValue::Integer(end),
            SqlValue::Integer(self.breakdown_bits()),
        ];
        // `{names}`: the parameter holding the metric names a half of the query reads.
        let mut rows = format!(
            " FROM dashboard_metrics WHERE zone = ?1 AND granularity = ?2 \
             AND metric_name IN (SELECT value FROM json_each({{names}})) \
             AND bucket_start >= ?4 AND bucket_start < ?5 AND {BREAKDOWN_SQL} = ?6 \
             AND {CHUNK_SQL} BETWEEN ?4 / {CHUNK_MS} AND (?5 - 1) / {CHUNK_MS}"
        );
        for (key, value) in &self.filters {
            // Keys are checked against DIMENSION_KEYS, so they are safe in a JSON path.
            rows.push_str(&format!(
                " AND json_extract(dimensions, '$.{key}') = ?{}",
                params.len() + 1
            ));
            params.push(SqlValue::Text(value.clone()));
        }
        let points = format!("group_concat({POINT_SQL}, ',')");
        let mut halves = Vec::new();
        if !series.is_empty() {
            halves.push(format!(
                "SELECT metric_name, dimensions, {points}{} GROUP BY metric_name, {CHUNK_SQL}, dimensions",
                rows.replace("{names}", "?3"),
            ));
        }
        if !boards.is_empty() {
            params.push(names(&boards));
            halves.push(format!(
                "SELECT metric_name, group_concat(dimensions, char({})), {points}{} \
                 GROUP BY metric_name, {CHUNK_SQL}",
                RECORD as u32,
                rows.replace("{names}", &format!("?{}", params.len())),
            ));
        }
        (halves.join(" UNION ALL "), params)
    }
}

/// The breakdown key named `key`, as in [`BREAKDOWN_KEYS`].
fn breakdown_key(key: &str) -> Option<&'static str> {
    BREAKDOWN_KEYS.iter().copied().find(|k| *k == key)
}

fn default_from(g: Granularity, to: NaiveDate) -> NaiveDate {
    let start = g.period_start(to);
    let earlier = match g {
        Granularity::Day => start.checked_sub_days(chrono::Days::new(29)),
        Granularity::Week => start.checked_sub_days(chrono::Days::new(77)),
        Granularity::Month => start.checked_sub_months(Months::new(11)),
    };
    earlier.unwrap_or(start)
}

fn parse_date(name: &str, text: &str, zone: Zone) -> Result<NaiveDate, RequestError> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| zone.date_of(t.timestamp_millis()))
        .map_err(|_| {
            RequestError::invalid(
                name,
                "expected a date (2024-05-01) or an RFC 3339 date-time",
            )
        })
}

/// Percent-decodes a query component (`+` is a space).
fn decode(text: &str) -> Result<String, RequestError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| RequestError::invalid(text, "bad percent-encoding"))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| RequestError::invalid(text, "not UTF-8"))
}
