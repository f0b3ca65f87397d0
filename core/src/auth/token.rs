//! What every sign-in mode hands out and how it is asked: the token, the [`TokenSource`] trait
//! and what a source knows about how it signs in. The bottom of `auth/`: every mode builds on it.

use std::time::SystemTime;

use zeroize::Zeroizing;

use crate::call_context::CallContext;
use crate::cloud::Cloud;
use crate::error::Result;

/// How a token source signs in, as far as the source knows (the token tells the rest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInIdentity {
    /// The config's `mode` tag: `accessToken`, `clientSecret`, `certificate`, `managedIdentity`,
    /// `deviceCode`. Empty means `accessToken`.
    pub auth_mode: String,
    /// The cloud signed in to, when the source knows it.
    pub cloud: Option<Cloud>,
    /// Application (client) ID used to sign in.
    pub client_id: Option<String>,
    /// A description of the identity (managed identity kind, certificate thumbprint).
    pub identity: Option<String>,
}

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
    /// A token valid for at least a few more minutes. `call` carries the caller's cancellation,
    /// events and per-call limits (timeouts, retries), which the sign-in exchange honours.
    fn token<'a>(
        &'a self,
        call: &'a CallContext,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<AccessToken>> + Send + 'a>>;

    /// How this source signs in (mode, client ID, identity), for [`ConnectionInfo`](super::ConnectionInfo). Sources that
    /// know nothing beyond the token keep the default (`accessToken`).
    fn sign_in_identity(&self) -> SignInIdentity {
        SignInIdentity::default()
    }

    /// The same credentials signing in to another tenant, with a token cache of its own: what a
    /// fleet run with one application connection uses for each tenant (a multi-tenant app
    /// consented in each). `None` for sign-ins that belong to one tenant: a signed-in user, a
    /// managed identity, a given access token.
    fn for_tenant(&self, tenant: &str) -> Option<Result<std::sync::Arc<dyn TokenSource>>> {
        let _ = tenant;
        None
    }
}
