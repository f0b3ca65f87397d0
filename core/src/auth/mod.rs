//! Sign-in: every way to get a Graph token, behind one trait.
//!
//! A client owns one [`TokenSource`], built from the config's [`AuthConfig`] and the secret bytes
//! the caller passed separately. Tokens are cached and refreshed a few minutes before expiry.
//! Secrets and tokens are zeroized on drop and never appear in `Debug`, errors or events.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::config::ClientConfig;
use crate::error::Result;

pub mod claims;
pub mod static_token;
pub mod token;

// Sign-in modes (client secret, certificate, managed identity, device code, browser, federated)
// and their helpers.
pub mod answer;
mod assertion;
pub mod assertion_signer;
pub mod browser;
pub mod cache;
pub mod certificate;
mod certificate_info;
pub mod client_secret;
pub mod connection;
pub mod context;
pub mod device_code;
pub mod federated;
mod http;
mod loopback;
pub mod managed_identity;
pub mod permissions;
pub mod private_key;
mod refresh;
pub mod rfc3339;
pub mod signin_error;
pub mod sources;
pub mod tenant;

pub use crate::config::auth::{auth_mode_name, AuthConfig, DEFAULT_PUBLIC_CLIENT_ID};
pub use assertion_signer::{AssertionSigner, SignatureAlgorithm, SignerError};
pub use connection::{connection_info, ConnectionInfo};
pub use permissions::{check_permissions, Access};
pub use token::{AccessToken, SignInIdentity, TokenSource};

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
        | AuthConfig::DeviceCode { .. }
        | AuthConfig::Browser { .. }
        | AuthConfig::Federated { .. } => sources::build(config, secret),
    }
}

/// Builds a certificate sign-in whose client assertions `signer` signs where the key lives (see
/// [`sources::build_with_signer`]); `config.auth` must be the `certificate` mode.
pub fn token_source_with_signer(
    config: &ClientConfig,
    signer: Arc<dyn AssertionSigner>,
) -> Result<Arc<dyn TokenSource>> {
    sources::build_with_signer(config, signer)
}
