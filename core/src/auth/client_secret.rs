//! App-only sign-in with a client secret (OAuth 2.0 client credentials grant).

use zeroize::Zeroizing;

use super::cache::{Clock, TokenCache, TokenFuture};
use super::context::{validate_client_id, SignInContext};
use super::http::{post_for_token, ClientCredential};
use super::token::{AccessToken, SignInIdentity, TokenSource};
use crate::call_context::CallContext;
use crate::error::{Error, Result};

/// Signs in as an application with its client secret. The secret is held zeroizing and never
/// shown: `Debug` prints only the client ID and tenant.
pub struct ClientSecretSource {
    ctx: SignInContext,
    tenant: String,
    client_id: String,
    secret: Zeroizing<String>,
    cache: TokenCache,
}

impl std::fmt::Debug for ClientSecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecretSource")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl ClientSecretSource {
    /// Checks the inputs (tenant present, client ID a GUID, secret non-empty UTF-8) without
    /// sending anything. `secret` is consumed; our copy is zeroized when the source is dropped.
    pub fn new(ctx: SignInContext, client_id: &str, secret: Zeroizing<Vec<u8>>) -> Result<Self> {
        let tenant = ctx.require_tenant("a client secret")?.to_string();
        let client_id = validate_client_id(client_id)?;
        let text = std::str::from_utf8(&secret).map_err(|_| {
            Error::invalid_argument("The client secret is not valid UTF-8 text.")
                .with_target("ClientSecret")
        })?;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid_argument(
                "The client secret is empty: pass the secret's Value from Certificates & secrets.",
            )
            .with_target("ClientSecret"));
        }
        let secret = Zeroizing::new(trimmed.to_string());
        Ok(Self {
            ctx,
            tenant,
            client_id,
            secret,
            cache: TokenCache::default(),
        })
    }

    /// Replaces the cache's clock (tests make a cached token expire this way).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.cache = TokenCache::new(clock);
        self
    }

    async fn fetch(&self, call: &CallContext) -> Result<AccessToken> {
        post_for_token(
            &self.ctx,
            &self.ctx.token_url(&self.tenant),
            &self.client_id,
            ClientCredential::Secret(&self.secret),
            &format!("Client secret sign-in for application {}", self.client_id),
            &self.cache,
            call,
        )
        .await
    }
}

impl TokenSource for ClientSecretSource {
    fn token<'a>(&'a self, call: &'a CallContext) -> TokenFuture<'a> {
        self.cache
            .get_or_fetch_boxed(&call.cancel, move || self.fetch(call))
    }

    fn for_tenant(&self, tenant: &str) -> Option<Result<std::sync::Arc<dyn TokenSource>>> {
        Some(self.ctx.for_tenant(tenant).map(|ctx| {
            std::sync::Arc::new(Self {
                tenant: ctx.tenant.clone().unwrap_or_default(),
                ctx,
                client_id: self.client_id.clone(),
                secret: self.secret.clone(),
                cache: TokenCache::default(),
            }) as std::sync::Arc<dyn TokenSource>
        }))
    }

    fn sign_in_identity(&self) -> SignInIdentity {
        SignInIdentity {
            auth_mode: "clientSecret".into(),
            cloud: Some(self.ctx.cloud),
            client_id: Some(self.client_id.clone()),
            identity: None,
        }
    }
}
