//! The errors of configuring a verifier and of verifying a request.

/// Why a request is refused. Messages are safe to return to the caller: they never say which
/// check failed inside a token, nor anything about the keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header (or an empty token).
    #[error("missing bearer token")]
    MissingToken,
    /// The token is malformed, badly signed, uses another algorithm, misses a required
    /// claim, or has the wrong issuer or audience.
    #[error("invalid token")]
    InvalidToken,
    /// The token's `exp` has passed (or its `nbf` is still to come).
    #[error("token expired")]
    Expired,
    /// A valid token whose holder lacks the role the operation needs.
    #[error("forbidden")]
    Forbidden,
}

impl AuthError {
    /// The HTTP status to answer with: 401 for a missing, invalid or expired token, 403 for
    /// a valid one without the needed role.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::MissingToken | AuthError::InvalidToken | AuthError::Expired => 401,
            AuthError::Forbidden => 403,
        }
    }

    /// The GraphQL `extensions.code`: `UNAUTHENTICATED` or `FORBIDDEN`.
    pub fn graphql_code(&self) -> &'static str {
        match self.status() {
            401 => "UNAUTHENTICATED",
            _ => "FORBIDDEN",
        }
    }

    /// A short machine-readable code for JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingToken => "missing_token",
            AuthError::InvalidToken => "invalid_token",
            AuthError::Expired => "token_expired",
            AuthError::Forbidden => "forbidden",
        }
    }

    /// The `WWW-Authenticate` header value to send with a 401 (RFC 6750), `None` for a 403.
    pub fn www_authenticate(&self) -> Option<&'static str> {
        match self {
            AuthError::MissingToken => Some("Bearer"),
            AuthError::InvalidToken | AuthError::Expired => Some("Bearer error=\"invalid_token\""),
            AuthError::Forbidden => None,
        }
    }
}

/// Why the verifier cannot be built from the configured variables. A deployment error: the
/// component should log it and answer 500, never 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Neither `jwt_secret` nor `jwt_public_key` is set (or both are blank).
    #[error("no JWT key configured: set the jwt_public_key (PEM) or jwt_secret variable")]
    NoKey,
    /// `jwt_public_key` is set but is not an RSA or P-256 EC public key in PEM form.
    #[error("jwt_public_key is not an RSA or P-256 EC public key in PEM form")]
    InvalidPublicKey,
    /// `jwt_secret` is shorter than [`crate::Verifier::MIN_SECRET_BYTES`].
    #[error("jwt_secret is too short: use at least {min} bytes")]
    WeakSecret {
        /// The minimum length in bytes.
        min: usize,
    },
}
