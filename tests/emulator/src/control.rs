//! The control API (`/_emulator/...`): tests and admins set the emulator's state over HTTP. No
//! auth (loopback only); JSON in and out; errors are `{"error": "…"}` with 400 or 404.

// Handlers return an error answer as `Err(Response)`: it is built at most once per request and
// returned straight to axum, so boxing it would only add an allocation.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::authorize::AuthorizationApproval;
use crate::errors::control_error;
use crate::federated::ExternalTokenSpec;
use crate::state::{App, DeviceCodeApproval, Fault, ManagedIdentity, State};
use crate::tokens::TokenSpec;

/// Parses a JSON body into `T`, or answers 400 naming what is wrong.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| {
        control_error(
            StatusCode::BAD_REQUEST,
            &format!("The request body is not valid for this call: {e}."),
        )
    })
}

fn ok() -> Response {
    (StatusCode::OK, Json(json!({ "ok": true }))).into_response()
}

async fn reset(AxState(state): AxState<Arc<State>>) -> Response {
    state.reset();
    ok()
}

async fn get_profile(AxState(state): AxState<Arc<State>>) -> Response {
    Json(state.profile().to_json()).into_response()
}

async fn put_profile(AxState(state): AxState<Arc<State>>, body: Bytes) -> Response {
    let value: Value = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut g = state.lock();
    match g.profile.merge_json(&value) {
        Ok(()) => Json(g.profile.to_json()).into_response(),
        Err(e) => control_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn get_policy(AxState(state): AxState<Arc<State>>, Path(tid): Path<String>) -> Response {
    Json(state.policy(&tid)).into_response()
}

async fn put_policy(
    AxState(state): AxState<Arc<State>>,
    Path(tid): Path<String>,
    body: Bytes,
) -> Response {
    let value: Value = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.set_policy(&tid, value) {
        Ok(()) => Json(state.policy(&tid)).into_response(),
        Err(e) => control_error(StatusCode::BAD_REQUEST, &e),
    }
}

/// `PUT /_emulator/tenants/{tid}/domains/{domain}`: `domain` is a verified domain of `tid`.
async fn put_domain(
    AxState(state): AxState<Arc<State>>,
    Path((tid, domain)): Path<(String, String)>,
) -> Response {
    state.add_domain(&domain, &tid);
    ok()
}

async fn get_directory(AxState(state): AxState<Arc<State>>, Path(tid): Path<String>) -> Response {
    Json(crate::directory::directory_json(&state, &tid)).into_response()
}

async fn put_directory(
    AxState(state): AxState<Arc<State>>,
    Path(tid): Path<String>,
    body: Bytes,
) -> Response {
    let value: Value = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match crate::directory::set_directory(&state, &tid, value) {
        Ok(()) => Json(crate::directory::directory_json(&state, &tid)).into_response(),
        Err(e) => control_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn mint_token(AxState(state): AxState<Arc<State>>, body: Bytes) -> Response {
    let spec: TokenSpec = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.keys.mint(&spec) {
        Ok((token, claims)) => Json(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": claims.exp - crate::tokens::now_epoch(),
        }))
        .into_response(),
        Err(e) => control_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn register_app(AxState(state): AxState<Arc<State>>, body: Bytes) -> Response {
    let app: App = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.register_app(app) {
        Ok(()) => ok(),
        Err(e) => control_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn managed_identity(AxState(state): AxState<Arc<State>>, body: Bytes) -> Response {
    let mi: ManagedIdentity = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if mi.tenant_id.trim().is_empty() {
        return control_error(StatusCode::BAD_REQUEST, "tenantId is required.");
    }
    state.lock().managed_identity = Some(mi);
    ok()
}

async fn devicecode_pending(AxState(state): AxState<Arc<State>>) -> Response {
    Json(json!({ "userCodes": state.pending_user_codes() })).into_response()
}

async fn devicecode_approve(AxState(state): AxState<Arc<State>>, body: Bytes) -> Response {
    let approval: DeviceCodeApproval = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let code = approval.user_code.clone();
    match state.decide_device_code(Some(approval), &code) {
        Ok(()) => ok(),
        Err(e) => control_error(StatusCode::NOT_FOUND, &e),
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Decline {
    user_code: String,
}

async fn devicecode_decline(AxState(state): AxState<Arc<State>>, body: Bytes) -> Response {
    let d: Decline = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.decide_device_code(None, &d.user_code) {
        Ok(()) => ok(),
        Err(e) => control_error(StatusCode::NOT_FOUND, &e),
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeclineAuthorization {
    #[serde(default)]
    state: Option<String>,
}

async fn authorize_pending(AxState(state): AxState<Arc<State>>) -> Response {
    Json(json!({ "pending": state.pending_authorizations() })).into_response()
}

async fn authorize_approve(AxState(state): AxState<Arc<State>>, body: Bytes) -> Response {
    let approval: AuthorizationApproval = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let client_state = approval.state.clone();
    match state.decide_authorization(client_state.as_deref(), Some(approval)) {
        Ok(url) => Json(json!({ "redirectUrl": url })).into_response(),
        Err(e) => control_error(StatusCode::NOT_FOUND, &e),
    }
}

async fn authorize_decline(AxState(state): AxState<Arc<State>>, body: Bytes) -> Response {
    let d: DeclineAuthorization = if body.is_empty() {
        DeclineAuthorization { state: None }
    } else {
        match parse(&body) {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
    match state.decide_authorization(d.state.as_deref(), None) {
        Ok(url) => Json(json!({ "redirectUrl": url })).into_response(),
        Err(e) => control_error(StatusCode::NOT_FOUND, &e),
    }
}

async fn revoke_refresh_tokens(AxState(state): AxState<Arc<State>>) -> Response {
    Json(json!({ "revoked": state.revoke_refresh_tokens() })).into_response()
}

async fn mint_external_token(AxState(state): AxState<Arc<State>>, body: Bytes) -> Response {
    let spec: ExternalTokenSpec = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.issuer_keys.mint(&spec) {
        Ok(token) => Json(json!({ "token": token })).into_response(),
        Err(e) => control_error(StatusCode::BAD_REQUEST, &e),
    }
}

async fn add_fault(AxState(state): AxState<Arc<State>>, body: Bytes) -> Response {
    let fault: Fault = match parse(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if fault.count == Some(0) {
        return control_error(
            StatusCode::BAD_REQUEST,
            "count must be at least 1 (omit it for every request until cleared).",
        );
    }
    state.add_fault(fault);
    ok()
}

async fn list_faults(AxState(state): AxState<Arc<State>>) -> Response {
    let faults: Vec<Value> = state
        .lock()
        .faults
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(&f.fault).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("remaining".into(), json!(f.remaining));
            }
            v
        })
        .collect();
    Json(faults).into_response()
}

async fn clear_faults(AxState(state): AxState<Arc<State>>) -> Response {
    state.lock().faults.clear();
    ok()
}

async fn list_requests(AxState(state): AxState<Arc<State>>) -> Response {
    let all: Vec<_> = state.lock().requests.iter().cloned().collect();
    Json(all).into_response()
}

async fn clear_requests(AxState(state): AxState<Arc<State>>) -> Response {
    state.lock().requests.clear();
    ok()
}

async fn unknown(uri: axum::http::Uri) -> Response {
    control_error(
        StatusCode::NOT_FOUND,
        &format!(
            "No control call at '{}'. See docs/emulator.md for the control API.",
            uri.path()
        ),
    )
}

/// The control API routes, nested under `/_emulator`.
pub fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/reset", post(reset))
        .route("/profile", get(get_profile).put(put_profile))
        .route("/tenants/{tid}/policy", get(get_policy).put(put_policy))
        .route(
            "/tenants/{tid}/domains/{domain}",
            axum::routing::put(put_domain),
        )
        .route(
            "/tenants/{tid}/directory",
            get(get_directory).put(put_directory),
        )
        .route("/tokens", post(mint_token))
        .route("/apps", post(register_app))
        .route("/managed-identity", post(managed_identity))
        .route("/devicecode", get(devicecode_pending))
        .route("/devicecode/approve", post(devicecode_approve))
        .route("/devicecode/decline", post(devicecode_decline))
        .route("/authorize", get(authorize_pending))
        .route("/authorize/approve", post(authorize_approve))
        .route("/authorize/decline", post(authorize_decline))
        .route("/refresh-tokens/revoke", post(revoke_refresh_tokens))
        .route("/federated/tokens", post(mint_external_token))
        .route(
            "/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/requests", get(list_requests).delete(clear_requests))
        .fallback(unknown)
}
