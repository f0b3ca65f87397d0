//! Access tokens the emulator mints and checks.
//!
//! Tokens are JWTs signed with HS256 and a random per-process secret: clients never verify a
//! token's signature, but the Graph side does, so a token the emulator did not mint is refused
//! (401), just as Graph refuses a forged one. No RSA key generation is needed.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::clouds::{self, GRAPH_APP_ID};

/// What a test asks for when it mints a token (`POST /_emulator/tokens` takes the same fields in
/// camelCase). Give `scp` for a delegated token or `roles` for an application token.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenSpec {
    /// The tenant the token is for (`tid`).
    pub tenant_id: String,
    /// Delegated scopes, space-separated (e.g. `PeopleSettings.ReadWrite.All`).
    #[serde(default)]
    pub scp: Option<String>,
    /// Application roles (e.g. `["PeopleSettings.Read.All"]`).
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Directory role template IDs of the signed-in user (delegated tokens).
    #[serde(default)]
    pub wids: Vec<String>,
    /// Leaves the `wids` claim out of a delegated token, as Entra does in some configurations
    /// (an app that emits group claims): the token then says nothing about the user's roles.
    /// Graph, which cannot see them here, refuses the policy as for a user without a role.
    #[serde(default)]
    pub omit_wids: bool,
    /// Audience; defaults to the cloud's Graph host (`https://graph.microsoft.com`).
    #[serde(default)]
    pub aud: Option<String>,
    /// Lifetime in seconds from now; may be negative for an already expired token. Default 3600.
    #[serde(default)]
    pub expires_in_seconds: Option<i64>,
    /// Cloud name (`Global`, `USGov`, `USGovDoD`, `China`) picking the default audience.
    #[serde(default)]
    pub cloud: Option<String>,
    /// Client ID of the app the token was issued to (`appid`).
    #[serde(default)]
    pub app_id: Option<String>,
    /// User principal name (delegated tokens).
    #[serde(default)]
    pub upn: Option<String>,
    /// Object ID of the user or service principal (`oid`); a new GUID when omitted. Photo writes
    /// are judged against the directory's role assignments of this principal.
    #[serde(default)]
    pub object_id: Option<String>,
}

impl TokenSpec {
    /// An application (app-only) token with these app roles.
    pub fn app(tenant_id: &str, roles: &[&str]) -> Self {
        Self {
            tenant_id: tenant_id.to_string(),
            roles: Some(roles.iter().map(|r| r.to_string()).collect()),
            ..Self::default()
        }
    }

    /// A delegated token with these scopes (space-separated) and directory roles (`wids`).
    pub fn delegated(tenant_id: &str, scp: &str, wids: &[&str]) -> Self {
        Self {
            tenant_id: tenant_id.to_string(),
            scp: Some(scp.to_string()),
            wids: wids.iter().map(|w| w.to_string()).collect(),
            upn: Some(format!("admin@{tenant_id}")),
            ..Self::default()
        }
    }

    /// Leaves the `wids` claim out (see [`TokenSpec::omit_wids`]).
    pub fn without_wids(mut self) -> Self {
        self.omit_wids = true;
        self.wids.clear();
        self
    }

    /// Sets the lifetime in seconds from now (negative: already expired).
    pub fn expires_in(mut self, seconds: i64) -> Self {
        self.expires_in_seconds = Some(seconds);
        self
    }

    /// Sets the audience.
    pub fn audience(mut self, aud: &str) -> Self {
        self.aud = Some(aud.to_string());
        self
    }

    /// Sets the object ID (`oid`) of the user or service principal the token stands for.
    pub fn object_id(mut self, oid: &str) -> Self {
        self.object_id = Some(oid.to_string());
        self
    }

    /// Sets the cloud (`Global`, `USGov`, `USGovDoD`, `China`), which picks the audience.
    pub fn cloud(mut self, cloud: &str) -> Self {
        self.cloud = Some(cloud.to_string());
        self
    }
}

/// The claims of an emulator token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// Audience.
    pub aud: String,
    /// Issuer (`https://sts.windows.net/{tid}/`).
    pub iss: String,
    /// Issued at, epoch seconds.
    pub iat: i64,
    /// Not before, epoch seconds.
    pub nbf: i64,
    /// Expiry, epoch seconds.
    pub exp: i64,
    /// Tenant.
    pub tid: String,
    /// Object ID of the user or service principal.
    pub oid: String,
    /// Client ID of the calling app.
    pub appid: String,
    /// Delegated scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// Application roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// Directory role template IDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wids: Option<Vec<String>>,
    /// User principal name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// Token version, as Entra writes it.
    pub ver: String,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    /// No usable `Authorization: Bearer` header.
    Missing,
    /// Not a JWT, or claims of the wrong shape.
    Malformed,
    /// Not signed by this emulator.
    BadSignature,
    /// `exp` is in the past.
    Expired,
    /// The audience is not Graph (or is another cloud's Graph).
    WrongAudience,
}

