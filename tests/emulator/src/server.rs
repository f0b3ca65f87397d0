//! The HTTP server: routes, the request log and fault injection, and an accept loop of our own so
//! the `connectionReset` fault can drop a connection without answering.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

use crate::errors::{graph_error, people_admin_error, RequestIds};
use crate::graph::UNSUPPORTED_ROLE_MESSAGE;
use crate::state::{FaultKind, FaultRoute, RecordedRequest, State};
use crate::{authorize, control, directory, graph, msi, signin};

/// The largest request body read (bigger bodies get 413); Graph's own limit is about 4 MB.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Per-connection switch the `connectionReset` fault pulls.
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

/// Route family of a path; `None` for the control API (never logged or faulted).
fn classify(path: &str) -> Option<FaultRoute> {
    if path.starts_with("/_emulator") {
        None
    } else if path.starts_with("/beta/") || path.starts_with("/v1.0/") || path == "/beta" {
        Some(FaultRoute::Graph)
    } else if path.starts_with("/msi/")
        || path.starts_with("/metadata/")
        || path.starts_with("/arc/")
    {
        Some(FaultRoute::Msi)
    } else {
        Some(FaultRoute::Token)
    }
}

fn route_name(r: FaultRoute) -> &'static str {
    match r {
        FaultRoute::Graph => "graph",
        FaultRoute::Token => "token",
        FaultRoute::Msi => "msi",
        FaultRoute::Any => "other",
    }
}

/// Replaces secrets in a request body: form fields and JSON properties that carry credentials.
fn redact_body(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(body).to_string();
    const SECRET_KEYS: [&str; 9] = [
        "code_verifier",
        "client_secret",
        "client_assertion",
        "assertion",
        "refresh_token",
        "password",
        "code",
        "device_code",
        "secret",
    ];
    if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&text) {
        if let Some(o) = v.as_object_mut() {
            for k in SECRET_KEYS
                .iter()
                .chain(["access_token", "identityHeader"].iter())
            {
                if let Some(x) = o.get_mut(*k) {
                    *x = serde_json::Value::String("<redacted>".into());
                }
            }
        }
        return Some(v.to_string());
    }
    if text.contains('=') && !text.contains(['{', '\n']) {
        let parts: Vec<String> = text
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if SECRET_KEYS.contains(&k) => format!("{k}=<redacted>"),
                _ => pair.to_string(),
            })
            .collect();
        return Some(parts.join("&"));
    }
    Some(text)
}

fn redact_header(name: &str, value: &str) -> String {
    match name {
        "authorization" => match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} <redacted>"),
            None => "<redacted>".into(),
        },
        "x-identity-header" | "cookie" | "set-cookie" | "proxy-authorization" => {
            "<redacted>".into()
        }
        _ => value.to_string(),
    }
}

