//! Delegated sign-in with the authorization code flow and PKCE (RFC 6749 §4.1, RFC 7636), as a
//! public client on the user's computer uses it (MSAL's "interactive browser" sign-in), and
//! refresh tokens for every delegated flow.
//!
//! No browser is needed: `GET /{tenant}/oauth2/v2.0/authorize` records the request and answers a
//! "waiting" page; a test approves or declines it through the control API (as a user would in the
//! browser), and the next `GET` of the same authorize URL redirects (302) to the client's loopback
//! redirect URI with `code` and `state`, or with `error=access_denied`. The approval's answer also
//! names that redirect URL, so a test may deliver it directly.
//!
//! The code is redeemed at the token endpoint (`grant_type=authorization_code`) with the PKCE
//! `code_verifier`; the answer carries a refresh token when `offline_access` was asked for.
//! Refresh tokens rotate: each `grant_type=refresh_token` answer carries a new one and the one
//! presented stops working.

// Handlers return an error answer as `Err(Response)`: built at most once per request.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest as _;

use crate::clouds;
use crate::errors::aadsts;
use crate::signin::{
    is_multi_tenant_alias, required, token_answer_with_refresh, Form, TOKEN_LIFETIME,
};
use crate::state::State;
use crate::tokens::{now_epoch, TokenSpec};

/// How long an authorization code can be redeemed, seconds (Entra: 10 minutes).
const CODE_LIFETIME: i64 = 600;
/// How long a refresh token stays valid, seconds (Entra: 90 days).
const REFRESH_LIFETIME: i64 = 90 * 24 * 3600;

/// Where an authorization request stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Waiting for the user (the control API).
    Pending,
    /// Decided: the URL the browser is sent to (code or error).
    Redirect(String),
}

/// One authorization request as the browser made it.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// Tenant in the authorize URL (may be `organizations`).
    pub tenant: String,
    /// The public client.
    pub client_id: String,
    /// The loopback redirect URI.
    pub redirect_uri: String,
    /// Scopes as asked.
    pub scope: String,
    /// The client's `state` (echoed back on the redirect).
    pub state: Option<String>,
    /// PKCE challenge and method (`S256` or `plain`).
    pub code_challenge: String,
    /// PKCE method.
    pub code_challenge_method: String,
    /// Graph audience of the resulting token.
    pub audience: String,
    /// Pending or decided.
    pub decision: Decision,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub struct CodeEntry {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    code_challenge_method: String,
    scope: String,
    spec: TokenSpec,
    expires_at: i64,
    redeemed: bool,
}

/// A live refresh token.
#[derive(Debug, Clone)]
pub struct RefreshEntry {
    client_id: String,
    scope: String,
    spec: TokenSpec,
    expires_at: i64,
}

/// Authorization code flow state, kept in [`crate::state::Inner`].
#[derive(Debug, Default)]
pub struct AuthorizeState {
    /// Authorization requests, oldest first.
    pub requests: Vec<AuthorizationRequest>,
    /// Codes by code value.
    pub codes: HashMap<String, CodeEntry>,
    /// Refresh tokens by value.
    pub refresh_tokens: HashMap<String, RefreshEntry>,
}

/// An approval of an authorization request (`POST /_emulator/authorize/approve`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizationApproval {
    /// The request's `state`; the oldest pending request when absent.
    #[serde(default)]
    pub state: Option<String>,
    /// Directory role template IDs of the signed-in user.
    #[serde(default)]
    pub wids: Vec<String>,
    /// Delegated scopes granted; default `PeopleSettings.ReadWrite.All`.
    #[serde(default)]
    pub scp: Option<String>,
    /// Tenant of the user; defaults to the tenant in the authorize URL.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// User principal name.
    #[serde(default)]
    pub upn: Option<String>,
    /// Lifetime of the access tokens of this sign-in (and its refreshes), seconds; default 3599.
    #[serde(default)]
    pub expires_in_seconds: Option<i64>,
}

