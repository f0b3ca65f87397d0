//! Entra ID sign-in: the v2.0 token endpoint (client credentials with a secret or a certificate
//! assertion, device code polling), the device code endpoint, and the discovery documents MSAL
//! based clients fetch first. Errors come in AADSTS shape.

// Handlers return an error answer as `Err(Response)`: it is built at most once per request and
// returned straight to axum, so boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

use crate::clouds;
use crate::errors::aadsts;
use crate::state::{DeviceCodeEntry, DeviceCodeStatus, RegisteredApp, State};
use crate::tokens::{now_epoch, TokenSpec};

/// The only `client_assertion_type` Entra ID accepts.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The device code grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Where the user goes to type the code.
pub const VERIFICATION_URI: &str = "https://microsoft.com/devicelogin";
/// Lifetime of tokens handed out by sign-in, seconds.
pub(crate) const TOKEN_LIFETIME: i64 = 3599;

pub(crate) type Form = HashMap<String, String>;

pub(crate) fn parse_form(body: &Bytes) -> Result<Form, Response> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map(|pairs| pairs.into_iter().collect())
        .map_err(|_| {
            aadsts(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must be application/x-www-form-urlencoded.",
            )
        })
}

pub(crate) fn required<'a>(form: &'a Form, name: &str) -> Result<&'a str, Response> {
    match form.get(name).map(|s| s.trim()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
        )),
    }
}

pub(crate) fn is_multi_tenant_alias(tenant: &str) -> bool {
    ["common", "organizations", "consumers"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(tenant))
}

pub(crate) fn token_answer(token: String, scope: Option<&str>) -> Response {
    token_answer_with_refresh(token, TOKEN_LIFETIME, scope, None)
}

/// A token answer; `refresh_token` is added for delegated sign-ins with `offline_access`.
pub(crate) fn token_answer_with_refresh(
    token: String,
    expires_in: i64,
    scope: Option<&str>,
    refresh_token: Option<String>,
) -> Response {
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": token,
    });
    if let Some(s) = scope {
        body["scope"] = Value::String(s.to_string());
    }
    if let Some(r) = refresh_token {
        body["refresh_token"] = Value::String(r);
    }
    let mut resp = (StatusCode::OK, Json(body)).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store, no-cache"),
    );
    resp
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub async fn token(
    AxState(state): AxState<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match parse_form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let grant = match required(&form, "grant_type") {
        Ok(g) => g.to_string(),
        Err(r) => return r,
    };
    let result = match grant.as_str() {
        "client_credentials" => client_credentials(&state, &tenant, &headers, &form),
        DEVICE_CODE_GRANT => device_code_grant(&state, &form),
        "authorization_code" => crate::authorize::code_grant(&state, &tenant, &form),
        "refresh_token" => crate::authorize::refresh_grant(&state, &tenant, &form),
        other => Err(aadsts(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        )),
    };
    result.unwrap_or_else(|r| r)
}

