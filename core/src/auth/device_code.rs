//! Delegated sign-in with the device code flow (RFC 8628), for admins at a console.
//!
//! We ask for a code, show the service's message ("To sign in, use a web browser to open … and
//! enter the code …") as an Information event, then poll the token URL every `interval` seconds
//! until the user approves, declines or the code expires. Every wait can be cancelled. When the
//! answer carries a refresh token we keep it (zeroized) and refresh silently later
//! ([`super::refresh`]).

use std::time::{Duration, Instant};

use serde_json::Value;
use zeroize::Zeroizing;

use super::answer::{number_or_string, parse_token_answer, TokenAnswer};
use super::cache::{Clock, TokenCache, TokenFuture};
use super::context::validate_client_id;
use super::context::SignInContext;
use super::http::send;
use super::refresh::{RefreshRequest, RefreshSession};
use super::signin_error::{parse_error_details, signin_error};
use super::token::{AccessToken, SignInIdentity, TokenSource};
use crate::call_context::CallContext;
use crate::config::auth::DEFAULT_PUBLIC_CLIENT_ID;
use crate::error::{Error, ErrorKind, Result};
use crate::events;
use crate::retry;

/// Tenant segment used when the caller names no tenant: any work or school account.
pub const ORGANIZATIONS: &str = "organizations";

/// The delegated Graph permission the module needs, as a scope of the cloud's Graph.
pub const DELEGATED_PERMISSION: &str = "PeopleSettings.ReadWrite.All";

/// Added to the scope so Entra returns a refresh token and an ID token, like MSAL (and therefore
/// `Connect-MgGraph`) always does.
const OIDC_SCOPES: &str = "openid profile offline_access";

/// The tenant segment of a person's sign-in (device code, browser): the context's tenant, or
/// [`ORGANIZATIONS`] when none is set.
pub(super) fn person_tenant(ctx: &SignInContext) -> String {
    ctx.tenant
        .clone()
        .unwrap_or_else(|| ORGANIZATIONS.to_string())
}

/// The scope a person's sign-in asks for: `<graph host>/PeopleSettings.ReadWrite.All openid
/// profile offline_access`.
pub(super) fn delegated_scope(ctx: &SignInContext) -> String {
    format!(
        "{}/{DELEGATED_PERMISSION} {OIDC_SCOPES}",
        ctx.cloud.graph_host()
    )
}

/// Longest poll interval we honour, whatever the service says (it says 5 s).
const MAX_INTERVAL: Duration = Duration::from_secs(60);

/// Signs in a user with a device code. The first call to [`TokenSource::token`] runs the
/// interactive flow; later calls reuse the cached token or refresh it silently.
pub struct DeviceCodeSource {
    ctx: SignInContext,
    tenant: String,
    client_id: String,
    session: RefreshSession,
    cache: TokenCache,
}

impl std::fmt::Debug for DeviceCodeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodeSource")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl DeviceCodeSource {
    /// A device code source for `client_id` (default: Microsoft Graph Command Line Tools) in the
    /// context's tenant, or `organizations` when none is set. Nothing is sent.
    pub fn new(ctx: SignInContext, client_id: Option<&str>) -> Result<Self> {
        let client_id = validate_client_id(client_id.unwrap_or(DEFAULT_PUBLIC_CLIENT_ID))?;
        let tenant = person_tenant(&ctx);
        Ok(Self {
            ctx,
            tenant,
            client_id,
            session: RefreshSession::default(),
            cache: TokenCache::default(),
        })
    }

    /// Replaces the cache's clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.cache = TokenCache::new(clock);
        self
    }

    /// The scope requested: `<graph host>/PeopleSettings.ReadWrite.All openid profile offline_access`.
    pub fn scope(&self) -> String {
        delegated_scope(&self.ctx)
    }

    async fn fetch(&self, call: &CallContext) -> Result<AccessToken> {
        let scope = self.scope();
        let request = RefreshRequest {
            ctx: &self.ctx,
            tenant: &self.tenant,
            client_id: &self.client_id,
            scope: &scope,
            reconnect: "Connect again with the device code to sign in interactively.",
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
        let code_url = format!(
            "{}/{}/oauth2/v2.0/devicecode",
            self.ctx.authority, self.tenant
        );
        let scope = self.scope();
        let build = || {
            self.ctx.http.post(&code_url).form(&[
                ("client_id", self.client_id.as_str()),
                ("scope", scope.as_str()),
            ])
        };
        let answer = send(&self.ctx, "POST", &code_url, &build, call).await?;
        if !answer.is_success() {
            return Err(signin_error(
                "Starting device code sign-in",
                answer.status,
                &answer.body,
            ));
        }
        let code = DeviceCode::parse(&answer.body)?;
        events::information(&call.events, code.message.clone());

        let token_url = self.ctx.token_url(&self.tenant);
        let deadline = Instant::now() + code.expires_in;
        let mut interval = code.interval;
        loop {
            retry::wait(interval, &call.cancel).await?;
            if Instant::now() >= deadline {
                return Err(expired());
            }
            let build = || {
                self.ctx.http.post(&token_url).form(&[
                    ("client_id", self.client_id.as_str()),
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("device_code", code.device_code.as_str()),
                ])
            };
            let answer = send(&self.ctx, "POST", &token_url, &build, call).await?;
            if answer.is_success() {
                return parse_token_answer(&answer.body, self.cache.now(), "sign-in service");
            }
            let error_code = parse_error_details(answer.status, &answer.body).and_then(|d| d.code);
            match error_code.as_deref() {
                Some("authorization_pending") => {}
                Some("slow_down") => {
                    interval = (interval + Duration::from_secs(5)).min(MAX_INTERVAL);
                    events::verbose(
                        &call.events,
                        format!("The sign-in service asked to slow down: polling every {} s", interval.as_secs()),
                    );
                }
                Some("authorization_declined") => {
                    return Err(ended(
                        &answer.body,
                        answer.status,
                        "the sign-in was declined in the browser",
                        "Run the command again and approve the sign-in, with an account that may manage the photo policy.",
                    ))
                }
                Some("expired_token") => return Err(expired().with_service(details(&answer.body, answer.status))),
                Some("bad_verification_code") => {
                    return Err(ended(
                        &answer.body,
                        answer.status,
                        "the service did not recognise the device code",
                        "Run the command again to get a new code.",
                    ))
                }
                _ => {
                    return Err(signin_error(
                        "Device code sign-in",
                        answer.status,
                        &answer.body,
                    ))
                }
            }
        }
    }
}

