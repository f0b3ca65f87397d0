//! Sign-in: every way to get a Graph token, behind one trait.
//!
//! A client owns one [`TokenSource`], built from the config's [`AuthConfig`] and the secret bytes
//! the caller passed separately. Tokens are cached and refreshed a few minutes before expiry.
//! Secrets and tokens are zeroized on drop and never appear in `Debug`, errors or events.

use std::sync::Arc;
use std::time::SystemTime;

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

pub use crate::config::auth::{auth_mode_name, AuthConfig, DEFAULT_PUBLIC_CLIENT_ID};
pub use connection::{connection_info, ConnectionInfo, SignInIdentity};
pub use permissions::{check_permissions, Access};

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
