//! The response of `GET /metrics/{dashboard}`: the series [`DashboardQuery::sql`] reads (a row
//! per series and chunk, or per chunk for leaderboards), shaped as JSON.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Number;

use crate::catalog::{Dashboard, metric};
use crate::error::{MetricsError, at};
use crate::read::{DashboardQuery, RECORD};
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

/// Shapes rows of [`DashboardQuery::sql`] (`metric_name, dimensions, points`, per series or,
/// for leaderboards, per chunk with each point's dimensions) as the response: series in the
/// dashboard's metric order, then by dimensions (numbers in numeric order); counts and sums
/// have a point (0 if missing) for every bucket, other metrics only where they have a value.
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
    // The points of each series, by metric (its rank in the dashboard) and dimensions text,
    // in the order the query returns them (oldest first).
    let mut grouped: HashMap<(usize, &str), usize> = HashMap::new();
    let mut points_of: Vec<Vec<(i64, Number)>> = Vec::new();
    for row in rows {
        let [name, dimensions, points] = row.as_slice() else {
            return Err(bad());
        };
        let (name, dimensions, points) = (
            name.as_str().ok_or_else(bad)?,
            dimensions.as_str().ok_or_else(bad)?,
            points.as_str().ok_or_else(bad)?,
        );
        let Some(rank) = order.iter().position(|n| *n == name) else {
            continue;
        };
        // One series' dimensions, or each point's (a leaderboard's chunk). A series' points
        // are consecutive: look it up once per run of them.
        let one = !dimensions.contains(RECORD);
        let mut each = dimensions.split(RECORD);
        let mut current = ("", usize::MAX);
        for point in points.split(',') {
            let dims = if one {
                dimensions
            } else {
                each.next().ok_or_else(bad)?
            };
            if current.1 == usize::MAX || current.0 != dims {
                let next = points_of.len();
                let series = *grouped.entry((rank, dims)).or_insert(next);
                if series == next {
                    points_of.push(Vec::new());
                }
                current = (dims, series);
            }
            points_of[current.1].push(parse_point(point).ok_or_else(bad)?);
        }
        if !one && each.next().is_some() {
            return Err(bad());
        }
    }
    let mut parsed = Vec::with_capacity(grouped.len());
    for ((rank, dims), points) in grouped {
        let dimensions: BTreeMap<String, String> = serde_json::from_str(dims).map_err(|_| bad())?;
        parsed.push((rank, dimensions, points));
    }
    // By metric, then dimensions key by key, values that are integers (ranks, offsets) in
    // numeric order: one byte key per series, so a comparison is one `memcmp`.
    let mut keys = Vec::new();
    let mut spans = Vec::with_capacity(parsed.len());
    for (i, (rank, dims, _)) in parsed.iter().enumerate() {
        let start = keys.len();
        sort_key(*rank, dims, &mut keys);
        spans.push((start..keys.len(), i));
    }
    spans.sort_unstable_by(|a, b| keys[a.0.clone()].cmp(&keys[b.0.clone()]));
    let buckets = query.buckets();
    let labels: Vec<String> = buckets.iter().map(|b| query.zone.format(b.start)).collect();
    let timeline = Timeline {
        zone: query.zone,
        buckets: &buckets,
        labels: &labels,
    };
    let zero_fill: Vec<bool> = order
        .iter()
        .map(|name| metric(name).is_some_and(|spec| spec.zero_fill))
        .collect();
    let series = spans
        .into_iter()
        .map(|(_, i)| {
            let (rank, dimensions, points) = &mut parsed[i];
            Series {
                metric_name: order[*rank].to_owned(),
                dimensions: std::mem::take(dimensions),
                points: timeline.points(zero_fill[*rank], std::mem::take(&mut points_of[*points])),
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

/// Parses a point as [`DashboardQuery::sql`] encodes it (see [`crate::catalog::POINT_SQL`]):
/// `start:value`, the value an integer, or a real in exponent notation that reads back as the
/// same double.
fn parse_point(text: &str) -> Option<(i64, Number)> {
    let (start, value) = text.split_once(':')?;
    let value = match value.parse::<i64>() {
        Ok(i) => Number::from(i),
        Err(_) => Number::from_f64(value.parse().ok()?)?,
    };
    Some((start.parse().ok()?, value))
}

/// The requested buckets and their formatted starts.
struct Timeline<'a> {
    zone: Zone,
    buckets: &'a [Bucket],
    labels: &'a [String],
}

impl Timeline<'_> {
    /// A series' points from its stored ones (in any order): zero-filled, or as stored.
    fn points(&self, zero_fill: bool, mut points: Vec<(i64, Number)>) -> Vec<Point> {
        if !points.is_sorted_by_key(|(t, _)| *t) {
            points.sort_by_key(|(t, _)| *t);
        }
        if zero_fill {
            return self.zero_filled(points);
        }
        points
            .into_iter()
            .map(|(t, value)| Point {
                timestamp: self.label(t),
                value,
            })
            .collect()
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

/// Appends the sort key of a series to `out`: bytes whose order is that of `(rank, [(key,
/// value as an integer if it is one, value)])`, so that keys compare with one `memcmp`.
///
/// Each string is escaped (`0x00` as `0x00 0xff`) and ends with `0x00 0x01`, so a string
/// sorts before its extensions; `None` (tag 1) before any integer (tag 2, then the integer
/// big-endian with its sign bit flipped).
pub(crate) fn sort_key(rank: usize, dims: &BTreeMap<String, String>, out: &mut Vec<u8>) {
    fn text(s: &str, out: &mut Vec<u8>) {
        for &b in s.as_bytes() {
            out.push(b);
            if b == 0 {
                out.push(0xff);
            }
        }
        out.extend_from_slice(&[0, 1]);
    }
    out.extend_from_slice(&(rank as u64).to_be_bytes());
    for (key, value) in dims {
        text(key, out);
        match value.parse::<i64>() {
            Ok(n) => {
                out.push(2);
                out.extend_from_slice(&((n as u64) ^ (1 << 63)).to_be_bytes());
            }
            Err(_) => out.push(1),
        }
        text(value, out);
    }
}