fn details(body: &[u8], status: u16) -> crate::error::ServiceErrorDetails {
    parse_error_details(status, body).unwrap_or(crate::error::ServiceErrorDetails {
        http_status: status,
        ..Default::default()
    })
}

fn ended(body: &[u8], status: u16, what: &str, action: &str) -> Error {
    Error::new(
        ErrorKind::Authentication,
        format!("Device code sign-in ended: {what}."),
    )
    .with_recommended_action(action)
    .with_service(details(body, status))
}

fn expired() -> Error {
    Error::new(
        ErrorKind::Authentication,
        "Device code sign-in ended: the code expired before the sign-in was completed.",
    )
    .with_recommended_action("Run the command again and enter the new code within 15 minutes.")
}

/// The device authorization answer. `device_code` is a secret (it redeems the sign-in).
struct DeviceCode {
    device_code: Zeroizing<String>,
    message: String,
    interval: Duration,
    expires_in: Duration,
}

impl DeviceCode {
    fn parse(body: &[u8]) -> Result<Self> {
        let invalid = |what: &str| {
            Error::new(
                ErrorKind::InvalidResponse,
                format!("The device code answer could not be understood: {what}."),
            )
        };
        let mut v: Value = serde_json::from_slice(body).map_err(|_| invalid("it is not JSON"))?;
        let obj = v
            .as_object_mut()
            .ok_or_else(|| invalid("it is not an object"))?;
        let device_code = match obj.remove("device_code") {
            Some(Value::String(s)) if !s.is_empty() => Zeroizing::new(s),
            _ => return Err(invalid("it has no device_code")),
        };
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
        let user_code = text("user_code").ok_or_else(|| invalid("it has no user_code"))?;
        let uri = text("verification_uri")
            .or_else(|| text("verification_url"))
            .ok_or_else(|| invalid("it has no verification_uri"))?;
        let message = text("message").filter(|m| !m.trim().is_empty()).unwrap_or_else(|| {
            format!("To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate.")
        });
        let interval = obj
            .get("interval")
            .and_then(number_or_string)
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(5))
            .clamp(Duration::from_secs(1), MAX_INTERVAL);
        let expires_in = obj
            .get("expires_in")
            .and_then(number_or_string)
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(900));
        Ok(Self {
            device_code,
            message,
            interval,
            expires_in,
        })
    }
}

impl TokenSource for DeviceCodeSource {
    fn token<'a>(&'a self, call: &'a CallContext) -> TokenFuture<'a> {
        self.cache
            .get_or_fetch_boxed(&call.cancel, move || self.fetch(call))
    }

    fn sign_in_identity(&self) -> SignInIdentity {
        SignInIdentity {
            auth_mode: "deviceCode".into(),
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
    fn device_code_answer_parsing() {
        let c = DeviceCode::parse(
            br#"{"device_code":"dc","user_code":"ABCD","verification_uri":"https://microsoft.com/devicelogin","expires_in":"900","interval":"5","message":"Go there"}"#,
        )
        .unwrap();
        assert_eq!(c.message, "Go there");
        assert_eq!(c.interval, Duration::from_secs(5));
        assert_eq!(c.expires_in, Duration::from_secs(900));
        let c = DeviceCode::parse(
            br#"{"device_code":"dc","user_code":"ABCD","verification_uri":"https://x/devicelogin","interval":0}"#,
        )
        .unwrap();
        assert!(c.message.contains("ABCD") && c.message.contains("https://x/devicelogin"));
        assert_eq!(c.interval, Duration::from_secs(1));
        assert!(DeviceCode::parse(br#"{"user_code":"A"}"#).is_err());
    }
}
