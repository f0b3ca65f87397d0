//! Delegated sign-in in the system browser: the OAuth 2.0 authorization code flow with PKCE
//! (RFC 7636, `S256`) and a loopback redirect URI on a free port, as `Connect-MgGraph` and MSAL's
//! interactive sign-in do. It works where Conditional Access blocks the device code flow.
//!
//! 1. A listener is bound on `http://localhost:<free port>/` ([`super::loopback`]).
//! 2. The authorize URL (client, redirect URI, scope, a random `state`, the PKCE challenge) is
//!    handed to the caller as an [`crate::events::EventLevel::OpenBrowser`] event: the PowerShell
//!    layer opens the system browser with it, or prints it when none can open. It is also a
//!    verbose line. It holds no secret.
//! 3. The browser's redirect brings the code (with our `state`) to the listener; the code is
//!    redeemed at the token URL with the PKCE verifier.
//! 4. The answer's refresh token renews the access token silently for the life of the client
//!    ([`super::refresh`]); if renewal is refused the error says to connect again.

use std::time::Duration;

use base64::Engine as _;
use sha2::Digest as _;
use zeroize::Zeroizing;

use super::answer::{parse_token_answer, TokenAnswer};
use super::cache::{Clock, TokenCache, TokenFuture};
use super::context::{validate_client_id, SignInContext};
use super::device_code::{delegated_scope, person_tenant};
use super::http::send;
use super::loopback::{LoopbackListener, Redirect};
use super::refresh::{RefreshRequest, RefreshSession};
use super::signin_error::{parse_error_details, signin_error};
use super::token::{AccessToken, SignInIdentity, TokenSource};
use crate::call_context::CallContext;
use crate::config::auth::DEFAULT_PUBLIC_CLIENT_ID;
use crate::error::{Error, ErrorKind, Result};
use crate::events;

/// How long the browser sign-in waits for the user.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

const RECONNECT: &str = "Run Connect-PhotoUpdatePolicy again to sign in in the browser.";

/// Signs a user in through the system browser. The first [`TokenSource::token`] call runs the
/// interactive flow; later calls reuse the cached token or refresh it silently.
pub struct BrowserSource {
    ctx: SignInContext,
    tenant: String,
    client_id: String,
    session: RefreshSession,
    cache: TokenCache,
    timeout: Duration,
}

impl std::fmt::Debug for BrowserSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserSource")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// A PKCE pair: the verifier (a secret kept until the code is redeemed) and its S256 challenge.
struct Pkce {
    verifier: Zeroizing<String>,
    challenge: String,
}

impl Pkce {
    fn new() -> Self {
        let verifier = Zeroizing::new(random_urlsafe());
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// 43 URL-safe characters from the OS random source (two v4 UUIDs: 244 random bits).
fn random_urlsafe() -> String {
    let mut bytes = Zeroizing::new([0u8; 32]);
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_slice())
}

impl BrowserSource {
    /// A browser sign-in for `client_id` (default: Microsoft Graph Command Line Tools) in the
    /// context's tenant, or `organizations` when none is set. Nothing is sent and nothing bound.
    pub fn new(ctx: SignInContext, client_id: Option<&str>) -> Result<Self> {
        let client_id = validate_client_id(client_id.unwrap_or(DEFAULT_PUBLIC_CLIENT_ID))?;
        let tenant = person_tenant(&ctx);
        Ok(Self {
            ctx,
            tenant,
            client_id,
            session: RefreshSession::default(),
            cache: TokenCache::default(),
            timeout: BROWSER_TIMEOUT,
        })
    }

    /// Replaces the cache's clock (tests make a token reach its refresh margin this way).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.cache = TokenCache::new(clock);
        self
    }

    /// Replaces how long the sign-in waits for the browser (tests).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The scope requested: `<graph host>/PeopleSettings.ReadWrite.All openid profile offline_access`.
    pub fn scope(&self) -> String {
        delegated_scope(&self.ctx)
    }

