//! Serving a dashboard: the request's parameters, the query, and the JSON response.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;

use crate::catalog::{BREAKDOWN_KEYS, BREAKDOWN_SQL, DIMENSION_KEYS, Dashboard, metric};
use crate::error::{MetricsError, RequestError, at};
use crate::settings::Settings;
use crate::store::{Row, SqlStore, SqlValue};
use crate::time::{Bucket, Granularity, Zone};

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
        };
        if query.buckets().len() > MAX_BUCKETS {
            return Err(RequestError::invalid(
                "from",
                format!("the range spans more than {MAX_BUCKETS} buckets"),
            ));
        }
        Ok(query)
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

    /// The query reading the dashboard's rows, and its parameters.
    pub fn sql(&self) -> (String, Vec<SqlValue>) {
        let buckets = self.buckets();
        let (start, end) = match (buckets.first(), buckets.last()) {
            (Some(first), Some(last)) => (first.start, last.end),
            _ => (0, 0),
        };
        let names = serde_json::to_string(self.dashboard.metrics()).unwrap_or_default();
        let mut sql = String::from(
            "SELECT metric_name, bucket_start, dimensions, value FROM dashboard_metrics \
             WHERE zone = ?1 AND granularity = ?2 AND metric_name IN (SELECT value FROM json_each(?3)) \
             AND bucket_start >= ?4 AND bucket_start < ?5",
        );
        let mut params = vec![
            SqlValue::Text(self.zone.name().to_owned()),
            SqlValue::Text(self.granularity.as_str().to_owned()),
            SqlValue::Text(names),
            SqlValue::Integer(start),
            SqlValue::Integer(end),
            SqlValue::Integer(self.breakdown_bits()),
        ];
        sql.push_str(&format!(" AND {BREAKDOWN_SQL} = ?6"));
        for (key, value) in &self.filters {
            // Keys are checked against DIMENSION_KEYS, so they are safe in a JSON path.
            sql.push_str(&format!(
                " AND json_extract(dimensions, '$.{key}') = ?{}",
                params.len() + 1
            ));
            params.push(SqlValue::Text(value.clone()));
        }
        (sql, params)
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

/// The body of `GET /metrics/{dashboard}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardResponse {
    /// `OVERVIEW`, `ENGAGEMENT`, ...
    pub dashboard: Dashboard,
    /// When the last refresh ran (RFC 3339), `None` before the first.
    pub refreshed_at: Option<String>,
    /// The buckets' time zone.
    pub time_zone: String,
    /// `day`, `week` or `month`.
    pub granularity: &'static str,
    /// One series per metric and dimension set.
    pub series: Vec<Series>,
}

/// The points of one metric with one set of dimensions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    /// The metric, e.g. `revenue_net`.
    pub metric_name: String,
    /// Its dimensions, e.g. `{"currency": "EUR", "product": "course"}`.
    pub dimensions: BTreeMap<String, String>,
    /// One point per bucket, oldest first.
    pub points: Vec<Point>,
}

/// One bucket's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// The bucket's first instant, RFC 3339 in the request's zone.
    pub timestamp: String,
    /// The value: an integer for counts and money (minor units), a number for rates.
    pub value: serde_json::Number,
}

/// A stored metric row: `metricName`, `value`, `timestamp` (the bucket start) and
/// `dimensions`.
#[derive(Debug, Clone, PartialEq)]
pub struct DashboardMetric {
    /// The metric.
    pub metric_name: String,
    /// The bucket's first instant, ms since the epoch.
    pub timestamp: i64,
    /// The dimensions.
    pub dimensions: BTreeMap<String, String>,
    /// The value.
    pub value: serde_json::Number,
}

impl DashboardMetric {
    /// Parses a row of `metric_name, bucket_start, dimensions, value`.
    pub fn from_row(row: &Row) -> Option<DashboardMetric> {
        let [name, start, dims, value] = row.as_slice() else {
            return None;
        };
        Some(DashboardMetric {
            metric_name: name.as_str()?.to_owned(),
            timestamp: start.as_i64()?,
            dimensions: serde_json::from_str(dims.as_str()?).ok()?,
            value: match value {
                SqlValue::Integer(i) => serde_json::Number::from(*i),
                SqlValue::Real(f) => serde_json::Number::from_f64(*f)?,
                _ => return None,
            },
        })
    }
}