impl TokenRejection {
    /// The message Graph gives for this kind of refusal.
    pub fn message(&self) -> &'static str {
        match self {
            TokenRejection::Missing => "Access token is empty.",
            TokenRejection::Malformed => "IDX14100: JWT is not well formed.",
            TokenRejection::BadSignature => {
                "Access token validation failure. The token signature is invalid."
            }
            TokenRejection::Expired => "Lifetime validation failed, the token is expired.",
            TokenRejection::WrongAudience => "Access token validation failure. Invalid audience.",
        }
    }
}

/// Now, in epoch seconds.
pub fn now_epoch() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The per-process signing key.
pub struct TokenKeys {
    secret: Vec<u8>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(<redacted>)")
    }
}

impl Default for TokenKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenKeys {
    /// A fresh random key (two v4 UUIDs: 244 random bits).
    pub fn new() -> Self {
        let mut secret = Vec::with_capacity(32);
        secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self { secret }
    }

    /// Mints a token for `spec`. The error names a bad cloud or an empty tenant.
    pub fn mint(&self, spec: &TokenSpec) -> Result<(String, Claims), String> {
        if spec.tenant_id.trim().is_empty() {
            return Err("tenantId is required to mint a token.".into());
        }
        let aud = match (&spec.aud, &spec.cloud) {
            (Some(aud), _) => aud.clone(),
            (None, Some(cloud)) => {
                let host = clouds::graph_host_of_cloud(cloud).ok_or_else(|| {
                    format!("Unknown cloud '{cloud}'. Allowed: Global, USGov, USGovDoD, China.")
                })?;
                format!("https://{host}")
            }
            (None, None) => "https://graph.microsoft.com".to_string(),
        };
        let now = now_epoch();
        let lifetime = spec.expires_in_seconds.unwrap_or(3600);
        let delegated = spec.scp.is_some();
        let claims = Claims {
            aud,
            iss: format!("https://sts.windows.net/{}/", spec.tenant_id),
            iat: now.min(now + lifetime) - 1,
            nbf: now.min(now + lifetime) - 1,
            exp: now + lifetime,
            tid: spec.tenant_id.clone(),
            oid: spec
                .object_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            appid: spec
                .app_id
                .clone()
                .unwrap_or_else(|| "14d82eec-204b-4c2f-b7e8-296a70dab67e".to_string()),
            scp: spec.scp.clone(),
            roles: spec.roles.clone(),
            wids: if spec.omit_wids {
                None
            } else if delegated || !spec.wids.is_empty() {
                Some(spec.wids.clone())
            } else {
                None
            },
            upn: spec.upn.clone(),
            ver: "1.0".into(),
        };
        Ok((self.sign(&claims)?, claims))
    }

    /// Signs claims as a JWT.
    pub fn sign(&self, claims: &Claims) -> Result<String, String> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("graph-emulator".into());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(&self.secret))
            .map_err(|e| format!("could not sign a token: {e}"))
    }

    /// Checks a bearer token: signature, expiry, and that the audience is Graph. When the request
    /// came for one cloud's Graph host (`expected_host`), an audience naming another cloud's Graph
    /// host is refused: tokens from one cloud are not valid in another.
    pub fn verify(
        &self,
        token: &str,
        expected_host: Option<&str>,
    ) -> Result<Claims, TokenRejection> {
        if token.trim().is_empty() {
            return Err(TokenRejection::Missing);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Claims>(
            token.trim(),
            &DecodingKey::from_secret(&self.secret),
            &validation,
        )
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature
            | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => TokenRejection::BadSignature,
            _ => TokenRejection::Malformed,
        })?;
        let claims = data.claims;
        if claims.exp <= now_epoch() {
            return Err(TokenRejection::Expired);
        }
        let aud_host = if claims.aud == GRAPH_APP_ID {
            None
        } else {
            Some(clouds::graph_host_of_resource(&claims.aud).ok_or(TokenRejection::WrongAudience)?)
        };
        if let (Some(expected), Some(aud)) = (expected_host, aud_host) {
            if expected != aud {
                return Err(TokenRejection::WrongAudience);
            }
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_verify_and_foreign_ones_do_not() {
        let keys = TokenKeys::new();
        let (tok, _) = keys
            .mint(&TokenSpec::app("t1", &["PeopleSettings.Read.All"]))
            .unwrap();
        let claims = keys.verify(&tok, None).unwrap();
        assert_eq!(claims.tid, "t1");
        assert_eq!(
            TokenKeys::new().verify(&tok, None),
            Err(TokenRejection::BadSignature)
        );
        assert_eq!(keys.verify("abc", None), Err(TokenRejection::Malformed));
        let (old, _) = keys
            .mint(&TokenSpec::app("t1", &[]).expires_in(-5))
            .unwrap();
        assert_eq!(keys.verify(&old, None), Err(TokenRejection::Expired));
        let (us, _) = keys
            .mint(&TokenSpec::app("t1", &[]).cloud("USGov"))
            .unwrap();
        assert_eq!(
            keys.verify(&us, Some("graph.microsoft.com")),
            Err(TokenRejection::WrongAudience)
        );
        assert!(keys.verify(&us, Some("graph.microsoft.us")).is_ok());
        let (bad_aud, _) = keys
            .mint(&TokenSpec::app("t1", &[]).audience("https://management.azure.com"))
            .unwrap();
        assert_eq!(
            keys.verify(&bad_aud, None),
            Err(TokenRejection::WrongAudience)
        );
    }
}
