//! The verified caller and the access decisions made on it.

use crate::AuthError;

/// The role that grants access to admin-only operations (dashboards, refresh, other users'
/// data).
pub const ADMIN_ROLE: &str = "admin";

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`: the user id.
    pub subject: String,
    /// The roles from the `role` and `roles` claims, in claim order, without duplicates.
    pub roles: Vec<String>,
}

impl Principal {
    /// Whether the principal holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the principal is an admin.
    pub fn is_admin(&self) -> bool {
        self.has_role(ADMIN_ROLE)
    }

    /// `Ok` for an admin, else [`AuthError::Forbidden`] (403).
    pub fn require_admin(&self) -> Result<(), AuthError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AuthError::Forbidden)
        }
    }

    /// `Ok` when the principal is `user_id` or an admin, else [`AuthError::Forbidden`]: for
    /// operations on a user's own data.
    pub fn require_self_or_admin(&self, user_id: &str) -> Result<(), AuthError> {
        if self.subject == user_id || self.is_admin() {
            Ok(())
        } else {
            Err(AuthError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn access_decisions() {
        let student = Principal {
            subject: "u1".into(),
            roles: vec!["student".into()],
        };
        let admin = Principal {
            subject: "a1".into(),
            roles: vec!["tutor".into(), "admin".into()],
        };
        assert!(!student.is_admin() && admin.is_admin());
        assert!(student.has_role("student"));
        assert_eq!(student.require_admin(), Err(AuthError::Forbidden));
        assert_eq!(admin.require_admin(), Ok(()));
        assert_eq!(student.require_self_or_admin("u1"), Ok(()));
        assert_eq!(
            student.require_self_or_admin("u2"),
            Err(AuthError::Forbidden)
        );
        assert_eq!(admin.require_self_or_admin("u2"), Ok(()));
    }

    #[test]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn error_mapping() {
        let cases = [
            (
                AuthError::MissingToken,
                401,
                "UNAUTHENTICATED",
                "missing_token",
            ),
            (
                AuthError::InvalidToken,
                401,
                "UNAUTHENTICATED",
                "invalid_token",
            ),
            (AuthError::Expired, 401, "UNAUTHENTICATED", "token_expired"),
            (AuthError::Forbidden, 403, "FORBIDDEN", "forbidden"),
        ];
        for (error, status, graphql, code) in cases {
            assert_eq!(error.status(), status);
            assert_eq!(error.graphql_code(), graphql);
            assert_eq!(error.code(), code);
            assert_eq!(error.www_authenticate().is_some(), status == 401);
            assert!(!error.to_string().is_empty());
        }
    }
}
