//! Federated identity credentials (workload identity federation): an app accepts a token issued
//! by an external identity provider (GitHub Actions, Kubernetes, Azure Pipelines, …) as its
//! client assertion, when the token's issuer, subject and audience match a credential registered
//! on the app. No secret is involved.
//!
//! The emulator plays the external provider too: `POST /_emulator/federated/tokens` mints an
//! OIDC-style token signed with a key only this emulator holds, and the token endpoint checks
//! presented assertions with that key, as Entra ID checks them with the issuer's published keys.

// Handlers return an error answer as `Err(Response)`: built at most once per request.
#![allow(clippy::result_large_err)]

use axum::http::StatusCode;
use axum::response::Response;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::errors::aadsts;
use crate::state::RegisteredApp;
use crate::tokens::now_epoch;

/// The audience Entra ID expects in external tokens by default.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Key id written in the header of the external tokens this emulator mints.
const ISSUER_KID: &str = "graph-emulator-oidc";

/// A federated identity credential on an app registration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FederatedCredential {
    /// The external provider's issuer URL, e.g. `https://token.actions.githubusercontent.com`.
    pub issuer: String,
    /// The subject the external token must name, e.g. `repo:contoso/policy:ref:refs/heads/main`.
    pub subject: String,
    /// Accepted audiences; `api://AzureADTokenExchange` when empty.
    #[serde(default)]
    pub audiences: Vec<String>,
}

impl FederatedCredential {
    /// A credential for `issuer` + `subject` with the default audience.
    pub fn new(issuer: &str, subject: &str) -> Self {
        Self {
            issuer: issuer.to_string(),
            subject: subject.to_string(),
            audiences: Vec::new(),
        }
    }

    /// Checks a registration: issuer and subject are required.
    pub fn check(&self) -> Result<(), String> {
        if self.issuer.trim().is_empty() || self.subject.trim().is_empty() {
            return Err("A federated credential needs an issuer and a subject.".into());
        }
        Ok(())
    }

    fn accepts_audience(&self, aud: &str) -> bool {
        if self.audiences.is_empty() {
            aud == TOKEN_EXCHANGE_AUDIENCE
        } else {
            self.audiences.iter().any(|a| a == aud)
        }
    }
}

/// What a test asks for when it mints an external token (`POST /_emulator/federated/tokens`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalTokenSpec {
    /// Issuer (`iss`).
    pub issuer: String,
    /// Subject (`sub`).
    pub subject: String,
    /// Audience (`aud`); `api://AzureADTokenExchange` when absent.
    #[serde(default)]
    pub audience: Option<String>,
    /// Lifetime in seconds from now (negative: already expired); default 600.
    #[serde(default)]
    pub expires_in_seconds: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ExternalClaims {
    iss: String,
    sub: String,
    aud: Value,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
}

/// The external provider's signing key (random per process).
pub struct IssuerKeys {
    secret: Vec<u8>,
}

impl std::fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuerKeys(<redacted>)")
    }
}

impl Default for IssuerKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl IssuerKeys {
    /// A fresh random key.
    pub fn new() -> Self {
        let mut secret = Vec::with_capacity(32);
        secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self { secret }
    }

    /// Mints an external token. The error names what is missing.
    pub fn mint(&self, spec: &ExternalTokenSpec) -> Result<String, String> {
        if spec.issuer.trim().is_empty() || spec.subject.trim().is_empty() {
            return Err("An external token needs an issuer and a subject.".into());
        }
        let now = now_epoch();
        let lifetime = spec.expires_in_seconds.unwrap_or(600);
        let claims = ExternalClaims {
            iss: spec.issuer.clone(),
            sub: spec.subject.clone(),
            aud: Value::String(
                spec.audience
                    .clone()
                    .unwrap_or_else(|| TOKEN_EXCHANGE_AUDIENCE.to_string()),
            ),
            iat: now.min(now + lifetime) - 1,
            nbf: now.min(now + lifetime) - 1,
            exp: now + lifetime,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(ISSUER_KID.into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&self.secret))
            .map_err(|e| format!("could not sign an external token: {e}"))
    }

    /// Checks an external token presented as a client assertion for `app`, as Entra ID does: a
    /// signature by the issuer's key, a federated credential of the app matching issuer, subject
    /// and audience, and the token's lifetime.
    pub fn check_assertion(&self, app: &RegisteredApp, assertion: &str) -> Result<(), Response> {
        let fail = |status: StatusCode, code: u32, text: &str| {
            aadsts(status, "invalid_client", code, text)
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<ExternalClaims>(
            assertion,
            &DecodingKey::from_secret(&self.secret),
            &validation,
        )
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature
            | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => fail(
                StatusCode::UNAUTHORIZED,
                700213,
                "The signature of the presented assertion could not be verified with the issuer's keys.",
            ),
            _ => fail(
                StatusCode::BAD_REQUEST,
                50027,
                "JWT token is invalid or malformed: the external token lacks iss, sub, aud, iat, nbf, exp or jti.",
            ),
        })?
        .claims;
        let audiences: Vec<&str> = match &claims.aud {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let matched = app.app.federated_credentials.iter().any(|c| {
            c.issuer == claims.iss
                && c.subject == claims.sub
                && audiences.iter().any(|a| c.accepts_audience(a))
        });
        if !matched {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                70021,
                &format!(
                    "No matching federated identity record found for presented assertion. Assertion Issuer: '{}'. Assertion Subject: '{}'. Assertion Audience: '{}'.",
                    claims.iss,
                    claims.sub,
                    audiences.join(", ")
                ),
            ));
        }
        let now = now_epoch();
        if claims.exp <= now || claims.nbf > now + 300 {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                700024,
                &format!(
                    "Client assertion is not within its valid time range. Current time: {now}, assertion valid from {}, expiry time of assertion {}.",
                    claims.nbf, claims.exp
                ),
            ));
        }
        Ok(())
    }
}

/// True when an assertion is an external token rather than the app's own certificate assertion:
/// a certificate assertion is issued by the app itself (`iss` = client ID). Only apps with
/// federated credentials are asked (others report a wrong `iss` as a bad certificate assertion).
pub fn is_external_assertion(assertion: &str, client_id: &str) -> bool {
    use base64::Engine as _;
    let Some(payload) = assertion.split('.').nth(1) else {
        return false;
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload) else {
        return false;
    };
    let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
        return false;
    };
    v["iss"]
        .as_str()
        .is_some_and(|iss| !iss.eq_ignore_ascii_case(client_id))
}
