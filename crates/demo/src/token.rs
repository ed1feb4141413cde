//! Development admin tokens: HS256 JWTs signed with the app's `jwt_secret`, so a developer
//! (and the browser tests) can sign in to the dashboards of a local app. Production tokens
//! come from the platform's identity provider, signed with the key behind `jwt_public_key`.

use serde_json::json;

/// The shortest secret the app accepts (as `auth::Verifier::MIN_SECRET_BYTES`).
pub const MIN_SECRET_BYTES: usize = 32;

/// A signed token for `subject` holding `roles`, valid from `now` (seconds since the epoch)
/// for `ttl_seconds`.
///
/// ```
/// let token = demo::token::dev_token("a-development-secret-of-32-bytes!", "admin-1", &["admin"], 3600, 1_700_000_000)?;
/// assert_eq!(token.split('.').count(), 3);
/// # Ok::<(), String>(())
/// ```
pub fn dev_token(
    secret: &str,
    subject: &str,
    roles: &[&str],
    ttl_seconds: i64,
    now: i64,
) -> Result<String, String> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "the JWT secret is too short: use at least {MIN_SECRET_BYTES} bytes"
        ));
    }
    let claims = json!({
        "sub": subject,
        "roles": roles,
        "iat": now,
        "exp": now + ttl_seconds,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a-development-secret-of-32-bytes!";

    #[test]
    fn the_app_accepts_the_token_as_an_admin() {
        let now = 1_700_000_000;
        let token = dev_token(SECRET, "admin-1", &["admin"], 60, now).expect("token");
        let verifier = auth::Verifier::from_settings(Some(SECRET), None).expect("verifier");
        let principal = verifier.verify_token(&token, now + 30).expect("valid");
        assert_eq!(principal.subject, "admin-1");
        assert!(principal.is_admin());
        assert_eq!(
            verifier.verify_token(&token, now + 61),
            Err(auth::AuthError::Expired)
        );
        let student = dev_token(SECRET, "stu-1", &["student"], 60, now).expect("token");
        let principal = verifier.verify_token(&student, now).expect("valid");
        assert_eq!(principal.require_admin(), Err(auth::AuthError::Forbidden));
        assert!(
            dev_token("short", "a", &[], 60, now)
                .unwrap_err()
                .contains("32")
        );
    }
}