/// A ready answer for a fault (`throttle`, `unavailable`, `gatewayTimeout`, `notFound`,
/// `forbiddenByPolicy`, `malformedJson`).
fn fault_response(kind: FaultKind, retry_after: Option<u64>, ids: &RequestIds) -> Response {
    let mut resp = match kind {
        FaultKind::Throttle | FaultKind::ThrottleNoRetryAfter => graph_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests are being sent. Retry after some time.",
            ids,
        ),
        FaultKind::Unavailable => graph_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is temporarily unavailable. Retry after some time.",
            ids,
        ),
        FaultKind::GatewayTimeout => graph_error(
            StatusCode::GATEWAY_TIMEOUT,
            "GatewayTimeout",
            "The gateway did not receive a response from the backend in time.",
            ids,
        ),
        FaultKind::NotFound => graph_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "Resource not found for the segment 'photoUpdateSettings'.",
            ids,
        ),
        FaultKind::ForbiddenByPolicy => graph_error(
            StatusCode::FORBIDDEN,
            "ForbiddenByAdminEditPolicy",
            "The operation is forbidden by the admin edit policy.",
            ids,
        ),
        _ => {
            let mut r = (
                StatusCode::OK,
                "{\"@odata.context\":\"https://graph.microsoft.com/beta/$metadata#admin/people/photoUpdateSettings/$entity\",\"source\":cloud,\"allowedRoles\":[,]}",
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            ids.stamp(&mut r);
            r
        }
    };
    let retry = match kind {
        FaultKind::Throttle => Some(retry_after.unwrap_or(1)),
        FaultKind::Unavailable => retry_after,
        _ => None,
    };
    if let Some(secs) = retry {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// Logs every non-control request and applies the first matching fault.
async fn observe(AxState(state): AxState<Arc<State>>, req: Request, next: Next) -> Response {
    let Some(route) = classify(req.uri().path()) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large or could not be read.",
            )
                .into_response()
        }
    };
    let mut record = RecordedRequest {
        route: route_name(route).into(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                let name = n.as_str().to_ascii_lowercase();
                let value = redact_header(&name, &String::from_utf8_lossy(v.as_bytes()));
                (name, value)
            })
            .fold(
                Default::default(),
                |mut m: std::collections::BTreeMap<String, String>, (k, v)| {
                    m.entry(k)
                        .and_modify(|e| {
                            e.push_str(", ");
                            e.push_str(&v);
                        })
                        .or_insert(v);
                    m
                },
            ),
        body: redact_body(&bytes),
        status: None,
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    };
    let ids = RequestIds::from_headers(&parts.headers);
    let kill = parts.extensions.get::<ConnKill>().cloned();
    let fault = state.take_fault(route, parts.method.as_str());
    let req = Request::from_parts(parts, Body::from(bytes));

    let resp = match fault {
        None => next.run(req).await,
        Some(f) => match f.kind {
            FaultKind::ConnectionReset => {
                state.record(record);
                if let Some(k) = kill {
                    k.0.notify_one();
                }
                // The connection task drops this future together with the connection.
                return std::future::pending::<Response>().await;
            }
            FaultKind::Latency => {
                tokio::time::sleep(Duration::from_millis(f.latency_ms.unwrap_or(1000))).await;
                next.run(req).await
            }
            FaultKind::ResetAfterApply => {
                // Logged as dropped (no status): the client never saw the answer.
                let resp = next.run(req).await;
                state.record(record);
                if let Some(k) = kill {
                    k.0.notify_one();
                }
                drop(resp);
                return std::future::pending::<Response>().await;
            }
            FaultKind::TruncatedJson => {
                let resp = next.run(req).await;
                let (mut parts, body) = resp.into_parts();
                let full = to_bytes(body, usize::MAX).await.unwrap_or_default();
                let half = full.slice(0..full.len() / 2);
                parts.headers.remove(header::CONTENT_LENGTH);
                if half.is_empty() {
                    parts.headers.insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                }
                Response::from_parts(
                    parts,
                    Body::from(if half.is_empty() {
                        Bytes::from_static(b"{\"source\":")
                    } else {
                        half
                    }),
                )
            }
            FaultKind::SlowBody => {
                let resp = next.run(req).await;
                let (mut parts, body) = resp.into_parts();
                let full = to_bytes(body, usize::MAX).await.unwrap_or_default();
                parts.headers.remove(header::CONTENT_LENGTH);
                let pieces: u64 = 10;
                let delay = Duration::from_millis(f.latency_ms.unwrap_or(2000) / pieces);
                let chunk = (full.len() as u64).div_ceil(pieces).max(1) as usize;
                let chunks: Vec<Bytes> = (0..full.len())
                    .step_by(chunk)
                    .map(|i| full.slice(i..(i + chunk).min(full.len())))
                    .collect();
                let stream =
                    futures_util::stream::unfold(chunks.into_iter(), move |mut it| async move {
                        let c = it.next()?;
                        tokio::time::sleep(delay).await;
                        Some((Ok::<Bytes, Infallible>(c), it))
                    });
                Response::from_parts(parts, Body::from_stream(stream))
            }
            FaultKind::PeopleAdminRefusal => {
                let status = StatusCode::from_u16(state.profile().refusal_status)
                    .unwrap_or(StatusCode::BAD_REQUEST);
                let mut resp =
                    people_admin_error(status, &[("AllowedRoles", UNSUPPORTED_ROLE_MESSAGE)], &ids);
                if let Some(secs) = f.retry_after_seconds {
                    resp.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                resp
            }
            kind => fault_response(kind, f.retry_after_seconds, &ids),
        },
    };
    record.status = Some(resp.status().as_u16());
    state.record(record);
    resp
}

async fn not_found(uri: axum::http::Uri) -> Response {
    crate::errors::control_error(
        StatusCode::NOT_FOUND,
        &format!(
            "The emulator has no route '{}'. See docs/emulator.md.",
            uri.path()
        ),
    )
}

/// Every route the emulator serves, with logging and faults.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route(
            "/beta/admin/people/photoUpdateSettings",
            any(graph::photo_update_settings),
        )
        .route(
            "/beta/admin/people/photoUpdateSettings/$ref",
            any(graph::photo_update_settings),
        )
        .route(
            "/beta/admin/people/photoUpdateSettings/%24ref",
            any(graph::photo_update_settings),
        )
        .route("/beta/{*rest}", any(directory::graph_route))
        .route("/v1.0/{*rest}", any(directory::graph_route))
        .route("/{tenant}/oauth2/v2.0/token", post(signin::token))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(signin::devicecode))
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize::authorize))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(signin::openid_configuration),
        )
        .route(
            "/common/discovery/instance",
            get(signin::instance_discovery),
        )
        .route("/msi/token", get(msi::app_service))
        .route("/metadata/identity/oauth2/token", get(msi::imds))
        .route("/arc/metadata/identity/oauth2/token", get(msi::arc))
        .nest("/_emulator", control::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Sets SO_LINGER to zero so closing the socket sends a TCP reset, not a graceful FIN.
#[cfg(unix)]
fn arm_reset(fd: std::os::fd::RawFd) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `fd` belongs to a socket that is still open (its connection has not been dropped
    // yet), and `linger` is a valid, properly sized option value for SO_LINGER.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

async fn serve_connection(stream: TcpStream, app: Router, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    #[cfg(unix)]
    let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
    let kill = Arc::new(Notify::new());
    let conn_kill = ConnKill(kill.clone());
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(conn_kill.clone());
        app.clone().oneshot(req)
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {
            #[cfg(unix)]
            arm_reset(fd);
        }
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
}

/// Accepts connections until `shutdown` turns true.
pub async fn serve(listener: TcpListener, state: Arc<State>, mut shutdown: watch::Receiver<bool>) {
    let app = router(state);
    let conn_shutdown = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, app.clone(), conn_shutdown.clone()));
                }
                // Out of file descriptors and the like: back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
}
