//! Managed identity endpoints in the three shapes clients meet: App Service / Functions /
//! Automation (`X-IDENTITY-HEADER`), Azure VM IMDS (`Metadata: true`, every value a string) and
//! Azure Arc (a `.key` file challenge). Tokens are app tokens with the configured roles.

// Handlers return an error answer as `Err(Response)`: it is built at most once per request and
// returned straight to axum, so boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State as AxState};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::clouds::{self, GRAPH_APP_ID};
use crate::profile::ExpiresOn;
use crate::state::{ManagedIdentity, State, SYSTEM_MI_CLIENT_ID};
use crate::tokens::{now_epoch, TokenSpec};

type Params = HashMap<String, String>;

/// Lifetime of managed identity tokens, seconds (IMDS answers `expires_in` "3599").
const LIFETIME: i64 = 3599;

/// A token minted for a managed identity, with what the answers need.
struct MiToken {
    token: String,
    client_id: String,
    resource: String,
    expires_on: i64,
}

fn imds_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn app_service_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "statusCode": status.as_u16(), "message": message, "correlationId": uuid::Uuid::new_v4().to_string() })),
    )
        .into_response()
}

/// Picks the identity and mints its token. `selectors` are (query name, which field) pairs the
/// style accepts for user-assigned identities. The error is (status, message).
fn mint(
    state: &State,
    params: &Params,
    selectors: &[(&str, Selector)],
) -> Result<MiToken, (StatusCode, String)> {
    let mi: ManagedIdentity = state.lock().managed_identity.clone().ok_or((
        StatusCode::BAD_REQUEST,
        "No managed identity is configured on this emulator: POST /_emulator/managed-identity first.".to_string(),
    ))?;
    let resource = params
        .get("resource")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .ok_or((
            StatusCode::BAD_REQUEST,
            "Required query variable 'resource' is missing.".to_string(),
        ))?;
    if clouds::graph_host_of_resource(&resource).is_none() && resource != GRAPH_APP_ID {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("The resource '{resource}' is not Microsoft Graph. Use a Graph host such as https://graph.microsoft.com (no /.default)."),
        ));
    }
    let mut chosen: Option<(String, Vec<String>)> = None;
    for (name, which) in selectors {
        if let Some(value) = params.get(*name).filter(|v| !v.is_empty()) {
            let found = mi.user_assigned.iter().find(|u| {
                let field = match which {
                    Selector::Client => Some(&u.client_id),
                    Selector::Principal => u.principal_id.as_ref(),
                    Selector::Resource => u.resource_id.as_ref(),
                };
                field.is_some_and(|f| f.eq_ignore_ascii_case(value))
            });
            let u = found.ok_or((
                StatusCode::BAD_REQUEST,
                format!("Identity not found: no user-assigned identity has {name} '{value}'."),
            ))?;
            chosen = Some((
                u.client_id.clone(),
                u.roles.clone().unwrap_or_else(|| mi.roles.clone()),
            ));
            break;
        }
    }
    let (client_id, roles) = chosen.unwrap_or_else(|| {
        (
            mi.client_id
                .clone()
                .unwrap_or_else(|| SYSTEM_MI_CLIENT_ID.to_string()),
            mi.roles.clone(),
        )
    });
    let spec = TokenSpec {
        tenant_id: mi.tenant_id.clone(),
        roles: Some(roles),
        aud: Some(resource.clone()),
        expires_in_seconds: Some(LIFETIME),
        app_id: Some(client_id.clone()),
        ..TokenSpec::default()
    };
    let (token, claims) = state
        .keys
        .mint(&spec)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))?;
    Ok(MiToken {
        token,
        client_id,
        resource,
        expires_on: claims.exp,
    })
}

#[derive(Clone, Copy)]
enum Selector {
    Client,
    Principal,
    Resource,
}