fn client_credentials(
    state: &State,
    tenant: &str,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Response, Response> {
    if is_multi_tenant_alias(tenant) {
        return Err(aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50059,
            &format!("No tenant-identifying information found in the request: '{tenant}' cannot be used with client credentials. Use the tenant ID or a verified domain."),
        ));
    }
    if !state.tenant_known(tenant) {
        return Err(aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
        ));
    }
    let client_id = required(form, "client_id")?;
    let scope = required(form, "scope")?;
    let host = clouds::graph_host_of_default_scope(scope).ok_or_else(|| {
        if scope.ends_with("/.default") {
            aadsts(
                StatusCode::BAD_REQUEST,
                "invalid_resource",
                500011,
                &format!("The resource principal named {} was not found in the tenant named {tenant}. Only Microsoft Graph is emulated: use <graph host>/.default.", scope.trim_end_matches("/.default")),
            )
        } else {
            aadsts(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                1002012,
                &format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
            )
        }
    })?;
    let app = state
        .lock()
        .apps
        .get(&(tenant.to_ascii_lowercase(), client_id.to_ascii_lowercase()))
        .cloned()
        .ok_or_else(|| {
            aadsts(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                700016,
                &format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."),
            )
        })?;

    if let Some(secret) = form.get("client_secret") {
        if app.app.secret.as_deref() != Some(secret.as_str()) {
            return Err(aadsts(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."),
            ));
        }
    } else if let Some(assertion) = form.get("client_assertion") {
        match form.get("client_assertion_type").map(String::as_str) {
            Some(JWT_BEARER) => {}
            Some(other) => {
                return Err(aadsts(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    50027,
                    &format!("Invalid client_assertion_type '{other}'; expected '{JWT_BEARER}'."),
                ))
            }
            None => required(form, "client_assertion_type").map(|_| ())?,
        }
        if !app.app.federated_credentials.is_empty()
            && crate::federated::is_external_assertion(assertion, client_id)
        {
            state.issuer_keys.check_assertion(&app, assertion)?;
        } else {
            check_assertion(&app, assertion, tenant, client_id, headers)?;
        }
    } else {
        return Err(aadsts(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    }

    let spec = TokenSpec {
        tenant_id: tenant.to_string(),
        roles: Some(app.app.roles.clone()),
        aud: Some(format!("https://{host}")),
        expires_in_seconds: Some(TOKEN_LIFETIME),
        app_id: Some(client_id.to_string()),
        ..TokenSpec::default()
    };
    let (token, _) = state
        .keys
        .mint(&spec)
        .map_err(|e| aadsts(StatusCode::INTERNAL_SERVER_ERROR, "server_error", 50000, &e))?;
    Ok(token_answer(token, None))
}

fn invalid_client(code: u32, description: &str) -> Response {
    aadsts(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        code,
        description,
    )
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Checks a certificate client assertion as Entra ID does: thumbprint against the registered
/// certificate, signature with its public key, then `aud`, `iss`, `sub`, `jti` and the lifetime.
fn check_assertion(
    app: &RegisteredApp,
    assertion: &str,
    tenant: &str,
    client_id: &str,
    headers: &HeaderMap,
) -> Result<(), Response> {
    let malformed =
        |why: &str| invalid_client(50027, &format!("JWT token is invalid or malformed: {why}."));
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| malformed("the client assertion is not a signed JWT"))?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let decode_thumb = |t: &Option<String>| {
        t.as_deref()
            .and_then(|s| b64.decode(s.trim_end_matches('=')).ok())
    };
    let presented = match header.alg {
        Algorithm::PS256 | Algorithm::RS256 => {
            let s256 = decode_thumb(&header.x5t_s256);
            let s1 = decode_thumb(&header.x5t);
            if s256.is_none() && s1.is_none() {
                return Err(malformed(
                    "the header names no certificate: PS256 needs 'x5t#S256', RS256 needs 'x5t'",
                ));
            }
            (s256, s1)
        }
        other => {
            return Err(malformed(&format!(
                "algorithm {other:?} is not accepted for client assertions; use PS256 (or RS256)"
            )))
        }
    };
    let cert = app.cert.as_ref().filter(|c| {
        presented.0.as_deref() == Some(c.sha256.as_slice())
            || presented.1.as_deref() == Some(c.sha1.as_slice())
    });
    let Some(cert) = cert else {
        let shown = presented
            .0
            .as_deref()
            .or(presented.1.as_deref())
            .map(hex_upper)
            .unwrap_or_default();
        return Err(invalid_client(
            700027,
            &format!("Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '{shown}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{client_id}'.]"),
        ));
    };
    let key = DecodingKey::from_rsa_raw_components(&cert.modulus, &cert.exponent);
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = match jsonwebtoken::decode::<Value>(assertion, &key, &validation) {
        Ok(data) => data.claims,
        Err(e) => {
            return Err(match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => invalid_client(
                    7000274,
                    "Key was found, but use of the key to verify the signature failed.",
                ),
                _ => malformed("the claims could not be read"),
            })
        }
    };

    // Audience: the token endpoint, on the host the client called or a cloud's authority.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let aud_ok = |aud: &str| {
        let rest = aud
            .strip_prefix("https://")
            .or_else(|| aud.strip_prefix("http://"));
        let Some(rest) = rest else { return false };
        let (aud_host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let path_ok = path.eq_ignore_ascii_case(&format!("{tenant}/oauth2/v2.0/token"));
        let host_ok = aud_host.eq_ignore_ascii_case(host)
            || clouds::is_authority_host(&clouds::host_name(aud_host));
        path_ok && host_ok
    };
    let auds: Vec<String> = match &claims["aud"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    };
    if !auds.iter().any(|a| aud_ok(a)) {
        return Err(invalid_client(
            700212,
            &format!(
                "The audience claim of the client assertion ({}) is not the token endpoint 'http://{host}/{tenant}/oauth2/v2.0/token'.",
                if auds.is_empty() { "missing".to_string() } else { auds.join(", ") }
            ),
        ));
    }
    for claim in ["iss", "sub"] {
        if claims[claim].as_str() != Some(client_id) {
            return Err(invalid_client(
                700021,
                &format!("Client assertion claim '{claim}' must be the client ID '{client_id}'."),
            ));
        }
    }
    if claims["jti"].as_str().is_none_or(|j| j.is_empty()) {
        return Err(malformed("the 'jti' claim is missing"));
    }
    let exp = claims["exp"]
        .as_i64()
        .ok_or_else(|| malformed("the 'exp' claim is missing"))?;
    let nbf = claims["nbf"].as_i64().unwrap_or(exp - 600);
    let now = now_epoch();
    if exp <= now || nbf > now + 300 {
        return Err(invalid_client(
            700024,
            &format!("Client assertion is not within its valid time range. Current time: {now}, assertion valid from {nbf}, expiry time of assertion {exp}."),
        ));
    }
    if exp - nbf > 600 {
        return Err(invalid_client(
            700024,
            &format!("Client assertion lifetime is too long: 'exp' ({exp}) must be at most 10 minutes after 'nbf' ({nbf})."),
        ));
    }
    Ok(())
}

