//! The component's settings, from Spin variables.

use events::Limits;

use crate::failure::Failure;

/// The ingest key and the size limits.
pub struct Config {
    key: String,
    /// Size limits (`max_request_bytes`, `max_event_bytes`, `max_batch_events`).
    pub limits: Limits,
}

impl Config {
    /// Reads `ingest_api_key` and the limit variables. A blank key or a limit that is not a
    /// positive integer is a configuration error (500), never a silent default.
    pub async fn load() -> Result<Self, Failure> {
        let key = variable("ingest_api_key")
            .await?
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| Failure::Config("variable ingest_api_key is not set".into()))?;
        let limits = Limits::from_vars(
            variable(Limits::VAR_MAX_REQUEST_BYTES).await?.as_deref(),
            variable(Limits::VAR_MAX_EVENT_BYTES).await?.as_deref(),
            variable(Limits::VAR_MAX_BATCH_EVENTS).await?.as_deref(),
        )
        .map_err(|e| Failure::Config(e.to_string()))?;
        Ok(Self { key, limits })
    }

    /// Whether the presented key is the ingest key (compared in constant time).
    pub fn accepts(&self, presented: Option<&str>) -> bool {
        let Some(presented) = presented else {
            return false;
        };
        let (a, b) = (presented.as_bytes(), self.key.trim().as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
