//! A ready access token passed by the caller (e.g. from `Get-AzAccessToken` or `Get-MgContext`).
//!
//! The token is never refreshed: once it expires the call fails with an Authentication error
//! naming the expiry time, before anything is sent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zeroize::Zeroizing;

use super::claims::{decode_claims, TokenClaims};
use super::token::{AccessToken, TokenSource};
use crate::call_context::CallContext;
use crate::error::{Error, ErrorKind, Result};

/// A token source that hands out one fixed token.
pub struct StaticTokenSource {
    token: AccessToken,
    claims: Option<TokenClaims>,
}

impl std::fmt::Debug for StaticTokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticTokenSource")
            .field("token", &"<redacted>")
            .field("expires_at", &self.token.expires_at)
            .field("tenant", &self.tenant_id())
            .finish()
    }
}

impl StaticTokenSource {
    /// Builds the source from the secret bytes: UTF-8, whitespace trimmed, a leading `Bearer `
    /// (any case) stripped. Empty or non-UTF-8 → [`ErrorKind::InvalidArgument`]. A token that is not
    /// a JWT is accepted (opaque tokens exist); its tenant and expiry are then unknown.
    pub fn new(secret: Zeroizing<Vec<u8>>) -> Result<StaticTokenSource> {
        let text = std::str::from_utf8(&secret)
            .map_err(|_| Error::invalid_argument("The access token is not valid UTF-8 text."))?;
        let mut t = text.trim();
        // "Bearer" alone (trimmed) or followed by whitespace is the scheme, not the token.
        if t.len() >= 6
            && t.is_char_boundary(6)
            && t[..6].eq_ignore_ascii_case("bearer")
            && t[6..].chars().next().is_none_or(char::is_whitespace)
        {
            t = t[6..].trim_start();
        }
        if t.is_empty() {
            return Err(Error::invalid_argument(
                "No access token was given. Pass the token text (for example from Get-AzAccessToken), \
                 or choose another authentication mode.",
            ));
        }
        if let Some(why) = token_text_problem(t) {
            return Err(Error::invalid_argument(format!(
                "The access token is not valid: it contains {why}. Nothing was sent."
            ))
            .with_recommended_action(
                "Pass the token text alone (one line, as Get-AzAccessToken or the sign-in answer \
                 gives it), without line breaks or other characters around it.",
            ));
        }
        let token = Zeroizing::new(t.to_string());
        let claims = decode_claims(&token);
        let expires_at = claims
            .as_ref()
            .and_then(|c| c.exp)
            .and_then(|s| u64::try_from(s).ok())
            .map(|s| UNIX_EPOCH + Duration::from_secs(s));
        Ok(StaticTokenSource {
            token: AccessToken { token, expires_at },
            claims,
        })
    }

    /// The token's `tid` claim, when it is a JWT that has one.
    pub fn tenant_id(&self) -> Option<&str> {
        self.claims.as_ref().and_then(|c| c.tid.as_deref())
    }

    /// The token's claims, when it is a JWT.
    pub fn claims(&self) -> Option<&TokenClaims> {
        self.claims.as_ref()
    }

    fn check_not_expired(&self) -> Result<()> {
        match self.token.expires_at {
            Some(at) if at <= SystemTime::now() => Err(Error::new(
                ErrorKind::Authentication,
                format!(
                    "The access token expired at {}. Nothing was sent.",
                    format_time(at)
                ),
            )
            .with_recommended_action(
                "Get a new access token (tokens last about an hour), or use an authentication \
                 mode that refreshes tokens itself (client secret, certificate, managed identity).",
            )),
            _ => Ok(()),
        }
    }
}

