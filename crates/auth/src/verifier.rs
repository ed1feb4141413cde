//! Building a [`Verifier`] from the configured key, and verifying a bearer token with it.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::{AuthError, ConfigError, Principal};

/// Which kind of key a [`Verifier`] holds, and so which single algorithm it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A shared secret: HS256 (development).
    Secret,
    /// An RSA public key: RS256.
    Rsa,
    /// A P-256 EC public key: ES256.
    Ec,
}

impl KeyKind {
    fn algorithm(self) -> Algorithm {
        match self {
            KeyKind::Secret => Algorithm::HS256,
            KeyKind::Rsa => Algorithm::RS256,
            KeyKind::Ec => Algorithm::ES256,
        }
    }
}

/// Verifies bearer tokens against one configured key.
///
/// Build it once per instance with [`Verifier::from_settings`] (or [`Verifier::for_settings`],
/// which remembers it); [`Verifier::verify`] is cheap and reads no clock.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    kind: KeyKind,
    validation: Validation,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: i64,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("kind", &self.kind)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

/// The keys a remembered verifier was built from.
type Keys = (Option<String>, Option<String>);

thread_local! {
    /// The verifier built from the last keys seen (see [`Verifier::for_settings`]).
    static REMEMBERED: std::cell::RefCell<Option<(Keys, Verifier)>> =
        const { std::cell::RefCell::new(None) };
}

impl Verifier {
    /// [`Verifier::from_settings`], remembered for as long as the keys stay the same: an
    /// instance serves many requests (Spin reuses it), and parsing a PEM key for each one
    /// would cost more than verifying its token.
    pub fn for_settings(
        jwt_secret: Option<&str>,
        jwt_public_key: Option<&str>,
    ) -> Result<Verifier, ConfigError> {
        let keys: Keys = (jwt_secret.map(Into::into), jwt_public_key.map(Into::into));
        let remembered = REMEMBERED.with_borrow(|cached| {
            cached
                .as_ref()
                .filter(|(k, _)| *k == keys)
                .map(|(_, v)| v.clone())
        });
        if let Some(verifier) = remembered {
            return Ok(verifier);
        }
        let verifier = Verifier::from_settings(jwt_secret, jwt_public_key)?;
        REMEMBERED.set(Some((keys, verifier.clone())));
        Ok(verifier)
    }

    /// The shortest accepted `jwt_secret`: HS256 with fewer than 32 bytes of key is
    /// brute-forceable.
    pub const MIN_SECRET_BYTES: usize = 32;

    /// A verifier from the Spin variables: `jwt_public_key` (PEM, RSA or P-256 EC; RS256 or
    /// ES256) when set, else `jwt_secret` (HS256). Blank values count as unset.
    ///
    /// ```
    /// let v = auth::Verifier::from_settings(Some("a-development-secret-of-32-bytes!"), None)?;
    /// assert_eq!(v.key_kind(), auth::KeyKind::Secret);
    /// assert_eq!(auth::Verifier::from_settings(None, Some("  ")).unwrap_err(), auth::ConfigError::NoKey);
    /// # Ok::<(), auth::ConfigError>(())
    /// ```
    pub fn from_settings(
        jwt_secret: Option<&str>,
        jwt_public_key: Option<&str>,
    ) -> Result<Verifier, ConfigError> {
        let (key, kind) = match (present(jwt_public_key), present(jwt_secret)) {
            (Some(pem), _) => public_key(pem)?,
            (None, Some(secret)) if secret.len() < Self::MIN_SECRET_BYTES => {
                return Err(ConfigError::WeakSecret {
                    min: Self::MIN_SECRET_BYTES,
                });
            }
            (None, Some(secret)) => (DecodingKey::from_secret(secret.as_bytes()), KeyKind::Secret),
            (None, None) => return Err(ConfigError::NoKey),
        };
        // Time-based checks are done by `verify` against the caller's clock, and the
        // issuer and audience by `check_claims`: the library only checks the signature.
        let mut validation = Validation::new(kind.algorithm());
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Ok(Verifier {
            key,
            kind,
            validation,
            issuer: None,
            audience: None,
            leeway: 0,
        })
    }

    /// Also require `iss` to equal `issuer`.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Also require `aud` (a string or an array of strings) to contain `audience`.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Tolerate this many seconds of clock skew on `exp` and `nbf` (default 0).
    pub fn with_leeway(mut self, seconds: u32) -> Self {
        self.leeway = i64::from(seconds);
        self
    }

    /// The kind of key configured.
    pub fn key_kind(&self) -> KeyKind {
        self.kind
    }

    /// Verifies the token of an `Authorization: Bearer <jwt>` header at `now` (seconds since
    /// the Unix epoch) and returns who it speaks for. Does not check roles: follow with
    /// [`Principal::require_admin`] or [`Principal::require_self_or_admin`].
    pub fn verify(&self, authorization: Option<&str>, now: i64) -> Result<Principal, AuthError> {
        let token = authorization
            .and_then(bearer_token)
            .ok_or(AuthError::MissingToken)?;
        self.verify_token(token, now)
    }

