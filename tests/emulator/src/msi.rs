//! Managed identity routes (being written).
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// App Service style.
pub async fn app_service() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}
/// IMDS style.
pub async fn imds() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}
/// Arc style.
pub async fn arc() -> Response {
    StatusCode::NOT_IMPLEMENTED.into_response()
}
