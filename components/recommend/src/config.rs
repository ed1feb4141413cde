//! The component's settings, from Spin variables: the JWT keys.

use auth::Verifier;

use crate::failure::Failure;

/// The JWT keys (`jwt_public_key` wins over `jwt_secret`).
pub struct Config {
    jwt_secret: Option<String>,
    jwt_public_key: Option<String>,
}

impl Config {
    /// Reads the variables.
    pub async fn load() -> Result<Config, Failure> {
        Ok(Config {
            jwt_secret: variable("jwt_secret").await?,
            jwt_public_key: variable("jwt_public_key").await?,
        })
    }

    /// The token verifier for the configured keys; none configured is a deployment error
    /// (500), never an open door.
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