fn random_value(prefix: &str) -> String {
    format!(
        "{prefix}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

fn redirect(to: &str) -> Response {
    let mut resp = StatusCode::FOUND.into_response();
    if let Ok(v) = header::HeaderValue::from_str(to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// `redirect_uri` with these query parameters added.
fn with_query(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    format!("{redirect_uri}{sep}{query}")
}

/// Entra ID accepts any port on `http://localhost` (and 127.0.0.1) for public clients, and no
/// other plain-HTTP redirect URI. The emulator accepts only those.
fn is_loopback_redirect(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    };
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "[::1]"
}

/// The Graph host a delegated scope string names (`https://graph.microsoft.com/X …`).
pub fn graph_host_of_scopes(scope: &str) -> Option<&'static str> {
    scope.split_whitespace().find_map(|s| {
        let rest = s.strip_prefix("https://")?;
        let (h, _) = rest.split_once('/')?;
        clouds::graph_host_of_resource(&format!("https://{h}"))
    })
}

/// `GET /{tenant}/oauth2/v2.0/authorize`.
pub async fn authorize(
    AxState(state): AxState<Arc<State>>,
    Path(tenant): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let q: HashMap<String, String> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let Some(client_id) = get("client_id") else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign in failed",
            "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
        );
    };
    let Some(redirect_uri) = get("redirect_uri") else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign in failed",
            "AADSTS900144: The request body must contain the following parameter: 'redirect_uri'.",
        );
    };
    if !is_loopback_redirect(redirect_uri) {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign in failed",
            &format!("AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'. Public clients use http://localhost with any port."),
        );
    }
    let client_state = get("state").map(str::to_string);
    let fail = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(s) = client_state.as_deref() {
            pairs.push(("state", s));
        }
        redirect(&with_query(redirect_uri, &pairs))
    };
    if get("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "AADSTS70005: response_type must be 'code' for the authorization code flow.",
        );
    }
    let scope = get("scope").unwrap_or("");
    let Some(host) = graph_host_of_scopes(scope) else {
        return fail(
            "invalid_scope",
            &format!("AADSTS70011: The provided value for the input parameter 'scope' is not valid: '{scope}' names no Microsoft Graph permission."),
        );
    };
    let Some(challenge) = get("code_challenge") else {
        return fail(
            "invalid_request",
            "AADSTS9002325: Proof Key for Code Exchange is required: send code_challenge and code_challenge_method=S256.",
        );
    };
    let method = get("code_challenge_method").unwrap_or("plain");
    if method != "S256" && method != "plain" {
        return fail(
            "invalid_request",
            &format!("AADSTS50148: code_challenge_method '{method}' is not supported; use S256."),
        );
    }

    let mut g = state.lock();
    let existing = g.authorize.requests.iter().find(|r| {
        r.client_id == client_id && r.redirect_uri == redirect_uri && r.state == client_state
    });
    if let Some(r) = existing {
        return match &r.decision {
            Decision::Redirect(url) => redirect(url),
            Decision::Pending => page(
                StatusCode::OK,
                "Waiting for sign-in",
                "The Graph emulator is waiting for this sign-in to be approved (POST /_emulator/authorize/approve).",
            ),
        };
    }
    g.authorize.requests.push(AuthorizationRequest {
        tenant,
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scope: scope.to_string(),
        state: client_state.clone(),
        code_challenge: challenge.to_string(),
        code_challenge_method: method.to_string(),
        audience: format!("https://{host}"),
        decision: Decision::Pending,
    });
    page(
        StatusCode::OK,
        "Waiting for sign-in",
        "The Graph emulator is waiting for this sign-in to be approved (POST /_emulator/authorize/approve).",
    )
}

impl State {
    /// Pending authorization requests as `{state, clientId, redirectUri, tenant, scope}`.
    pub fn pending_authorizations(&self) -> Vec<serde_json::Value> {
        self.lock()
            .authorize
            .requests
            .iter()
            .filter(|r| r.decision == Decision::Pending)
            .map(|r| {
                json!({
                    "state": r.state, "clientId": r.client_id, "redirectUri": r.redirect_uri,
                    "tenant": r.tenant, "scope": r.scope,
                })
            })
            .collect()
    }

