//! The errors of the metrics layer, one enum per boundary.

use crate::store::StoreError;

/// A refresh or a dashboard read failed. Both are server-side failures (500): the message
/// is for the logs, not for the caller.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// The store refused a statement.
    #[error("metrics store: {step}: {source}")]
    Store {
        /// What the engine was doing.
        step: &'static str,
        /// The store's error.
        source: StoreError,
    },
    /// The store returned a row of an unexpected shape.
    #[error("metrics store: unexpected row in {step}")]
    BadRow {
        /// What the engine was reading.
        step: &'static str,
    },
}

impl MetricsError {
    /// The HTTP status: always 500.
    pub fn status(&self) -> u16 {
        500
    }
}

/// A dashboard request the caller got wrong: 400 (or 404 for an unknown dashboard), with a
/// message that names the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The path names no dashboard.
    #[error("unknown dashboard {0:?}: use overview, engagement, tutoring, revenue or learning")]
    UnknownDashboard(String),
    /// A parameter has a bad value.
    #[error("{name}: {message}")]
    InvalidParameter {
        /// The query parameter.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A parameter that is neither a known option nor a dimension.
    #[error("unknown parameter {0:?}: use from, to, granularity, tz or a dimension filter")]
    UnknownParameter(String),
}

impl RequestError {
    /// The HTTP status: 404 for an unknown dashboard, else 400.
    pub fn status(&self) -> u16 {
        match self {
            RequestError::UnknownDashboard(_) => 404,
            _ => 400,
        }
    }

    /// A short machine-readable code for the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::UnknownDashboard(_) => "unknown_dashboard",
            RequestError::InvalidParameter { .. } => "invalid_parameter",
            RequestError::UnknownParameter(_) => "unknown_parameter",
        }
    }

    /// A bad value for the parameter `name`.
    pub fn invalid(name: &str, message: impl Into<String>) -> Self {
        RequestError::InvalidParameter {
            name: name.to_owned(),
            message: message.into(),
        }
    }
}

/// The metrics variables are invalid: a deployment error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `metrics_time_zones` names a zone the tz database does not know.
    #[error("metrics_time_zones: unknown IANA time zone {0:?}")]
    UnknownTimeZone(String),
    /// `metrics_max_events_per_run` is not a positive integer.
    #[error("metrics_max_events_per_run: expected a positive integer, got {0:?}")]
    InvalidMaxEvents(String),
}

/// Attaches the step to a store error.
pub(crate) fn at(step: &'static str) -> impl Fn(StoreError) -> MetricsError {
    move |source| MetricsError::Store { step, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn statuses_and_messages() {
        let e = at("facts")(StoreError::new("disk I/O error"));
        assert_eq!(e.status(), 500);
        assert_eq!(e.to_string(), "metrics store: facts: disk I/O error");
        assert!(
            MetricsError::BadRow { step: "state" }
                .to_string()
                .contains("state")
        );
        let unknown = RequestError::UnknownDashboard("x".into());
        assert_eq!(
            (unknown.status(), unknown.code()),
            (404, "unknown_dashboard")
        );
        let bad = RequestError::invalid("from", "expected a date");
        assert_eq!((bad.status(), bad.code()), (400, "invalid_parameter"));
        assert_eq!(bad.to_string(), "from: expected a date");
        let param = RequestError::UnknownParameter("colour".into());
        assert_eq!((param.status(), param.code()), (400, "unknown_parameter"));
        assert!(
            ConfigError::UnknownTimeZone("X".into())
                .to_string()
                .contains("X")
        );
    }
}
