//! Table-driven tests of token verification with tokens signed here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::{AuthError, ConfigError, KeyKind, Verifier};

const SECRET: &str = "a-development-secret-of-32-bytes!";
const NOW: i64 = 1_714_564_800;
const RSA_PRIVATE: &str = include_str!("../testdata/rsa_private.pem");
const RSA_PUBLIC: &str = include_str!("../testdata/rsa_public.pem");
const RSA_PUBLIC_PKCS1: &str = include_str!("../testdata/rsa_public_pkcs1.pem");
const OTHER_RSA_PUBLIC: &str = include_str!("../testdata/other_rsa_public.pem");
const EC_PRIVATE: &str = include_str!("../testdata/ec_private.pem");
const EC_PUBLIC: &str = include_str!("../testdata/ec_public.pem");

fn sign(alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).expect("sign")
}

fn hs256(claims: &Value) -> String {
    sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(SECRET.as_bytes()),
        claims,
    )
}

fn rs256(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).expect("rsa key");
    sign(Algorithm::RS256, &key, claims)
}

fn es256(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).expect("ec key");
    sign(Algorithm::ES256, &key, claims)
}

fn unsigned(claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.",
        part(&json!({"alg": "none", "typ": "JWT"})),
        part(claims)
    )
}

fn admin() -> Value {
    json!({"sub": "adm-1", "exp": NOW + 60, "role": "admin"})
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn secret_verifier() -> Verifier {
    Verifier::from_settings(Some(SECRET), None).expect("verifier")
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn settings() {
    type Case<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Result<KeyKind, ConfigError>,
    );
    let cases: Vec<Case> = vec![
        (Some(SECRET), None, Ok(KeyKind::Secret)),
        (Some(SECRET), Some(""), Ok(KeyKind::Secret)),
        (Some(SECRET), Some(RSA_PUBLIC), Ok(KeyKind::Rsa)),
        (None, Some(RSA_PUBLIC_PKCS1), Ok(KeyKind::Rsa)),
        (None, Some(EC_PUBLIC), Ok(KeyKind::Ec)),
        (None, None, Err(ConfigError::NoKey)),
        (Some("   "), Some(" \n"), Err(ConfigError::NoKey)),
        (
            Some("short"),
            None,
            Err(ConfigError::WeakSecret {
                min: Verifier::MIN_SECRET_BYTES,
            }),
        ),
        (None, Some("not a pem"), Err(ConfigError::InvalidPublicKey)),
        (
            Some(SECRET),
            Some("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            Err(ConfigError::InvalidPublicKey),
        ),
    ];
    for (secret, public, expected) in cases {
        let got = Verifier::from_settings(secret, public).map(|v| v.key_kind());
        assert_eq!(got, expected, "{secret:?} {public:?}");
    }
    assert!(ConfigError::NoKey.to_string().contains("jwt_public_key"));
    assert!(!format!("{:?}", secret_verifier()).contains(SECRET));
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn tokens_table() {
    let rsa = Verifier::from_settings(None, Some(RSA_PUBLIC)).expect("rsa");
    let rsa_pkcs1 = Verifier::from_settings(None, Some(RSA_PUBLIC_PKCS1)).expect("rsa1");
    let other_rsa = Verifier::from_settings(None, Some(OTHER_RSA_PUBLIC)).expect("other");
    let ec = Verifier::from_settings(None, Some(EC_PUBLIC)).expect("ec");
    let hs = secret_verifier();
    let other_secret =
        Verifier::from_settings(Some("another-secret-that-is-32-bytes!!"), None).expect("hs");
    let alg_confusion = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
        &admin(),
    );
    let mut tampered = hs256(&admin());
    tampered.insert(tampered.len() / 2, 'x');
    let no_sub = json!({"exp": NOW + 60, "role": "admin"});
    let blank_sub = json!({"sub": " ", "exp": NOW + 60});
    let no_exp = json!({"sub": "u"});
    let text_exp = json!({"sub": "u", "exp": "tomorrow"});
    let fractional = json!({"sub": "u", "exp": (NOW + 1) as f64 + 0.5});
    let cases: Vec<(&str, &Verifier, String, Result<(), AuthError>)> = vec![
        ("hs256", &hs, hs256(&admin()), Ok(())),
        ("rs256 spki", &rsa, rs256(&admin()), Ok(())),
        ("rs256 pkcs1", &rsa_pkcs1, rs256(&admin()), Ok(())),
        ("es256", &ec, es256(&admin()), Ok(())),
        (
            "wrong secret",
            &other_secret,
            hs256(&admin()),
            Err(AuthError::InvalidToken),
        ),
        (
            "wrong rsa key",
            &other_rsa,
            rs256(&admin()),
            Err(AuthError::InvalidToken),
        ),
        ("tampered", &hs, tampered, Err(AuthError::InvalidToken)),
        (
            "alg confusion",
            &rsa,
            alg_confusion,
            Err(AuthError::InvalidToken),
        ),
        (
            "es256 for rsa",
            &rsa,
            es256(&admin()),
            Err(AuthError::InvalidToken),
        ),
        (
            "rs256 for hs",
            &hs,
            rs256(&admin()),
            Err(AuthError::InvalidToken),
        ),
        (
            "rs256 for ec",
            &ec,
            rs256(&admin()),
            Err(AuthError::InvalidToken),
        ),
        (
            "alg none hs",
            &hs,
            unsigned(&admin()),
            Err(AuthError::InvalidToken),
        ),
        (
            "alg none rsa",
            &rsa,
            unsigned(&admin()),
            Err(AuthError::InvalidToken),
        ),
        (
            "garbage",
            &hs,
            "not.a.jwt".into(),
            Err(AuthError::InvalidToken),
        ),
        ("no sub", &hs, hs256(&no_sub), Err(AuthError::InvalidToken)),
        (
            "blank sub",
            &hs,
            hs256(&blank_sub),
            Err(AuthError::InvalidToken),
        ),
        ("no exp", &hs, hs256(&no_exp), Err(AuthError::InvalidToken)),
        (
            "text exp",
            &hs,
            hs256(&text_exp),
            Err(AuthError::InvalidToken),
        ),
        ("fractional exp", &hs, hs256(&fractional), Ok(())),
        (
            "expired",
            &hs,
            hs256(&json!({"sub": "u", "exp": NOW - 1})),
            Err(AuthError::Expired),
        ),
        (
            "exp is now",
            &hs,
            hs256(&json!({"sub": "u", "exp": NOW})),
            Err(AuthError::Expired),
        ),
        (
            "not yet valid",
            &hs,
            hs256(&json!({"sub": "u", "exp": NOW + 60, "nbf": NOW + 30})),
            Err(AuthError::Expired),
        ),
        (
            "valid nbf",
            &hs,
            hs256(&json!({"sub": "u", "exp": NOW + 60, "nbf": NOW})),
            Ok(()),
        ),
        (
            "bad nbf",
            &hs,
            hs256(&json!({"sub": "u", "exp": NOW + 60, "nbf": "soon"})),
            Err(AuthError::InvalidToken),
        ),
    ];
    for (name, verifier, token, expected) in cases {
        let got = verifier.verify(Some(&bearer(&token)), NOW).map(|_| ());
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn headers_table() {
    let hs = secret_verifier();
    let token = hs256(&admin());
    let cases: Vec<(Option<String>, Result<(), AuthError>)> = vec![
        (None, Err(AuthError::MissingToken)),
        (Some(String::new()), Err(AuthError::MissingToken)),
        (Some("Bearer".into()), Err(AuthError::MissingToken)),
        (Some("Bearer    ".into()), Err(AuthError::MissingToken)),
        (Some(format!("Basic {token}")), Err(AuthError::MissingToken)),
        (Some(token.clone()), Err(AuthError::MissingToken)),
        (Some(format!("bearer {token}")), Ok(())),
        (Some(format!("  BEARER   {token}  ")), Ok(())),
        (Some("Bearer x".into()), Err(AuthError::InvalidToken)),
    ];
    for (header, expected) in cases {
        assert_eq!(
            hs.verify(header.as_deref(), NOW).map(|_| ()),
            expected,
            "{header:?}"
        );
    }
    assert!(hs.verify_token(&token, NOW).is_ok());
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn roles_table() {
    let hs = secret_verifier();
    let claims = |extra: Value| {
        let mut c = json!({"sub": "u1", "exp": NOW + 60});
        if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
            c.extend(extra.clone());
        }
        c
    };
    let cases: Vec<(Value, Vec<&str>, bool)> = vec![
        (json!({}), vec![], false),
        (json!({"role": "admin"}), vec!["admin"], true),
        (json!({"role": "student"}), vec!["student"], false),
        (
            json!({"roles": ["tutor", "admin"]}),
            vec!["tutor", "admin"],
            true,
        ),
        (json!({"roles": "admin"}), vec!["admin"], true),
        (json!({"roles": []}), vec![], false),
        (json!({"roles": [1, "admin", null]}), vec!["admin"], true),
        (
            json!({"role": "admin", "roles": ["admin", "tutor"]}),
            vec!["admin", "tutor"],
            true,
        ),
        (json!({"role": 7, "roles": {"admin": true}}), vec![], false),
        (json!({"role": "Admin"}), vec!["Admin"], false),
    ];
    for (extra, roles, is_admin) in cases {
        let principal = hs
            .verify(Some(&bearer(&hs256(&claims(extra.clone())))), NOW)
            .expect("valid");
        assert_eq!(principal.subject, "u1");
        assert_eq!(principal.roles, roles, "{extra}");
        assert_eq!(principal.is_admin(), is_admin, "{extra}");
        let expected = if is_admin {
            Ok(())
        } else {
            Err(AuthError::Forbidden)
        };
        assert_eq!(principal.require_admin(), expected);
        assert_eq!(
            principal.require_admin().err().map(|e| e.status()),
            (!is_admin).then_some(403)
        );
    }
}

#[test]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn issuer_audience_and_leeway() {
    let hs = secret_verifier()
        .with_issuer("https://auth.tutoring.example")
        .with_audience("analytics");
    let base = json!({"sub": "u", "exp": NOW + 60, "iss": "https://auth.tutoring.example"});
    let with = |key: &str, value: Value| {
        let mut c = base.clone();
        c[key] = value;
        c
    };
    let cases: Vec<(Value, Result<(), AuthError>)> = vec![
        (with("aud", json!("analytics")), Ok(())),
        (with("aud", json!(["web", "analytics"])), Ok(())),
        (with("aud", json!("web")), Err(AuthError::InvalidToken)),
        (base.clone(), Err(AuthError::InvalidToken)),
        (
            with("aud", json!("analytics")).tap_remove("iss"),
            Err(AuthError::InvalidToken),
        ),
        (
            with("aud", json!("analytics")).tap_set("iss", json!("https://evil.example")),
            Err(AuthError::InvalidToken),
        ),
    ];
    for (claims, expected) in cases {
        assert_eq!(
            hs.verify(Some(&bearer(&hs256(&claims))), NOW).map(|_| ()),
            expected,
            "{claims}"
        );
    }
    let lenient = secret_verifier().with_leeway(30);
    let just_expired = hs256(&json!({"sub": "u", "exp": NOW - 10}));
    assert!(lenient.verify(Some(&bearer(&just_expired)), NOW).is_ok());
    assert_eq!(
        lenient.verify(Some(&bearer(&just_expired)), NOW + 40),
        Err(AuthError::Expired)
    );
}

trait Tap {
    fn tap_remove(self, key: &str) -> Self;
    fn tap_set(self, key: &str, value: Value) -> Self;
}

impl Tap for Value {
    fn tap_remove(mut self, key: &str) -> Self {
        if let Some(map) = self.as_object_mut() {
            map.remove(key);
        }
        self
    }
    fn tap_set(mut self, key: &str, value: Value) -> Self {
        self[key] = value;
        self
    }
}

#[test]
fn a_remembered_verifier_follows_the_keys() {
    let token = hs256(&json!({"sub": "u1", "role": "admin", "exp": NOW + 60}));
    let first = Verifier::for_settings(Some(SECRET), None).expect("secret");
    assert!(first.verify_token(&token, NOW).is_ok());
    // The same keys again: the remembered verifier.
    let again = Verifier::for_settings(Some(SECRET), None).expect("secret");
    assert!(again.verify_token(&token, NOW).is_ok());
    // New keys replace it: the HS256 token no longer verifies under the RSA key.
    let rsa = Verifier::for_settings(Some(SECRET), Some(RSA_PUBLIC)).expect("rsa");
    assert!(rsa.verify_token(&token, NOW).is_err());
    assert_eq!(
        Verifier::for_settings(None, None).unwrap_err(),
        ConfigError::NoKey
    );
}
