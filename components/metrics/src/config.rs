//! The component's settings, from Spin variables.

use auth::Verifier;
use metrics::Settings;

use crate::failure::Failure;

/// The engine's settings and the JWT keys.
pub struct Config {
    /// `metrics_time_zones` and `metrics_max_events_per_run`.
    pub settings: Settings,
    jwt_secret: Option<String>,
    jwt_public_key: Option<String>,
}

impl Config {
    /// Reads the variables. An invalid one is a deployment error (500), never a default.
    pub async fn load() -> Result<Config, Failure> {
        Ok(Config {
            settings: Config::load_settings().await?,
            jwt_secret: variable("jwt_secret").await?,
            jwt_public_key: variable("jwt_public_key").await?,
        })
    }

    /// Only the engine's settings, for callers that verify no token (the export, the cron
    /// run): two variable reads instead of four.
    pub async fn load_settings() -> Result<Settings, Failure> {
        let time_zones = variable("metrics_time_zones").await?;
        let max_events_per_run = variable("metrics_max_events_per_run").await?;
        Settings::from_variables(time_zones.as_deref(), max_events_per_run.as_deref())
            .map_err(|e| Failure::Config(e.to_string()))
    }

    /// The token verifier for the configured keys (`jwt_public_key` wins over `jwt_secret`).
    pub fn verifier(&self) -> Result<Verifier, Failure> {
        Verifier::for_settings(self.jwt_secret.as_deref(), self.jwt_public_key.as_deref())
            .map_err(|e| Failure::Config(e.to_string()))
    }
}

/// A variable's value, `None` when the manifest does not define it for this component.
async fn variable(name: &str) -> Result<Option<String>, Failure> {
    match spin_sdk::variables::get(name).await {
        Ok(value) => Ok(Some(value)),
        Err(spin_sdk::variables::Error::Undefined(_)) => Ok(None),
        Err(e) => Err(Failure::Config(format!("variable {name}: {e:?}"))),
    }
}