    /// The authorize URL for this redirect URI, state and PKCE challenge.
    fn authorize_url(&self, redirect_uri: &str, state: &str, challenge: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", &self.scope())
            .append_pair("state", state)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("prompt", "select_account")
            .finish();
        format!(
            "{}/{}/oauth2/v2.0/authorize?{query}",
            self.ctx.authority, self.tenant
        )
    }

    async fn fetch(&self, call: &CallContext) -> Result<AccessToken> {
        let scope = self.scope();
        let request = RefreshRequest {
            ctx: &self.ctx,
            tenant: &self.tenant,
            client_id: &self.client_id,
            scope: &scope,
            reconnect: RECONNECT,
        };
        if let Some(token) = self
            .session
            .refresh(request, self.cache.now(), call)
            .await?
        {
            return Ok(token);
        }
        let answer = self.interactive(call).await?;
        Ok(self.session.keep(answer))
    }

    async fn interactive(&self, call: &CallContext) -> Result<TokenAnswer> {
        let listener = LoopbackListener::bind().await?;
        let redirect_uri = listener.redirect_uri();
        let pkce = Pkce::new();
        let state = random_urlsafe();
        let url = self.authorize_url(&redirect_uri, &state, &pkce.challenge);
        events::verbose(
            &call.events,
            format!("Browser sign-in: waiting for the redirect to {redirect_uri} after sign-in at {url}"),
        );
        events::open_browser(&call.events, url);

        let code = match listener.wait(&state, self.timeout, &call.cancel).await? {
            Redirect::Code(code) => code,
            Redirect::Error { error, description } => {
                return Err(browser_error(&error, description.as_deref()))
            }
        };
        drop(listener);

        let token_url = self.ctx.token_url(&self.tenant);
        let scope = self.scope();
        let build = || {
            self.ctx.http.post(&token_url).form(&[
                ("client_id", self.client_id.as_str()),
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect_uri.as_str()),
                ("code_verifier", pkce.verifier.as_str()),
                ("scope", scope.as_str()),
            ])
        };
        let answer = send(&self.ctx, "POST", &token_url, &build, call).await?;
        if !answer.is_success() {
            return Err(signin_error(
                "Redeeming the browser sign-in",
                answer.status,
                &answer.body,
            ));
        }
        parse_token_answer(&answer.body, self.cache.now(), "sign-in service")
    }
}

/// The error for a redirect that carried `error` instead of a code.
fn browser_error(error: &str, description: Option<&str>) -> Error {
    if error != "access_denied" {
        // Same shape as a token endpoint error, so the AADSTS code is read and explained.
        let body = serde_json::json!({ "error": error, "error_description": description });
        return signin_error("Browser sign-in", 400, body.to_string().as_bytes());
    }
    let details = parse_error_details(
        400,
        serde_json::json!({ "error": error, "error_description": description })
            .to_string()
            .as_bytes(),
    )
    .unwrap_or_default();
    Error::new(
        ErrorKind::Authentication,
        format!(
            "Browser sign-in ended: the sign-in or the consent was declined or cancelled{}.",
            description
                .map(|d| format!(" ({})", d.lines().next().unwrap_or(d)))
                .unwrap_or_default()
        ),
    )
    .with_recommended_action(
        "Run Connect-PhotoUpdatePolicy again and accept the sign-in with an account that may manage \
         the photo policy; if your organisation requires admin consent, ask an administrator to \
         consent to the app for PeopleSettings.ReadWrite.All.",
    )
    .with_service(details)
}

impl TokenSource for BrowserSource {
    fn token<'a>(&'a self, call: &'a CallContext) -> TokenFuture<'a> {
        self.cache
            .get_or_fetch_boxed(&call.cancel, move || self.fetch(call))
    }

    fn sign_in_identity(&self) -> SignInIdentity {
        SignInIdentity {
            auth_mode: "browser".into(),
            cloud: Some(self.ctx.cloud),
            client_id: Some(self.client_id.clone()),
            identity: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_is_s256_of_a_43_char_verifier_and_values_differ() {
        let p = Pkce::new();
        assert_eq!(p.verifier.len(), 43);
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(p.verifier.as_bytes()));
        assert_eq!(p.challenge, expected);
        assert_ne!(Pkce::new().verifier.as_str(), p.verifier.as_str());
    }
}