    /// Approves (`Some`) or declines (`None`) the pending request with `state` (the oldest one
    /// when `state` is `None`). Returns the URL the browser is now sent to.
    pub fn decide_authorization(
        &self,
        client_state: Option<&str>,
        approval: Option<AuthorizationApproval>,
    ) -> Result<String, String> {
        let mut g = self.lock();
        let inner = &mut *g;
        let request = inner
            .authorize
            .requests
            .iter_mut()
            .find(|r| {
                r.decision == Decision::Pending
                    && client_state.is_none_or(|s| r.state.as_deref() == Some(s))
            })
            .ok_or_else(|| match client_state {
                Some(s) => format!("No pending authorization request has state '{s}'."),
                None => "No authorization request is pending.".to_string(),
            })?;
        let mut pairs: Vec<(&str, String)> = Vec::new();
        match approval {
            None => {
                pairs.push(("error", "access_denied".into()));
                pairs.push((
                    "error_description",
                    "AADSTS65004: User declined to consent to access the app.".into(),
                ));
            }
            Some(a) => {
                let tenant = a
                    .tenant_id
                    .clone()
                    .unwrap_or_else(|| request.tenant.clone());
                let code = random_value("0.AXoA");
                inner.authorize.codes.insert(
                    code.clone(),
                    CodeEntry {
                        client_id: request.client_id.clone(),
                        redirect_uri: request.redirect_uri.clone(),
                        code_challenge: request.code_challenge.clone(),
                        code_challenge_method: request.code_challenge_method.clone(),
                        scope: request.scope.clone(),
                        spec: TokenSpec {
                            tenant_id: tenant.clone(),
                            scp: Some(
                                a.scp
                                    .clone()
                                    .unwrap_or_else(|| "PeopleSettings.ReadWrite.All".into()),
                            ),
                            roles: None,
                            wids: a.wids.clone(),
                            aud: Some(request.audience.clone()),
                            expires_in_seconds: Some(
                                a.expires_in_seconds.unwrap_or(TOKEN_LIFETIME),
                            ),
                            cloud: None,
                            app_id: Some(request.client_id.clone()),
                            upn: Some(a.upn.clone().unwrap_or_else(|| format!("admin@{tenant}"))),
                            object_id: None,
                            omit_wids: false,
                        },
                        expires_at: now_epoch() + CODE_LIFETIME,
                        redeemed: false,
                    },
                );
                pairs.push(("code", code));
            }
        }
        if let Some(s) = &request.state {
            pairs.push(("state", s.clone()));
        }
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let url = with_query(&request.redirect_uri, &borrowed);
        request.decision = Decision::Redirect(url.clone());
        Ok(url)
    }

    /// Revokes every refresh token (as "sign out everywhere" or a password reset does); returns
    /// how many there were.
    pub fn revoke_refresh_tokens(&self) -> usize {
        let mut g = self.lock();
        let n = g.authorize.refresh_tokens.len();
        g.authorize.refresh_tokens.clear();
        n
    }
}

fn invalid_grant(code: u32, text: &str) -> Response {
    aadsts(StatusCode::BAD_REQUEST, "invalid_grant", code, text)
}

/// The answer to a delegated sign-in: an access token for `spec`, plus a new refresh token when
/// `offline_access` is in `scope`.
pub(crate) fn delegated_answer(
    state: &State,
    spec: TokenSpec,
    client_id: &str,
    scope: &str,
) -> Result<Response, Response> {
    let (token, claims) = state
        .keys
        .mint(&spec)
        .map_err(|e| aadsts(StatusCode::INTERNAL_SERVER_ERROR, "server_error", 50000, &e))?;
    let refresh = scope
        .split_whitespace()
        .any(|s| s == "offline_access")
        .then(|| {
            let refresh = random_value("1.AXoA");
            state.lock().authorize.refresh_tokens.insert(
                refresh.clone(),
                RefreshEntry {
                    client_id: client_id.to_string(),
                    scope: scope.to_string(),
                    spec,
                    expires_at: now_epoch() + REFRESH_LIFETIME,
                },
            );
            refresh
        });
    let resp = token_answer_with_refresh(token, claims.exp - now_epoch(), Some(scope), refresh);
    Ok(resp)
}

