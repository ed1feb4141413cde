//! The response of `GET /metrics/{dashboard}`: the series [`DashboardQuery::sql`] reads, one
//! row per series, shaped as JSON.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Number;

use crate::catalog::{Dashboard, metric};
use crate::error::{MetricsError, at};
use crate::read::DashboardQuery;
use crate::store::{Row, SqlStore, SqlValue};
use crate::time::{Bucket, Zone};

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
    pub value: Number,
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
    pub value: Number,
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
                SqlValue::Integer(i) => Number::from(*i),
                SqlValue::Real(f) => Number::from_f64(*f)?,
                _ => return None,
            },
        })
    }
}

/// Reads a dashboard: its series and the last refresh time, shaped as the response.
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

/// Shapes rows of [`DashboardQuery::sql`] (`metric_name, dimensions, points`, one per
/// series and chunk) as the response: series in the dashboard's metric order, then by
/// dimensions (numbers in numeric order); counts and sums have a point (0 if missing) for
/// every bucket, other metrics only where they have a value.
///
/// Linear in the series and points: each series' dimensions are parsed once, each bucket's
/// timestamp formatted once, and zero-filling merges two sorted lists.
pub fn shape_response(
    query: &DashboardQuery,
    refreshed_at: Option<String>,
    rows: &[Row],
) -> Result<DashboardResponse, MetricsError> {
    let bad = || MetricsError::BadRow { step: "dashboard" };
    let order = query.dashboard.metrics();
    // The chunks of a series, by metric (its rank in the dashboard) and dimensions text, in
    // the order the query returns them (oldest first).
    let mut grouped: HashMap<(usize, &str), Vec<(i64, Number)>> = HashMap::new();
    for row in rows {
        let [name, dims, points] = row.as_slice() else {
            return Err(bad());
        };
        let (name, dims, points) = (
            name.as_str().ok_or_else(bad)?,
            dims.as_str().ok_or_else(bad)?,
            points.as_str().ok_or_else(bad)?,
        );
        let Some(rank) = order.iter().position(|n| *n == name) else {
            continue;
        };
        parse_points(points, grouped.entry((rank, dims)).or_default()).ok_or_else(bad)?;
    }
    let mut keyed = Vec::with_capacity(grouped.len());
    for ((rank, dims), points) in grouped {
        let dimensions: BTreeMap<String, String> = serde_json::from_str(dims).map_err(|_| bad())?;
        keyed.push(((rank, DimKey::new(dimensions)), points));
    }
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let buckets = query.buckets();
    let labels: Vec<String> = buckets.iter().map(|b| query.zone.format(b.start)).collect();
    let timeline = Timeline {
        zone: query.zone,
        buckets: &buckets,
        labels: &labels,
    };
    let series = keyed
        .into_iter()
        .map(|((rank, key), points)| timeline.series(order[rank], key, points))
        .collect();
    Ok(DashboardResponse {
        dashboard: query.dashboard,
        refreshed_at,
        time_zone: query.zone.name().to_owned(),
        granularity: query.granularity.as_str(),
        series,
    })
}

/// Parses the points of a series' chunk as [`DashboardQuery::sql`] encodes them, onto `out`:
/// `start:value` pairs separated by commas (see [`crate::catalog::POINT_SQL`]): the value
/// an integer, or a real in exponent notation that reads back as the same double.
fn parse_points(text: &str, out: &mut Vec<(i64, Number)>) -> Option<()> {
    for pair in text.split(',') {
        let (start, value) = pair.split_once(':')?;
        let value = match value.parse::<i64>() {
            Ok(i) => Number::from(i),
            Err(_) => Number::from_f64(value.parse().ok()?)?,
        };
        out.push((start.parse().ok()?, value));
    }
    Some(())
}

/// The requested buckets and their formatted starts.
struct Timeline<'a> {
    zone: Zone,
    buckets: &'a [Bucket],
    labels: &'a [String],
}

impl Timeline<'_> {
    /// A series of `metric` from its points (in any order).
    fn series(&self, metric_name: &str, key: DimKey, mut points: Vec<(i64, Number)>) -> Series {
        if !points.is_sorted_by_key(|(t, _)| *t) {
            points.sort_by_key(|(t, _)| *t);
        }
        let points = if metric(metric_name).is_some_and(|spec| spec.zero_fill) {
            self.zero_filled(points)
        } else {
            points
                .into_iter()
                .map(|(t, value)| Point {
                    timestamp: self.label(t),
                    value,
                })
                .collect()
        };
        Series {
            metric_name: metric_name.to_owned(),
            dimensions: key.map,
            points,
        }
    }

    /// The timestamp of a point starting at `t`.
    fn label(&self, t: i64) -> String {
        match self.buckets.binary_search_by_key(&t, |b| b.start) {
            Ok(i) => self.labels[i].clone(),
            Err(_) => self.zone.format(t),
        }
    }

    /// Sorted points with a 0 added for every bucket that has none.
    fn zero_filled(&self, points: Vec<(i64, Number)>) -> Vec<Point> {
        let point = |t: i64, label: Option<&String>, value| Point {
            timestamp: label.cloned().unwrap_or_else(|| self.zone.format(t)),
            value,
        };
        let mut out = Vec::with_capacity(self.buckets.len().max(points.len()));
        let mut points = points.into_iter().peekable();
        for (b, label) in self.buckets.iter().zip(self.labels) {
            while let Some((t, value)) = points.next_if(|(t, _)| *t < b.start) {
                out.push(point(t, None, value));
            }
            let value = match points.next_if(|(t, _)| *t == b.start) {
                Some((_, value)) => value,
                None => Number::from(0),
            };
            out.push(point(b.start, Some(label), value));
        }
        out.extend(points.map(|(t, value)| point(t, None, value)));
        out
    }
}

/// Dimensions ordered key by key, values that are integers (ranks, offsets) numerically.
#[derive(Debug, PartialEq, Eq)]
struct DimKey {
    map: BTreeMap<String, String>,
    /// Each value (in the map's order) as an integer, if it is one.
    numbers: Vec<Option<i64>>,
}

impl DimKey {
    fn new(map: BTreeMap<String, String>) -> DimKey {
        let numbers = map.values().map(|v| v.parse::<i64>().ok()).collect();
        DimKey { map, numbers }
    }

    /// `(key, value as an integer, value)` per dimension: the sort key.
    fn order(&self) -> impl Iterator<Item = (&String, &Option<i64>, &String)> {
        self.map
            .iter()
            .zip(&self.numbers)
            .map(|((k, v), n)| (k, n, v))
    }
}

impl Ord for DimKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order().cmp(other.order())
    }
}

impl PartialOrd for DimKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