/// `GET /msi/token`: App Service / Functions / Automation style.
pub async fn app_service(
    AxState(state): AxState<Arc<State>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let configured = state
        .lock()
        .managed_identity
        .as_ref()
        .map(|m| m.identity_header.clone());
    let Some(expected) = configured else {
        return app_service_error(
            StatusCode::BAD_REQUEST,
            "No managed identity is configured on this emulator: POST /_emulator/managed-identity first.",
        );
    };
    let sent = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if sent.is_empty() {
        return app_service_error(
            StatusCode::BAD_REQUEST,
            "The X-IDENTITY-HEADER header is missing. Send the value of the IDENTITY_HEADER environment variable.",
        );
    }
    if expected.as_deref().is_some_and(|e| e != sent) {
        return app_service_error(
            StatusCode::UNAUTHORIZED,
            "The X-IDENTITY-HEADER value is not valid for this identity endpoint.",
        );
    }
    let selectors = [
        ("client_id", Selector::Client),
        ("principal_id", Selector::Principal),
        ("object_id", Selector::Principal),
        ("mi_res_id", Selector::Resource),
    ];
    match mint(&state, &params, &selectors) {
        Ok(t) => {
            let expires_on = match state.profile().expires_on {
                ExpiresOn::String => Value::String(t.expires_on.to_string()),
                ExpiresOn::Number => json!(t.expires_on),
            };
            Json(json!({
                "access_token": t.token,
                "expires_on": expires_on,
                "resource": t.resource,
                "token_type": "Bearer",
                "client_id": t.client_id,
            }))
            .into_response()
        }
        Err((status, msg)) => app_service_error(status, &msg),
    }
}

/// The IMDS / Arc answer: every value a string.
fn string_answer(t: MiToken) -> Response {
    let now = now_epoch();
    Json(json!({
        "access_token": t.token,
        "client_id": t.client_id,
        "expires_in": (t.expires_on - now).to_string(),
        "expires_on": t.expires_on.to_string(),
        "ext_expires_in": (t.expires_on - now).to_string(),
        "not_before": (now - 1).to_string(),
        "resource": t.resource,
        "token_type": "Bearer",
    }))
    .into_response()
}

fn require_api_version(params: &Params) -> Result<(), Response> {
    match params.get("api-version") {
        Some(v) if !v.trim().is_empty() => Ok(()),
        _ => Err(imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required query variable 'api-version' is missing",
        )),
    }
}

/// `GET /metadata/identity/oauth2/token`: Azure VM IMDS style.
pub async fn imds(
    AxState(state): AxState<Arc<State>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let metadata = headers
        .get("metadata")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !metadata.eq_ignore_ascii_case("true") {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required metadata header not specified",
        );
    }
    if let Err(r) = require_api_version(&params) {
        return r;
    }
    let selectors = [
        ("client_id", Selector::Client),
        ("object_id", Selector::Principal),
        ("msi_res_id", Selector::Resource),
    ];
    match mint(&state, &params, &selectors) {
        Ok(t) => string_answer(t),
        Err((status, msg)) => imds_error(status, "invalid_request", &msg),
    }
}

/// `GET /arc/metadata/identity/oauth2/token`: Azure Arc style. Without `Authorization: Basic`
/// it writes a new random `.key` file in the configured folder and answers 401 naming it.
pub async fn arc(
    AxState(state): AxState<Arc<State>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = require_api_version(&params) {
        return r;
    }
    let Some(mi) = state.lock().managed_identity.clone() else {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "No managed identity is configured on this emulator: POST /_emulator/managed-identity first.",
        );
    };
    if ["client_id", "object_id", "msi_res_id"]
        .iter()
        .any(|k| params.contains_key(*k))
    {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Azure Arc supports only the system-assigned identity.",
        );
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let basic = auth
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, v)| v.trim().to_string());
    match basic {
        None => {
            let Some(dir) = mi.arc_key_dir.clone() else {
                return imds_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "No Arc key folder is configured (arcKeyDir in POST /_emulator/managed-identity).",
                );
            };
            let secret = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            let path = std::path::Path::new(&dir).join(format!("{}.key", uuid::Uuid::new_v4()));
            if let Err(e) = std::fs::write(&path, &secret) {
                return imds_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    &format!("Could not write the challenge file in '{dir}': {e}"),
                );
            }
            state.lock().arc_secrets.push(secret);
            let mut resp = imds_error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Read the file named in WWW-Authenticate and send its contents as Authorization: Basic <contents>.",
            );
            if let Ok(v) = HeaderValue::from_str(&format!("Basic realm={}", path.display())) {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            resp
        }
        Some(sent) => {
            if !state.lock().arc_secrets.contains(&sent) {
                return imds_error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "The Basic credential does not match any challenge file this endpoint wrote.",
                );
            }
            match mint(&state, &params, &[]) {
                Ok(t) => string_answer(t),
                Err((status, msg)) => imds_error(status, "invalid_request", &msg),
            }
        }
    }
}
