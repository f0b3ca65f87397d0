//! The refresh token of a delegated sign-in (browser, device code): kept zeroized, redeemed with
//! `grant_type=refresh_token` a few minutes before the access token expires, and replaced by the
//! new one each answer carries (Entra ID rotates them). It is a secret: never logged, never in an
//! error, never shown by `Debug`.

use std::sync::Mutex;

use zeroize::Zeroizing;

use super::answer::{parse_token_answer, TokenAnswer};
use super::context::SignInContext;
use super::http::send;
use super::signin_error::signin_error;
use super::token::AccessToken;
use crate::call_context::CallContext;
use crate::error::{Error, ErrorKind, Result};

/// What a refresh is for: where to send it and what to ask.
pub(crate) struct RefreshRequest<'a> {
    /// Sign-in context (authority, HTTP client, retries).
    pub ctx: &'a SignInContext,
    /// Tenant segment of the token URL.
    pub tenant: &'a str,
    /// The public client that signed in.
    pub client_id: &'a str,
    /// Scope asked again on refresh.
    pub scope: &'a str,
    /// What to tell the user to do when the session cannot be renewed (e.g. "Run
    /// Connect-PhotoUpdatePolicy again to sign in in the browser.").
    pub reconnect: &'a str,
}

/// The refresh token of one signed-in session.
#[derive(Default)]
pub(crate) struct RefreshSession {
    token: Mutex<Option<Zeroizing<String>>>,
}

impl std::fmt::Debug for RefreshSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.token.lock().map(|g| g.is_some()).unwrap_or(false);
        f.debug_struct("RefreshSession")
            .field("refresh_token", &if held { "<redacted>" } else { "none" })
            .finish()
    }
}

impl RefreshSession {
    /// Keeps the answer's refresh token (when it has one) and returns its access token.
    pub fn keep(&self, answer: TokenAnswer) -> AccessToken {
        if let Some(rt) = answer.refresh_token {
            if let Ok(mut g) = self.token.lock() {
                *g = Some(rt);
            }
        }
        answer.token
    }

    /// Renews the access token with the refresh token. `Ok(None)` when no refresh token is held
    /// (the caller signs in interactively). A refused refresh (revoked, expired, password reset)
    /// drops the refresh token and is an `Authentication` error that says to connect again: the
    /// interactive flow is never restarted silently. A cancelled or failed request keeps it.
    pub async fn refresh(
        &self,
        req: RefreshRequest<'_>,
        now: std::time::SystemTime,
        call: &CallContext,
    ) -> Result<Option<AccessToken>> {
        let Some(rt) = self.token.lock().ok().and_then(|mut g| g.take()) else {
            return Ok(None);
        };
        let url = req.ctx.token_url(req.tenant);
        let build = || {
            req.ctx.http.post(&url).form(&[
                ("client_id", req.client_id),
                ("grant_type", "refresh_token"),
                ("scope", req.scope),
                ("refresh_token", rt.as_str()),
            ])
        };
        let outcome = match send(req.ctx, "POST", &url, &build, call).await {
            Ok(answer) if answer.is_success() => {
                parse_token_answer(&answer.body, now, "sign-in service")
            }
            Ok(answer) => Err(signin_error(
                "Refreshing the delegated sign-in",
                answer.status,
                &answer.body,
            )),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(answer) => {
                // Rotation: an answer without a new refresh token leaves the old one in force.
                if answer.refresh_token.is_none() {
                    if let Ok(mut g) = self.token.lock() {
                        *g = Some(rt);
                    }
                }
                Ok(Some(self.keep(answer)))
            }
            Err(e) if e.kind() != ErrorKind::Authentication => {
                if let Ok(mut g) = self.token.lock() {
                    *g = Some(rt);
                }
                Err(e)
            }
            Err(e) => Err(Error::new(
                ErrorKind::Authentication,
                format!(
                    "The signed-in session could not be renewed: {}",
                    e.message()
                ),
            )
            .with_recommended_action(req.reconnect)
            .with_service(e.service().cloned().unwrap_or_default())),
        }
    }
}