/// Reads a dashboard: its rows and the last refresh time, shaped as the response.
pub async fn read_dashboard<S: SqlStore>(
    store: &mut S,
    query: &DashboardQuery,
) -> Result<DashboardResponse, MetricsError> {
    let (sql, params) = query.sql();
    let rows = store.query(&sql, &params).await.map_err(at("dashboard"))?;
    let state = store
        .query("SELECT refreshed_at FROM metric_state WHERE id = 1", &[])
        .await
        .map_err(at("refreshed at"))?;
    let refreshed_at = state
        .first()
        .and_then(|r| r.first())
        .and_then(SqlValue::as_str)
        .map(str::to_owned);
    shape_response(query, refreshed_at, &rows)
}

/// Shapes rows of [`DashboardQuery::sql`] as the response: series in the dashboard's metric
/// order, then by dimensions (numbers in numeric order); counts and sums have a point (0 if
/// missing) for every bucket, other metrics only where they have a value.
///
/// Linear in the rows and points: each distinct dimensions text is parsed once, each
/// bucket's timestamp formatted once, and zero-filling merges two sorted lists.
pub fn shape_response(
    query: &DashboardQuery,
    refreshed_at: Option<String>,
    rows: &[Row],
) -> Result<DashboardResponse, MetricsError> {
    let bad = || MetricsError::BadRow { step: "dashboard" };
    let order = query.dashboard.metrics();
    // Series by metric (its rank in the dashboard) and dimensions text.
    let mut grouped: HashMap<(usize, &str), Vec<(i64, serde_json::Number)>> = HashMap::new();
    for row in rows {
        let [name, start, dims, value] = row.as_slice() else {
            return Err(bad());
        };
        let (name, start, dims) = (
            name.as_str().ok_or_else(bad)?,
            start.as_i64().ok_or_else(bad)?,
            dims.as_str().ok_or_else(bad)?,
        );
        let value = match value {
            SqlValue::Integer(i) => serde_json::Number::from(*i),
            SqlValue::Real(f) => serde_json::Number::from_f64(*f).ok_or_else(bad)?,
            _ => return Err(bad()),
        };
        let Some(rank) = order.iter().position(|n| *n == name) else {
            continue;
        };
        grouped
            .entry((rank, dims))
            .or_default()
            .push((start, value));
    }
    let buckets = query.buckets();
    let labels: Vec<String> = buckets.iter().map(|b| query.zone.format(b.start)).collect();
    let label = |t: i64| match buckets.binary_search_by_key(&t, |b| b.start) {
        Ok(i) => labels[i].clone(),
        Err(_) => query.zone.format(t),
    };
    let mut keyed = Vec::with_capacity(grouped.len());
    for ((rank, dims), points) in grouped {
        let dimensions: BTreeMap<String, String> = serde_json::from_str(dims).map_err(|_| bad())?;
        keyed.push(((rank, DimKey::new(dimensions)), points));
    }
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let series = keyed
        .into_iter()
        .map(|((rank, key), mut points)| {
            let name = order[rank];
            points.sort_by_key(|(t, _)| *t);
            if metric(name).is_some_and(|spec| spec.zero_fill) {
                points = zero_filled(&buckets, points);
            }
            Series {
                metric_name: name.to_owned(),
                dimensions: key.map,
                points: points
                    .into_iter()
                    .map(|(t, value)| Point {
                        timestamp: label(t),
                        value,
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(DashboardResponse {
        dashboard: query.dashboard,
        refreshed_at,
        time_zone: query.zone.name().to_owned(),
        granularity: query.granularity.as_str(),
        series,
    })
}

/// Sorted points with a 0 added for every bucket that has none.
fn zero_filled(
    buckets: &[Bucket],
    points: Vec<(i64, serde_json::Number)>,
) -> Vec<(i64, serde_json::Number)> {
    let mut out = Vec::with_capacity(buckets.len().max(points.len()));
    let mut points = points.into_iter().peekable();
    for b in buckets {
        while let Some(p) = points.next_if(|(t, _)| *t < b.start) {
            out.push(p);
        }
        match points.next_if(|(t, _)| *t == b.start) {
            Some(p) => out.push(p),
            None => out.push((b.start, serde_json::Number::from(0))),
        }
    }
    out.extend(points);
    out
}

/// Dimensions ordered key by key, values that are integers (ranks, offsets) numerically.
#[derive(Debug, PartialEq, Eq)]
struct DimKey {
    order: Vec<(String, Option<i64>, String)>,
    map: BTreeMap<String, String>,
}

impl DimKey {
    fn new(map: BTreeMap<String, String>) -> DimKey {
        let order = map
            .iter()
            .map(|(k, v)| (k.clone(), v.parse::<i64>().ok(), v.clone()))
            .collect();
        DimKey { order, map }
    }
}

impl Ord for DimKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order.cmp(&other.order)
    }
}

impl PartialOrd for DimKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