    /// Verifies a bare token (without the `Bearer` scheme), e.g. from a WebSocket
    /// connection payload.
    pub fn verify_token(&self, token: &str, now: i64) -> Result<Principal, AuthError> {
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &self.validation)
            .map_err(|_| AuthError::InvalidToken)?;
        self.check_claims(&data.claims, now)
    }

    fn check_claims(&self, claims: &Map<String, Value>, now: i64) -> Result<Principal, AuthError> {
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .ok_or(AuthError::InvalidToken)?;
        let exp = numeric_date(claims.get("exp")).ok_or(AuthError::InvalidToken)?;
        if exp + self.leeway <= now {
            return Err(AuthError::Expired);
        }
        match claims.get("nbf") {
            None | Some(Value::Null) => {}
            nbf => {
                let nbf = numeric_date(nbf).ok_or(AuthError::InvalidToken)?;
                if nbf - self.leeway > now {
                    return Err(AuthError::Expired);
                }
            }
        }
        if let Some(issuer) = &self.issuer
            && claims.get("iss").and_then(Value::as_str) != Some(issuer.as_str())
        {
            return Err(AuthError::InvalidToken);
        }
        if let Some(audience) = &self.audience
            && !strings(claims.get("aud")).any(|a| a == audience)
        {
            return Err(AuthError::InvalidToken);
        }
        let mut roles: Vec<String> = Vec::new();
        for role in strings(claims.get("role")).chain(strings(claims.get("roles"))) {
            if !roles.iter().any(|r| r == role) {
                roles.push(role.to_owned());
            }
        }
        Ok(Principal {
            subject: subject.to_owned(),
            roles,
        })
    }
}

/// The token of an `Authorization` header using the `Bearer` scheme (case-insensitive),
/// trimmed; `None` for another scheme or an empty token.
///
/// ```
/// assert_eq!(auth::bearer_token("bearer  abc.def.ghi "), Some("abc.def.ghi"));
/// assert_eq!(auth::bearer_token("Basic dXNlcjo="), None);
/// ```
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn public_key(pem: &str) -> Result<(DecodingKey, KeyKind), ConfigError> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem.as_bytes()) {
        return Ok((key, KeyKind::Rsa));
    }
    DecodingKey::from_ec_pem(pem.as_bytes())
        .map(|key| (key, KeyKind::Ec))
        .map_err(|_| ConfigError::InvalidPublicKey)
}

/// A JWT NumericDate: an integer, or a number with a fractional part (truncated).
fn numeric_date(value: Option<&Value>) -> Option<i64> {
    let value = value?;
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

/// A claim that is a string or an array of strings, as its strings (other entries skipped).
fn strings(value: Option<&Value>) -> impl Iterator<Item = &str> {
    let (one, many) = match value {
        Some(Value::String(s)) => (Some(s.as_str()), None),
        Some(Value::Array(items)) => (None, Some(items.iter().filter_map(Value::as_str))),
        _ => (None, None),
    };
    one.into_iter().chain(many.into_iter().flatten())
}

thread_local! {
    /// The verifier built from the last keys seen (see [`Verifier::cached`]).
    static CACHED: std::cell::RefCell<Option<(CachedKeys, Verifier)>> =
        const { std::cell::RefCell::new(None) };
}

type CachedKeys = (Option<String>, Option<String>);

impl Verifier {
    /// [`Verifier::from_settings`], built once per thread and reused while the keys stay the
    /// same: a component instance serves many requests, and parsing a PEM key on each would
    /// cost more than verifying the token.
    pub fn cached(
        jwt_secret: Option<&str>,
        jwt_public_key: Option<&str>,
    ) -> Result<Verifier, ConfigError> {
        let keys: CachedKeys = (
            jwt_secret.map(str::to_owned),
            jwt_public_key.map(str::to_owned),
        );
        let hit = CACHED.with_borrow(|cached| {
            cached
                .as_ref()
                .filter(|(k, _)| *k == keys)
                .map(|(_, v)| v.clone())
        });
        if let Some(verifier) = hit {
            return Ok(verifier);
        }
        let verifier = Verifier::from_settings(jwt_secret, jwt_public_key)?;
        CACHED.set(Some((keys, verifier.clone())));
        Ok(verifier)
    }
}

#[cfg(test)]
mod cached_tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn cached_follows_the_keys() {
        let a = "a-development-secret-of-32-bytes!";
        let b = "another-development-secret-32-b!!";
        assert_eq!(
            Verifier::cached(Some(a), None).unwrap().key_kind(),
            KeyKind::Secret
        );
        assert!(Verifier::cached(Some(a), None).is_ok());
        assert!(Verifier::cached(Some(b), None).is_ok());
        assert_eq!(
            Verifier::cached(None, None).unwrap_err(),
            ConfigError::NoKey
        );
        assert!(matches!(
            Verifier::cached(Some("short"), None),
            Err(ConfigError::WeakSecret { .. })
        ));
    }
}
