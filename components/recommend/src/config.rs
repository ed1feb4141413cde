//! The component's settings, from Spin variables: the JWT keys.

use std::cell::RefCell;

use auth::Verifier;

use crate::failure::Failure;

/// The JWT keys (`jwt_public_key` wins over `jwt_secret`).
pub struct Config {
    jwt_secret: Option<String>,
    jwt_public_key: Option<String>,
}

thread_local! {
    /// The verifier built from the last keys seen: parsing a PEM key on every request would
    /// cost more than verifying the token.
    static VERIFIER: RefCell<Option<(Keys, Verifier)>> = const { RefCell::new(None) };
}

type Keys = (Option<String>, Option<String>);

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
        let keys: Keys = (self.jwt_secret.clone(), self.jwt_public_key.clone());
        if let Some(verifier) = VERIFIER.with_borrow(|cached| {
            cached
                .as_ref()
                .filter(|(k, _)| *k == keys)
                .map(|(_, v)| v.clone())
        }) {
            return Ok(verifier);
        }
        let verifier =
            Verifier::from_settings(self.jwt_secret.as_deref(), self.jwt_public_key.as_deref())
                .map_err(|e| Failure::Config(e.to_string()))?;
        VERIFIER.set(Some((keys, verifier.clone())));
        Ok(verifier)
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
