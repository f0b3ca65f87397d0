//! Sign-in: every way to get a Graph token, behind one trait.
//!
//! A client owns one [`TokenSource`], built from the config's [`AuthConfig`] and the secret bytes
//! the caller passed separately. Tokens are cached and refreshed a few minutes before expiry.
//! Secrets and tokens are zeroized on drop and never appear in `Debug`, errors or events.

use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

use crate::config::ClientConfig;
use crate::error::Result;
use crate::events::Events;

pub mod claims;
pub mod static_token;

// Sign-in modes (client secret, certificate, managed identity, device code) and their helpers.
pub mod answer;
pub mod cache;
pub mod certificate;
pub mod client_secret;
pub mod connection;
pub mod context;
pub mod device_code;
mod http;
pub mod managed_identity;
pub mod permissions;
pub mod rfc3339;
pub mod signin_error;
pub mod sources;

pub use connection::{connection_info, ConnectionInfo, SignInIdentity};
pub use permissions::{check_permissions, Access};

/// How the client gets its token. The `mode` tag is camelCase.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(tag = "mode", rename_all = "camelCase", deny_unknown_fields)]
pub enum AuthConfig {
    /// A ready access token, passed as the secret bytes (e.g. from `Get-AzAccessToken`).
    #[default]
    AccessToken,
    /// Client credentials with a client secret (the secret bytes).
    #[serde(rename_all = "camelCase")]
    ClientSecret {
        /// Application (client) ID.
        client_id: String,
    },
    /// Client credentials with a certificate. The secret bytes hold the private key (PKCS#8 PEM or
    /// DER); `certificate_pem` the public certificate, for the thumbprint.
    #[serde(rename_all = "camelCase")]
    Certificate {
        /// Application (client) ID.
        client_id: String,
        /// The certificate (PEM), public part only.
        certificate_pem: String,
        /// Use the older RS256 + `x5t` (SHA-1) assertion instead of PS256 + `x5t#S256`.
        #[serde(default)]
        legacy_rs256: bool,
    },
    /// Managed identity: system-assigned when no id is given, else user-assigned by one of them.
    #[serde(rename_all = "camelCase")]
    ManagedIdentity {
        /// User-assigned identity by client ID.
        #[serde(default)]
        client_id: Option<String>,
        /// User-assigned identity by object (principal) ID.
        #[serde(default)]
        object_id: Option<String>,
        /// User-assigned identity by Azure resource ID.
        #[serde(default)]
        resource_id: Option<String>,
        /// Forces the endpoint style (`appService`, `arc`, `imds`) instead of detecting it from
        /// the environment (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`, `IMDS_ENDPOINT`).
        #[serde(default)]
        style: Option<managed_identity::ManagedIdentityStyle>,
        /// Full token endpoint URL replacing `IDENTITY_ENDPOINT` or the IMDS address. Plain
        /// `http://` only on loopback or link-local addresses.
        #[serde(default)]
        endpoint: Option<String>,
        /// The Azure Arc agent's token folder, replacing the platform default.
        #[serde(default)]
        arc_token_dir: Option<String>,
    },
    /// Delegated sign-in with the device code flow.
    #[serde(rename_all = "camelCase")]
    DeviceCode {
        /// Public client ID; defaults to [`DEFAULT_PUBLIC_CLIENT_ID`].
        #[serde(default)]
        client_id: Option<String>,
    },
}

/// Public client used for device code sign-in when the caller names none: Microsoft Graph
/// Command Line Tools, the same first-party app `Connect-MgGraph` uses.
pub const DEFAULT_PUBLIC_CLIENT_ID: &str = "14d82eec-204b-4c2f-b7e8-296a70dab67e";

/// A bearer token and what is known about it. The token text is zeroized on drop and never
/// printed by `Debug`.
#[derive(Clone)]
pub struct AccessToken {
    /// The raw token.
    pub token: Zeroizing<String>,
    /// When it stops being valid, when known.
    pub expires_at: Option<SystemTime>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Something that hands out valid tokens, refreshing them as needed.
pub trait TokenSource: Send + Sync {
    /// A token valid for at least a few more minutes.
    fn token<'a>(
        &'a self,
        cancel: &'a CancellationToken,
        events: &'a Events,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<AccessToken>> + Send + 'a>>;

    /// How this source signs in (mode, client ID, identity), for [`ConnectionInfo`]. Sources that
    /// know nothing beyond the token keep the default (`accessToken`).
    fn sign_in_identity(&self) -> SignInIdentity {
        SignInIdentity::default()
    }
}

/// Builds the token source for `config`'s auth mode from the secret bytes the caller passed.
///
/// Kept a plain `match` on purpose: each auth mode adds one arm.
pub fn token_source(
    config: &ClientConfig,
    secret: Zeroizing<Vec<u8>>,
) -> Result<Arc<dyn TokenSource>> {
    match &config.auth {
        AuthConfig::AccessToken => Ok(Arc::new(static_token::StaticTokenSource::new(secret)?)),
        AuthConfig::ClientSecret { .. }
        | AuthConfig::Certificate { .. }
        | AuthConfig::ManagedIdentity { .. }
        | AuthConfig::DeviceCode { .. } => sources::build(config, secret),
    }
}

/// The `mode` tag of an auth config, as written in the config JSON.
pub fn auth_mode_name(auth: &AuthConfig) -> &'static str {
    match auth {
        AuthConfig::AccessToken => "accessToken",
        AuthConfig::ClientSecret { .. } => "clientSecret",
        AuthConfig::Certificate { .. } => "certificate",
        AuthConfig::ManagedIdentity { .. } => "managedIdentity",
        AuthConfig::DeviceCode { .. } => "deviceCode",
    }
}
