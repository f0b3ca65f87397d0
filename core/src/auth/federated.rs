//! App-only sign-in with a federated credential (workload identity federation): a token issued
//! by another identity provider — GitHub Actions OIDC, a Kubernetes service account token, Azure
//! Pipelines — is sent as the client assertion (`client_assertion_type` jwt-bearer), so no secret
//! or certificate is stored anywhere. Entra ID accepts it when a federated credential on the app
//! names the token's issuer, subject and audience (`api://AzureADTokenExchange` by default).
//!
//! The external token is given as text, or as a file that is **read again at each sign-in**:
//! Kubernetes rotates the projected token file (`AZURE_FEDERATED_TOKEN_FILE`) about every hour.

use std::path::PathBuf;

use zeroize::Zeroizing;

use super::cache::{Clock, TokenCache, TokenFuture};
use super::context::{validate_client_id, SignInContext};
use super::http::{post_for_token, ClientCredential};
use super::token::{AccessToken, SignInIdentity, TokenSource};
use crate::call_context::CallContext;
use crate::error::{Error, Result};

/// Largest external token file read (they are a few KB).
const MAX_TOKEN_FILE: u64 = 64 * 1024;

/// Where the external token comes from.
pub enum ExternalToken {
    /// Given once (e.g. `-FederatedToken`); zeroized on drop.
    Text(Zeroizing<String>),
    /// Read at each sign-in (e.g. `AZURE_FEDERATED_TOKEN_FILE`).
    File(PathBuf),
}

impl std::fmt::Debug for ExternalToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExternalToken::Text(_) => f.write_str("Text(<redacted>)"),
            ExternalToken::File(p) => f.debug_tuple("File").field(p).finish(),
        }
    }
}

impl ExternalToken {
    /// The external token from secret bytes (UTF-8, trimmed, not empty).
    pub fn from_secret(secret: Zeroizing<Vec<u8>>) -> Result<Self> {
        let text = std::str::from_utf8(&secret).map_err(|_| {
            Error::invalid_argument("The federated token is not UTF-8 text.")
                .with_target("FederatedToken")
        })?;
        let t = text.trim();
        if t.is_empty() {
            return Err(Error::invalid_argument(
                "The federated token is empty: pass the identity provider's token (a JWT), or a file holding it.",
            )
            .with_target("FederatedToken"));
        }
        Ok(Self::Text(Zeroizing::new(t.to_string())))
    }

    /// The token text now: the given text, or the file's current contents.
    fn read(&self) -> Result<Zeroizing<String>> {
        let path = match self {
            ExternalToken::Text(t) => return Ok(t.clone()),
            ExternalToken::File(p) => p,
        };
        let shown = path.display().to_string();
        let unreadable = |why: String| {
            Error::invalid_argument(format!(
                "The federated token file '{shown}' cannot be used: {why}. On Kubernetes the workload \
                 identity webhook mounts it (AZURE_FEDERATED_TOKEN_FILE); in a CI job, write the \
                 job's OIDC token to it first."
            ))
            .with_target(shown.clone())
        };
        let meta = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
        if !meta.is_file() {
            return Err(unreadable("it is not a file".into()));
        }
        if meta.len() > MAX_TOKEN_FILE {
            return Err(unreadable(format!(
                "it is {} bytes, more than a token ({} bytes at most)",
                meta.len(),
                MAX_TOKEN_FILE
            )));
        }
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| unreadable(e.to_string()))?);
        let text =
            std::str::from_utf8(&bytes).map_err(|_| unreadable("it is not UTF-8 text".into()))?;
        let t = text.trim();
        if t.is_empty() {
            return Err(unreadable("it is empty".into()));
        }
        Ok(Zeroizing::new(t.to_string()))
    }
}

/// Signs in as an application with an external token as its client assertion.
pub struct FederatedSource {
    ctx: SignInContext,
    tenant: String,
    client_id: String,
    token: ExternalToken,
    cache: TokenCache,
}

impl std::fmt::Debug for FederatedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FederatedSource")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl FederatedSource {
    /// Checks tenant and client ID; nothing is read or sent yet.
    pub fn new(ctx: SignInContext, client_id: &str, token: ExternalToken) -> Result<Self> {
        let tenant = ctx.require_tenant("a federated credential")?.to_string();
        let client_id = validate_client_id(client_id)?;
        Ok(Self {
            ctx,
            tenant,
            client_id,
            token,
            cache: TokenCache::default(),
        })
    }

    /// Replaces the cache's clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.cache = TokenCache::new(clock);
        self
    }

    async fn fetch(&self, call: &CallContext) -> Result<AccessToken> {
        let assertion = self.token.read()?;
        post_for_token(
            &self.ctx,
            &self.ctx.token_url(&self.tenant),
            &self.client_id,
            ClientCredential::Assertion(&assertion),
            &format!("Federated sign-in for application {}", self.client_id),
            &self.cache,
            call,
        )
        .await
    }
}

impl TokenSource for FederatedSource {
    fn token<'a>(&'a self, call: &'a CallContext) -> TokenFuture<'a> {
        self.cache
            .get_or_fetch_boxed(&call.cancel, move || self.fetch(call))
    }

    fn for_tenant(&self, tenant: &str) -> Option<Result<std::sync::Arc<dyn TokenSource>>> {
        let token = match &self.token {
            ExternalToken::Text(t) => ExternalToken::Text(t.clone()),
            ExternalToken::File(p) => ExternalToken::File(p.clone()),
        };
        Some(
            self.ctx
                .for_tenant(tenant)
                .and_then(|ctx| Self::new(ctx, &self.client_id, token))
                .map(|s| std::sync::Arc::new(s) as std::sync::Arc<dyn TokenSource>),
        )
    }

    fn sign_in_identity(&self) -> SignInIdentity {
        SignInIdentity {
            auth_mode: "federated".into(),
            cloud: Some(self.ctx.cloud),
            client_id: Some(self.client_id.clone()),
            identity: match &self.token {
                ExternalToken::File(p) => Some(format!("federated token file {}", p.display())),
                ExternalToken::Text(_) => Some("federated token".into()),
            },
        }
    }
}
