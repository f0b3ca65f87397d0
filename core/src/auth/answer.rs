//! Reading a successful token answer, from Entra ID or a managed identity endpoint.
//!
//! The answers disagree on types: Entra sends `expires_in` as a number, IMDS sends every value as
//! a string, App Service sends `expires_on` (epoch seconds) as a string or a number and no
//! `expires_in` at all. One helper reads "number or numeric string" everywhere.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use zeroize::Zeroizing;

use super::token::AccessToken;
use crate::error::{Error, ErrorKind, Result};

/// Reads a JSON value that is a non-negative integer, either as a number (`3599`, `3599.0`) or as
/// a numeric string (`"3599"`, `" 3599 "`). Anything else gives `None`.
pub fn number_or_string(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1e15)
                .map(|f| f as u64)
        }),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<u64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1e15)
                    .map(|f| f as u64)
            })
        }
        _ => None,
    }
}

/// A parsed token answer: the access token and, for delegated flows, a refresh token.
pub(crate) struct TokenAnswer {
    /// The access token with its expiry.
    pub token: AccessToken,
    /// A refresh token, when the service sent one (device code with `offline_access`).
    pub refresh_token: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("token", &self.token)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Parses a 2xx token answer. The expiry is taken from `expires_on` (absolute epoch seconds),
/// else `expires_in` (relative to `now`), else the token's own `exp` claim.
pub(crate) fn parse_token_answer(body: &[u8], now: SystemTime, what: &str) -> Result<TokenAnswer> {
    let invalid = |detail: &str| {
        Error::new(
            ErrorKind::InvalidResponse,
            format!(
                "The {what} answered success but the answer could not be understood: {detail}."
            ),
        )
    };
    let mut json: Value = serde_json::from_slice(body).map_err(|_| invalid("it is not JSON"))?;
    let obj = json
        .as_object_mut()
        .ok_or_else(|| invalid("it is not a JSON object"))?;
    let token = match obj.remove("access_token") {
        Some(Value::String(mut s)) if super::static_token::token_text_problem(&s).is_some() => {
            let why = super::static_token::token_text_problem(&s).unwrap_or_default();
            zeroize::Zeroize::zeroize(&mut s);
            return Err(invalid(&format!("access_token contains {why}")));
        }
        Some(Value::String(s)) if !s.trim().is_empty() => Zeroizing::new(s),
        Some(Value::String(mut s)) => {
            zeroize::Zeroize::zeroize(&mut s);
            return Err(invalid("access_token is empty"));
        }
        _ => return Err(invalid("it has no access_token")),
    };
    let refresh_token = match obj.remove("refresh_token") {
        Some(Value::String(s)) if !s.is_empty() => Some(Zeroizing::new(s)),
        _ => None,
    };
    let expires_at = obj
        .get("expires_on")
        .and_then(number_or_string)
        .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
        .or_else(|| {
            obj.get("expires_in")
                .and_then(number_or_string)
                .map(|secs| now + Duration::from_secs(secs))
        })
        .or_else(|| jwt_exp(&token).map(|secs| UNIX_EPOCH + Duration::from_secs(secs)));
    Ok(TokenAnswer {
        token: AccessToken { token, expires_at },
        refresh_token,
    })
}

/// The `exp` claim of a JWT, without checking the signature (we only want to know when to
/// refresh). Opaque tokens give `None`.
pub(crate) fn jwt_exp(token: &str) -> Option<u64> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = Zeroizing::new(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?,
    );
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("exp").and_then(number_or_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn number_or_string_reads_both_shapes() {
        assert_eq!(number_or_string(&json!(3599)), Some(3599));
        assert_eq!(number_or_string(&json!("3599")), Some(3599));
        assert_eq!(
            number_or_string(&json!(" 1700000000 ")),
            Some(1_700_000_000)
        );
        assert_eq!(number_or_string(&json!(3599.0)), Some(3599));
        assert_eq!(number_or_string(&json!("3599.0")), Some(3599));
        assert_eq!(number_or_string(&json!(-1)), None);
        assert_eq!(number_or_string(&json!("soon")), None);
        assert_eq!(number_or_string(&json!(1.5)), None);
        assert_eq!(number_or_string(&json!(null)), None);
        assert_eq!(number_or_string(&json!(true)), None);
    }

    #[test]
    fn expiry_from_expires_on_string_number_and_expires_in() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let a =
            parse_token_answer(br#"{"access_token":"t","expires_on":"5000"}"#, now, "x").unwrap();
        assert_eq!(
            a.token.expires_at,
            Some(UNIX_EPOCH + Duration::from_secs(5000))
        );
        let a = parse_token_answer(br#"{"access_token":"t","expires_on":5000}"#, now, "x").unwrap();
        assert_eq!(
            a.token.expires_at,
            Some(UNIX_EPOCH + Duration::from_secs(5000))
        );
        let a = parse_token_answer(br#"{"access_token":"t","expires_in":"60"}"#, now, "x").unwrap();
        assert_eq!(a.token.expires_at, Some(now + Duration::from_secs(60)));
        let a = parse_token_answer(
            br#"{"access_token":"t","expires_in":60,"refresh_token":"r"}"#,
            now,
            "x",
        )
        .unwrap();
        assert_eq!(a.refresh_token.as_deref().map(String::as_str), Some("r"));
    }

    #[test]
    fn expiry_falls_back_to_jwt_exp() {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":4242}"#);
        let body = format!(r#"{{"access_token":"h.{payload}.s"}}"#);
        let a = parse_token_answer(body.as_bytes(), UNIX_EPOCH, "x").unwrap();
        assert_eq!(
            a.token.expires_at,
            Some(UNIX_EPOCH + Duration::from_secs(4242))
        );
    }

    #[test]
    fn bad_answers_are_invalid_response_without_echoing_the_body() {
        for body in [
            &b"not json"[..],
            br#"[]"#,
            br#"{"token_type":"Bearer"}"#,
            br#"{"access_token":""}"#,
        ] {
            let e = parse_token_answer(body, UNIX_EPOCH, "sign-in service").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        }
    }
}