fn device_code_grant(state: &State, form: &Form) -> Result<Response, Response> {
    let code = required(form, "device_code")?;
    let mut g = state.lock();
    let entry = g.device_codes.get_mut(code).ok_or_else(|| {
        aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed: the device code is not known.",
        )
    })?;
    let err = |error: &str, code: u32, msg: &str| aadsts(StatusCode::BAD_REQUEST, error, code, msg);
    match entry.status.clone() {
        DeviceCodeStatus::Redeemed => Err(err(
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        )),
        _ if entry.expires_at <= now_epoch() => Err(err(
            "expired_token",
            70020,
            "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
        )),
        DeviceCodeStatus::Pending => Err(err(
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )),
        DeviceCodeStatus::Declined => Err(err(
            "authorization_declined",
            70000,
            "The user declined the authorization request.",
        )),
        DeviceCodeStatus::Approved(spec) => {
            entry.status = DeviceCodeStatus::Redeemed;
            let scope = entry.scope.clone();
            let client_id = entry.client_id.clone();
            drop(g);
            crate::authorize::delegated_answer(state, *spec, &client_id, &scope)
        }
    }
}

fn random_user_code() -> String {
    // No 0/O or 1/I, so a user can read it aloud.
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .take(9)
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`. Any tenant (and `common`/`organizations`) is
/// accepted: the user's tenant is decided at approval.
pub async fn devicecode(
    AxState(state): AxState<Arc<State>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form = match parse_form(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let client_id = match required(&form, "client_id") {
        Ok(c) => c.to_string(),
        Err(r) => return r,
    };
    let scope = match required(&form, "scope") {
        Ok(s) => s.to_string(),
        Err(r) => return r,
    };
    let host = scope.split_whitespace().find_map(|s| {
        let rest = s.strip_prefix("https://")?;
        let (h, _) = rest.split_once('/')?;
        clouds::graph_host_of_resource(&format!("https://{h}"))
    });
    let Some(host) = host else {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            &format!("The provided value for the input parameter 'scope' is not valid: '{scope}' names no Microsoft Graph permission (e.g. https://graph.microsoft.com/.default)."),
        );
    };
    let profile = state.profile();
    let user_code = random_user_code();
    let device_code = format!(
        "DAQABAAEAAA{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let expires_in = profile.device_code_expires_in;
    state.lock().device_codes.insert(
        device_code.clone(),
        DeviceCodeEntry {
            user_code: user_code.clone(),
            tenant: tenant.clone(),
            client_id,
            audience: format!("https://{host}"),
            scope: scope.clone(),
            expires_at: now_epoch() + expires_in as i64,
            status: DeviceCodeStatus::Pending,
        },
    );
    Json(json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": VERIFICATION_URI,
        "expires_in": expires_in,
        "interval": profile.device_code_interval,
        "message": format!("To sign in, use a web browser to open the page {VERIFICATION_URI} and enter the code {user_code} to authenticate."),
    }))
    .into_response()
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`: endpoints on this emulator.
/// The issuer names the tenant ID (a registered domain resolves to its tenant), as Entra ID's does.
pub async fn openid_configuration(
    AxState(state): AxState<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&headers);
    let tenant_id = state.tenant_id_of(&tenant);
    Json(json!({
        "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("https://login.microsoftonline.com/{tenant_id}/v2.0"),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/devicecode"),
        "end_session_endpoint": format!("{base}/{tenant}/oauth2/v2.0/logout"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }))
    .into_response()
}

/// `GET /common/discovery/instance`: MSAL's instance discovery, naming this emulator only.
pub async fn instance_discovery(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let host = base.trim_start_matches("http://").to_string();
    Json(json!({
        "tenant_discovery_endpoint": format!("{base}/common/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{ "preferred_network": host, "preferred_cache": host, "aliases": [host] }],
    }))
    .into_response()
}