/// `grant_type=authorization_code`: redeems a code once, checking client, redirect URI and PKCE.
pub(crate) fn code_grant(state: &State, tenant: &str, form: &Form) -> Result<Response, Response> {
    let code = required(form, "code")?;
    let client_id = required(form, "client_id")?;
    let redirect_uri = required(form, "redirect_uri")?;
    let entry = {
        let mut g = state.lock();
        let entry = g.authorize.codes.get_mut(code).ok_or_else(|| {
            invalid_grant(
                70000,
                "Provided grant is invalid or malformed: the authorization code is not known.",
            )
        })?;
        if entry.redeemed {
            return Err(invalid_grant(54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."));
        }
        if entry.expires_at <= now_epoch() {
            return Err(invalid_grant(70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."));
        }
        if !entry.client_id.eq_ignore_ascii_case(client_id) {
            return Err(invalid_grant(
                70000,
                "Provided grant is invalid or malformed: the code was issued to another client.",
            ));
        }
        if entry.redirect_uri != redirect_uri {
            return Err(invalid_grant(500112, &format!("The reply address '{redirect_uri}' does not match the reply address '{}' provided when requesting Authorization code.", entry.redirect_uri)));
        }
        let verifier = form.get("code_verifier").map(String::as_str).unwrap_or("");
        let computed = if entry.code_challenge_method == "S256" {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(verifier.as_bytes()))
        } else {
            verifier.to_string()
        };
        if verifier.is_empty() || computed != entry.code_challenge {
            return Err(invalid_grant(
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            ));
        }
        entry.redeemed = true;
        entry.clone()
    };
    check_token_tenant(tenant, &entry.spec)?;
    delegated_answer(state, entry.spec, client_id, &entry.scope)
}

/// A token endpoint for one tenant only serves that tenant's users (`organizations` and
/// `common` serve any).
fn check_token_tenant(tenant: &str, spec: &TokenSpec) -> Result<(), Response> {
    if is_multi_tenant_alias(tenant) || tenant.eq_ignore_ascii_case(&spec.tenant_id) {
        return Ok(());
    }
    Err(invalid_grant(
        50020,
        &format!(
            "User account '{}' from identity provider does not exist in tenant '{tenant}'.",
            spec.upn.as_deref().unwrap_or("?")
        ),
    ))
}

/// `grant_type=refresh_token`: a new access token and a new refresh token (rotation).
pub(crate) fn refresh_grant(
    state: &State,
    tenant: &str,
    form: &Form,
) -> Result<Response, Response> {
    let presented = required(form, "refresh_token")?;
    let client_id = required(form, "client_id")?;
    let entry = {
        let g = state.lock();
        g.authorize.refresh_tokens.get(presented).cloned()
    }
    .ok_or_else(|| {
        invalid_grant(
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
        )
    })?;
    if entry.expires_at <= now_epoch() {
        return Err(invalid_grant(
            700082,
            "The refresh token has expired due to inactivity.",
        ));
    }
    if !entry.client_id.eq_ignore_ascii_case(client_id) {
        return Err(invalid_grant(
            70000,
            "Provided grant is invalid or malformed: the refresh token was issued to another client.",
        ));
    }
    check_token_tenant(tenant, &entry.spec)?;
    state.lock().authorize.refresh_tokens.remove(presented);
    let scope = form
        .get("scope")
        .filter(|s| graph_host_of_scopes(s).is_some())
        .cloned()
        .unwrap_or(entry.scope);
    // The answer always carries a refresh token: the session continues with the new one.
    let scope = if scope.split_whitespace().any(|s| s == "offline_access") {
        scope
    } else {
        format!("{scope} offline_access")
    };
    delegated_answer(state, entry.spec, client_id, &scope)
}
