//! Entra ID sign-in routes (being written).
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `POST /{tenant}/oauth2/v2.0/token`.
pub async fn token() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}
/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub async fn devicecode() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}
/// OIDC discovery.
pub async fn openid_configuration() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}
/// Instance discovery.
pub async fn instance_discovery() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}
