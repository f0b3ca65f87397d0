//! Reading (never verifying) the claims of an Entra ID access token.
//!
//! The core does not validate tokens — Graph does. It only peeks at the payload to learn the
//! tenant (`tid`), the expiry (`exp`), and what the token grants (`scp`, `roles`, `wids`) so it can
//! explain a refusal before sending anything. Opaque (non-JWT) tokens simply yield `None`.

use base64::Engine as _;
use serde_json::Value;

/// The claims the core uses. Every field is optional in practice, so absent claims are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenClaims {
    /// Tenant ID (`tid`).
    pub tid: Option<String>,
    /// Audience (`aud`): the Graph host or Graph's app ID. The first one when it is an array.
    pub aud: Option<String>,
    /// Expiry, seconds since the Unix epoch (`exp`; a number or a numeric string).
    pub exp: Option<i64>,
    /// Delegated scopes (`scp`, space-separated in the token).
    pub scp: Vec<String>,
    /// Application permissions (`roles`).
    pub roles: Vec<String>,
    /// Directory role template IDs of a delegated user (`wids`); `None` when the token has no
    /// `wids` claim (Entra omits it, e.g. for apps that emit group claims), which says nothing
    /// about the user's roles, unlike an empty list.
    pub wids: Option<Vec<String>>,
    /// Client application ID (`appid`, or `azp` in v2 tokens).
    pub appid: Option<String>,
    /// User principal name (`upn`, else `preferred_username`/`unique_name`).
    pub upn: Option<String>,
    /// Object ID of the user or service principal (`oid`).
    pub oid: Option<String>,
}

impl TokenClaims {
    /// Whether the token is delegated (a user signed in): it carries `scp`.
    pub fn is_delegated(&self) -> bool {
        !self.scp.is_empty()
    }
}

/// Decodes the payload of a JWT (`header.payload.signature`) without verifying it. `None` when the
/// token is not a JWT with a JSON object payload.
pub fn decode_claims(token: &str) -> Option<TokenClaims> {
    let mut parts = token.trim().split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        // Five parts would be an encrypted JWE: nothing readable.
        return None;
    }
    // base64url without padding per RFC 7515; tolerate padding some encoders add.
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let obj = v.as_object()?;

    let string = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_string);
    let list = |key: &str| -> Vec<String> {
        match obj.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
            _ => Vec::new(),
        }
    };
    let aud = match obj.get("aud") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    let exp = match obj.get("exp") {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    Some(TokenClaims {
        tid: string("tid"),
        aud,
        exp,
        scp: list("scp"),
        roles: list("roles"),
        wids: obj.get("wids").map(|_| list("wids")),
        appid: string("appid").or_else(|| string("azp")),
        upn: string("upn")
            .or_else(|| string("preferred_username"))
            .or_else(|| string("unique_name")),
        oid: string("oid"),
    })
}

#[cfg(test)]
pub(crate) fn fake_jwt(payload: &Value) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        e.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        e.encode(payload.to_string()),
        e.encode(b"not-a-real-signature")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_delegated_claims() {
        let t = fake_jwt(&json!({
            "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "aud": "https://graph.microsoft.com",
            "exp": 1_900_000_000,
            "scp": "PeopleSettings.Read.All User.Read",
            "wids": ["024906de-61e5-49c8-8572-40335f1e0e10"],
            "appid": "14d82eec-204b-4c2f-b7e8-296a70dab67e",
            "upn": "admin@contoso.com",
            "oid": "o1"
        }));
        let c = decode_claims(&t).unwrap();
        assert_eq!(
            c.tid.as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert_eq!(c.aud.as_deref(), Some("https://graph.microsoft.com"));
        assert_eq!(c.exp, Some(1_900_000_000));
        assert_eq!(c.scp, ["PeopleSettings.Read.All", "User.Read"]);
        assert_eq!(
            c.wids.as_deref(),
            Some(&["024906de-61e5-49c8-8572-40335f1e0e10".to_string()][..])
        );
        assert!(c.roles.is_empty());
        assert!(c.is_delegated());
        assert_eq!(c.upn.as_deref(), Some("admin@contoso.com"));
        assert_eq!(c.oid.as_deref(), Some("o1"));
    }

    #[test]
    fn reads_application_claims_and_string_exp() {
        let t = fake_jwt(
            &json!({"tid": "t", "roles": ["PeopleSettings.ReadWrite.All"], "exp": "1900000000", "azp": "app"}),
        );
        let c = decode_claims(&t).unwrap();
        assert_eq!(c.roles, ["PeopleSettings.ReadWrite.All"]);
        assert_eq!(c.exp, Some(1_900_000_000));
        assert_eq!(c.appid.as_deref(), Some("app"));
        assert!(!c.is_delegated());
        assert_eq!(c.wids, None, "no wids claim is not an empty one");
    }

    #[test]
    fn opaque_or_broken_tokens_give_none() {
        for t in [
            "",
            "opaque-token-value",
            "a.b",
            "a.!!!.c",
            "a.b.c.d.e",
            "eyJhbGciOiJub25lIn0.WzFd.sig", // payload is an array
        ] {
            assert_eq!(decode_claims(t), None, "{t}");
        }
    }
}
