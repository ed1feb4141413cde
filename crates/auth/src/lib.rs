//! Bearer-token verification for the platform's admin and user APIs.
//!
//! This crate is for turning an `Authorization` header into a verified [`Principal`] (who
//! the caller is and which roles they hold), and for the access decisions built on it
//! ([`Principal::require_admin`], [`Principal::require_self_or_admin`]). Every failure is an
//! [`AuthError`] that knows its HTTP status (401 or 403) and its GraphQL error code, with a
//! message safe to show the caller. The metrics component and the GraphQL component share it.
//!
//! It is *not* for issuing tokens, fetching keys (JWKS) or reading configuration or the
//! clock: the caller passes the `jwt_secret` / `jwt_public_key` variables to
//! [`Verifier::from_settings`] and the current time to [`Verifier::verify`].
//!
//! Tokens are JWTs: HS256 with a shared secret in development, RS256 or ES256 (P-256) with a
//! PEM public key in production. A verifier accepts only the algorithms of the key it was
//! given, so an HS256 token "signed" with the public key, or an unsigned (`alg: none`) one,
//! is refused. The claims used are `sub` (required), `exp` (required, seconds since the
//! epoch, must be in the future), `nbf` (optional), `role` (a string) and `roles` (a
//! string or an array of strings), and optionally `iss` and `aud`.
//!
//! ```
//! use auth::Verifier;
//! let verifier = Verifier::from_settings(Some("a-development-secret-of-32-bytes!"), None)?;
//! // No header: 401 / UNAUTHENTICATED.
//! let err = verifier.verify(None, 1_700_000_000).unwrap_err();
//! assert_eq!((err.status(), err.graphql_code()), (401, "UNAUTHENTICATED"));
//! # Ok::<(), auth::ConfigError>(())
//! ```

mod error;
mod principal;
mod verifier;

#[cfg(test)]
mod verifier_tests;

pub use error::{AuthError, ConfigError};
pub use principal::{ADMIN_ROLE, Principal};
pub use verifier::{KeyKind, Verifier, bearer_token};
