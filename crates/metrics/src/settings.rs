//! The engine's settings, from the component's variables.

use crate::error::ConfigError;
use crate::time::Zone;

/// What the engine maintains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The time zones dashboards are kept in; always starts with UTC.
    pub zones: Vec<Zone>,
    /// The most events one refresh reads (the rest waits for the next run), so that a
    /// backlog is worked off in bounded steps; `None` for no limit.
    pub max_events_per_run: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            zones: vec![Zone::UTC],
            max_events_per_run: None,
        }
    }
}

impl Settings {
    /// Settings from the `metrics_time_zones` variable (comma-separated IANA names, UTC is
    /// always included) and the `metrics_max_events_per_run` variable. Blank means unset.
    ///
    /// ```
    /// let s = metrics::Settings::from_variables(Some("Europe/Paris, UTC"), None)?;
    /// let names: Vec<&str> = s.zones.iter().map(|z| z.name()).collect();
    /// assert_eq!(names, ["UTC", "Europe/Paris"]);
    /// # Ok::<(), metrics::ConfigError>(())
    /// ```
    pub fn from_variables(
        time_zones: Option<&str>,
        max_events_per_run: Option<&str>,
    ) -> Result<Settings, ConfigError> {
        let mut settings = Settings::default();
        for name in time_zones.unwrap_or_default().split(',').map(str::trim) {
            if name.is_empty() {
                continue;
            }
            let zone =
                Zone::parse(name).ok_or_else(|| ConfigError::UnknownTimeZone(name.into()))?;
            if !settings.zones.contains(&zone) {
                settings.zones.push(zone);
            }
        }
        if let Some(text) = max_events_per_run.map(str::trim).filter(|t| !t.is_empty()) {
            let n = text
                .replace('_', "")
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ConfigError::InvalidMaxEvents(text.into()))?;
            settings.max_events_per_run = Some(n);
        }
        Ok(settings)
    }

    /// The configured zone with this name.
    pub fn zone(&self, name: &str) -> Option<Zone> {
        self.zones.iter().copied().find(|z| z.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn variables() {
        assert_eq!(
            Settings::from_variables(None, None),
            Ok(Settings::default())
        );
        assert_eq!(
            Settings::from_variables(Some(" , "), Some(" ")),
            Ok(Settings::default())
        );
        let s = Settings::from_variables(Some("Asia/Kolkata,UTC,Asia/Kolkata"), Some("100_000"))
            .expect("settings");
        assert_eq!(s.zones.len(), 2);
        assert_eq!(s.max_events_per_run, Some(100_000));
        assert_eq!(
            s.zone("Asia/Kolkata").map(|z| z.name()),
            Some("Asia/Kolkata")
        );
        assert_eq!(s.zone("Europe/Paris"), None);
        assert_eq!(
            Settings::from_variables(Some("Paris"), None),
            Err(ConfigError::UnknownTimeZone("Paris".into()))
        );
        for bad in ["0", "-1", "lots"] {
            assert_eq!(
                Settings::from_variables(None, Some(bad)),
                Err(ConfigError::InvalidMaxEvents(bad.into()))
            );
        }
    }
}
