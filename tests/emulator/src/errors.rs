//! Error answers in the two shapes clients meet: Graph's `{"error":{…}}` and Entra ID's AADSTS
//! sign-in errors.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The request and client request IDs of one Graph exchange. Graph echoes the caller's
/// `client-request-id` and makes up a `request-id`.
#[derive(Debug, Clone)]
pub struct RequestIds {
    /// Graph's own ID for the request.
    pub request_id: String,
    /// The caller's ID, or the request ID when it sent none.
    pub client_request_id: String,
}

impl RequestIds {
    /// IDs for a request with these headers.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| request_id.clone());
        Self {
            request_id,
            client_request_id,
        }
    }

    /// Adds `request-id` and `client-request-id` headers to an answer.
    pub fn stamp(&self, response: &mut Response) {
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.request_id) {
            h.insert("request-id", v);
        }
        if let Ok(v) = HeaderValue::from_str(&self.client_request_id) {
            h.insert("client-request-id", v);
        }
    }
}

/// Graph's `innerError.date`: UTC, no zone suffix.
pub fn graph_date() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A Graph error answer with the request IDs in the body and headers.
pub fn graph_error(status: StatusCode, code: &str, message: &str, ids: &RequestIds) -> Response {
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": graph_date(),
                "request-id": ids.request_id,
                "client-request-id": ids.client_request_id,
            }
        }
    });
    let mut resp = (status, axum::Json(body)).into_response();
    ids.stamp(&mut resp);
    resp
}

/// The PeopleAdmin backend's date: UTC with seven fractional digits and `Z`
/// (`2024-11-21T16:31:03.6070114Z`).
pub fn people_admin_date() -> String {
    let now = chrono::Utc::now();
    format!(
        "{}.{:07}Z",
        now.format("%Y-%m-%dT%H:%M:%S"),
        now.timestamp_subsec_nanos() / 100
    )
}

/// The refusal the support guide records for a PATCH the PeopleAdmin backend does not accept:
/// `error.code` `UnknownError`, and `error.message` is itself JSON text holding the backend's own
/// error, whose `peopleAdminValidationError` is JSON text again (field -> messages). The outer
/// `innerError` is Graph's usual one.
pub fn people_admin_error(
    status: StatusCode,
    fields: &[(&str, &str)],
    ids: &RequestIds,
) -> Response {
    let mut validation = serde_json::Map::new();
    for (field, message) in fields {
        validation.insert((*field).to_string(), json!([message]));
    }
    let inner = json!({
        "error": {
            "code": "400",
            "message": "",
            "innerError": {
                "peopleAdminErrorCode": "PeopleAdminValidationFailure",
                "peopleAdminValidationError": serde_json::Value::Object(validation).to_string(),
                "peopleAdminRequestId": uuid::Uuid::new_v4().to_string(),
                "peopleAdminClientRequestId": ids.client_request_id,
                "date": people_admin_date(),
            }
        }
    });
    graph_error(status, "UnknownError", &inner.to_string(), ids)
}

/// Graph's 401, with the `WWW-Authenticate` challenge Graph sends.
pub fn graph_unauthorized(message: &str, ids: &RequestIds) -> Response {
    let mut resp = graph_error(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        message,
        ids,
    );
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(
            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
        ),
    );
    resp
}

/// An Entra ID sign-in error: `error`, `error_description` (starting with the AADSTS code),
/// `error_codes`, `timestamp`, `trace_id`, `correlation_id`.
pub fn aadsts(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = uuid::Uuid::new_v4().to_string();
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A plain JSON error for the control API: `{"error": message}`.
pub fn control_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}