/// What makes `token` unusable as a bearer token, if anything: a token is one line of printable
/// ASCII (RFC 6750's token68 and the opaque forms seen in the field). A line break or another
/// control character cannot go into an HTTP header, so sending would fail on every retry; it is
/// refused at once instead. The token itself never appears in the answer.
pub(crate) fn token_text_problem(token: &str) -> Option<&'static str> {
    let bad = token.chars().find(|c| !c.is_ascii_graphic())?;
    Some(match bad {
        '\r' | '\n' => "a line break (CR or LF)",
        ' ' | '\t' => "white space inside it",
        c if c.is_control() => "a control character",
        _ => "a character outside printable ASCII",
    })
}

/// `2026-01-02T03:04:05Z`.
pub(crate) fn format_time(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::<chrono::Utc>::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| format!("{secs} (seconds since 1970)"))
}

impl TokenSource for StaticTokenSource {
    fn token<'a>(
        &'a self,
        _call: &'a CallContext,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<AccessToken>> + Send + 'a>> {
        Box::pin(async move {
            self.check_not_expired()?;
            Ok(self.token.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::claims::fake_jwt;
    use serde_json::json;

    fn secret(s: &str) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(s.as_bytes().to_vec())
    }

    fn get(src: &StaticTokenSource) -> Result<AccessToken> {
        crate::runtime::block_on(src.token(&CallContext::new()))
    }

    #[test]
    fn trims_and_strips_bearer_and_reads_the_tenant() {
        let jwt = fake_jwt(&json!({"tid": "tenant-1", "exp": 4_000_000_000u64}));
        let src = StaticTokenSource::new(secret(&format!("  bearer {jwt}\r\n"))).unwrap();
        assert_eq!(src.tenant_id(), Some("tenant-1"));
        let tok = get(&src).unwrap();
        assert_eq!(tok.token.as_str(), jwt);
        assert!(tok.expires_at.is_some());
    }

    #[test]
    fn opaque_tokens_are_allowed_without_tenant() {
        let src = StaticTokenSource::new(secret("Bearer opaque-value")).unwrap();
        assert_eq!(src.tenant_id(), None);
        assert_eq!(get(&src).unwrap().token.as_str(), "opaque-value");
    }

    #[test]
    fn empty_token_is_invalid_argument() {
        for s in ["", "   ", "Bearer ", "bearer    \n"] {
            let err = StaticTokenSource::new(secret(s)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{s:?}");
        }
        let err = StaticTokenSource::new(Zeroizing::new(vec![0xff, 0xfe])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    }

    #[test]
    fn a_token_with_a_line_break_or_control_character_is_invalid_at_once() {
        let jwt = fake_jwt(&json!({"tid": "t", "exp": 4_000_000_000u64}));
        let (head, tail) = jwt.split_at(20);
        for (bad, why) in [
            (format!("{head}\r\nX-Injected: 1\r\n{tail}"), "line break"),
            (format!("{head}\n{tail}"), "line break"),
            (format!("{head}\u{0}{tail}"), "control character"),
            (format!("{head} {tail}"), "white space"),
            (format!("{head}\u{202e}{tail}"), "outside printable ASCII"),
        ] {
            let err = StaticTokenSource::new(secret(&bad)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
            assert!(err.message().contains(why), "{}", err.message());
            assert!(!err.message().contains(head) && !err.message().contains(tail));
        }
        // Around the token, white space (a line read from a file) is still trimmed.
        StaticTokenSource::new(secret(&format!("Bearer {jwt}\r\n"))).unwrap();
    }

    #[test]
    fn expired_token_fails_before_sending_naming_the_time() {
        let jwt = fake_jwt(&json!({"tid": "t", "exp": 1_700_000_000}));
        let src = StaticTokenSource::new(secret(&jwt)).unwrap();
        let err = get(&src).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert!(
            err.message().contains("2023-11-14T22:13:20Z"),
            "{}",
            err.message()
        );
        assert!(!err.message().contains(&jwt));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let src = StaticTokenSource::new(secret("super-secret-token")).unwrap();
        let dbg = format!("{src:?}");
        assert!(!dbg.contains("super-secret-token"));
        assert!(dbg.contains("redacted"));
    }
}
